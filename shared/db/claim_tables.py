"""Record claims: which job is changing which records (one job at a time per record).

A job claims the records it will change when it is accepted and releases them when it ends
(``shared.engine.claims``). One ``Claim`` row per claimed record, keyed ``{account_id, ref}``:

- ``cluster#12``: a keyword cluster (generate_ideas);
- ``task#7``: a writer task (generate_content);
- ``scope#<site>#<sector>``: the keywords and clusters of one site/sector scope, ``0`` for none
  (auto_cluster: clusters are got or created by name within a scope).

``expires_at`` (epoch seconds, also the table's TTL attribute) lies past the longest a job can
run, so a crashed job's claim can be taken over in the same conditional write that claims it;
DynamoDB's TTL deletes it some time later. The refs a job holds are listed on its ``JobClaims``
row (``job#<task_id>`` in the same table), read consistently when the job releases them.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UnicodeSetAttribute

from shared.db.base import BaseModel, iso_now

CLUSTER = "cluster"
TASK = "task"
SCOPE = "scope"
#: The range key of a job's list of claims; never the prefix of a record ref.
JOB_PREFIX = "job#"


class Claim(BaseModel):
    """One record claimed by one job until it ends (or ``expires_at`` passes)."""

    table_suffix = "claims"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    ref = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()
    function_name = UnicodeAttribute()
    claimed_at = UnicodeAttribute(default_for_new=iso_now)
    expires_at = TTLAttribute()


class JobClaims(BaseModel):
    """The refs one job holds (``ref`` = ``job#<task_id>``), so releasing needs no index."""

    table_suffix = "claims"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    ref = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()
    refs = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute()


def job_claims_ref(task_id: str) -> str:
    return f"{JOB_PREFIX}{task_id}"


def record_claim(kind: str, record_id: int) -> str:
    """The ref of one record: ``cluster#12``, ``task#7``."""
    return f"{kind}#{int(record_id)}"


def cluster_claim(cluster_id: int) -> str:
    return record_claim(CLUSTER, cluster_id)


def task_claim(task_id: int) -> str:
    return record_claim(TASK, task_id)


def scope_claim(site_id: float | None, sector_id: float | None) -> str:
    return f"{SCOPE}#{int(site_id or 0)}#{int(sector_id or 0)}"


def describe_claim(ref: str) -> str:
    """The record a ref names, as a message says it ("cluster 12", "sector 3 of site 1")."""
    kind, _, rest = ref.partition("#")
    if kind == CLUSTER:
        return f"cluster {rest}"
    if kind == TASK:
        return f"writer task {rest}"
    if kind == SCOPE:
        site, _, sector = rest.partition("#")
        if site in ("", "0") and sector in ("", "0"):
            return "the scope of the keywords in no site"
        if sector in ("", "0"):
            return f"site {site} (the scope of its keywords in no sector)"
        if site in ("", "0"):
            return f"sector {sector}"
        return f"sector {sector} of site {site}"
    return ref
