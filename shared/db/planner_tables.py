"""Tables of the content plan: seed keywords, keywords, clusters and ideas."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from shared.db.base import BaseModel, iso_now
from shared.db.derived import DerivedKeysModel, ref

KeywordStatus = Literal["active", "pending", "mapped", "archived"]
ClusterStatus = Literal["active"]
IdeaStatus = Literal["new", "scheduled", "published"]
KEYWORD_STATUSES: tuple[str, ...] = get_args(KeywordStatus)
CLUSTER_STATUSES: tuple[str, ...] = get_args(ClusterStatus)
IDEA_STATUSES: tuple[str, ...] = get_args(IdeaStatus)


class SeedKeyword(BaseModel):
    """The keyword as a research tool reports it: text, volume, difficulty, intent.

    Keyed by its normalised text, so bulk imports find existing ones with one BatchGet.
    ``keyword_ids`` maps ``"{site_id}:{sector_id}"`` to the account's Keyword row there.
    """

    table_suffix = "seed-keywords"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    keyword_norm = UnicodeAttribute(range_key=True)
    id = NumberAttribute()
    keyword = UnicodeAttribute()
    volume = NumberAttribute(default=0)
    difficulty = NumberAttribute(default=0)
    intent = UnicodeAttribute(default="informational")
    cpc = NumberAttribute(null=True)
    keyword_ids = JSONAttribute(default=dict)


class KeywordByCluster(GlobalSecondaryIndex["Keyword"]):
    """Sparse index: only mapped keywords carry ``cluster_ref`` (``{account}#{cluster_id}``)."""

    class Meta:
        index_name = "by_cluster"
        projection = AllProjection()

    cluster_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordBySector(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one sector (``{account}#{sector_id}``), for selections and filtered lists."""

    class Meta:
        index_name = "by_sector"
        projection = AllProjection()

    sector_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordBySite(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one site (``{account}#{site_id}``)."""

    class Meta:
        index_name = "by_site"
        projection = AllProjection()

    site_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordUnclustered(GlobalSecondaryIndex["Keyword"]):
    """Sparse index: only keywords without a cluster carry ``unclustered_ref`` (the account id)."""

    class Meta:
        index_name = "unclustered"
        projection = AllProjection()

    unclustered_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordByStatus(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one status (``{account}#{status}``)."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordBySectorStatus(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one status in one sector (``{account}#{sector_id}#{status}``)."""

    class Meta:
        index_name = "by_sector_status"
        projection = AllProjection()

    sector_status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordByClusterStatus(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one status in one cluster (``{account}#{cluster_id}#{status}``)."""

    class Meta:
        index_name = "by_cluster_status"
        projection = AllProjection()

    cluster_status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class Keyword(DerivedKeysModel):
    """An account's keyword in a site/sector; text and metrics come from its seed keyword.

    The index keys (``sector_ref``, ``site_ref``, ``unclustered_ref``, ``cluster_ref`` and the
    status keys) are derived from the record on every write (``shared.db.derived``), so they can
    never disagree with it. The
    keyword's embedding (``embedding``: float16 bytes, ``embedding_tag``: model#dimensions) is
    kept on the row: a re-run or a new clustering of the same keywords embeds nothing again.
    """

    table_suffix = "keywords"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    seed_keyword_id = NumberAttribute()
    # Denormalised copies of the seed keyword, so listing keywords needs no join.
    keyword = UnicodeAttribute()
    seed_volume = NumberAttribute(default=0)
    seed_difficulty = NumberAttribute(default=0)
    intent = UnicodeAttribute(default="informational")
    volume_override = NumberAttribute(null=True)
    difficulty_override = NumberAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    cluster_id = NumberAttribute(null=True)
    cluster_ref = UnicodeAttribute(null=True)
    sector_ref = UnicodeAttribute(null=True)
    site_ref = UnicodeAttribute(null=True)
    unclustered_ref = UnicodeAttribute(null=True)
    status_ref = UnicodeAttribute(null=True)
    sector_status_ref = UnicodeAttribute(null=True)
    cluster_status_ref = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # KeywordStatus
    # True when the seed keyword already existed at import (the text is in another site/sector
    # too): only then can another row hold a reusable embedding.
    seed_shared = BooleanAttribute(default=False)
    embedding = BinaryAttribute(null=True, legacy_encoding=False)
    embedding_tag = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_cluster = KeywordByCluster()
    by_sector = KeywordBySector()
    by_site = KeywordBySite()
    unclustered = KeywordUnclustered()
    by_status = KeywordByStatus()
    by_sector_status = KeywordBySectorStatus()
    by_cluster_status = KeywordByClusterStatus()

    derived_keys = {
        "cluster_ref": ("cluster_id",),
        "sector_ref": ("sector_id",),
        "site_ref": ("site_id",),
        "unclustered_ref": ("cluster_id",),
        "status_ref": ("status",),
        "sector_status_ref": ("sector_id", "status"),
        "cluster_status_ref": ("cluster_id", "status"),
    }

    def derive_keys(self) -> dict[str, Any]:
        account = self.account_id
        return {
            "cluster_ref": ref(account, self.cluster_id),
            "sector_ref": ref(account, self.sector_id),
            "site_ref": ref(account, self.site_id),
            "unclustered_ref": account if self.cluster_id is None else None,
            "status_ref": ref(account, self.status),
            "sector_status_ref": ref(account, self.sector_id, self.status),
            "cluster_status_ref": ref(account, self.cluster_id, self.status),
        }

    @property
    def volume(self) -> int:
        return int(self.volume_override if self.volume_override is not None else self.seed_volume or 0)

    @property
    def difficulty(self) -> int:
        value = self.difficulty_override if self.difficulty_override is not None else self.seed_difficulty
        return int(value or 0)


class ClusterByName(GlobalSecondaryIndex["Cluster"]):
    class Meta:
        index_name = "by_name"
        projection = KeysOnlyProjection()

    name_ref = UnicodeAttribute(hash_key=True)


class ClusterByScope(GlobalSecondaryIndex["Cluster"]):
    """Clusters of one site/sector scope (``{account}#{site_id or 0}#{sector_id or 0}``)."""

    class Meta:
        index_name = "by_scope"
        projection = AllProjection()

    scope_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class ClusterByStatus(GlobalSecondaryIndex["Cluster"]):
    """Clusters of one status (``{account}#{status}``)."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class ClusterByScopeStatus(GlobalSecondaryIndex["Cluster"]):
    """Clusters of one status in one site/sector scope (``{scope_ref}#{status}``)."""

    class Meta:
        index_name = "by_scope_status"
        projection = AllProjection()

    scope_status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class ClusterNeedsIdeas(GlobalSecondaryIndex["Cluster"]):
    """Sparse index: only active clusters not known to have ideas carry ``needs_ideas_ref``
    (the account id): generate_ideas' scheduled batches."""

    class Meta:
        index_name = "needs_ideas"
        projection = KeysOnlyProjection()

    needs_ideas_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class Cluster(DerivedKeysModel):
    """A topic cluster. ``pillar_id`` is the id of the hub cluster of its pillar topic (itself for a
    hub); ``centroid`` (float16 bytes, ``centroid_tag``) lets later keywords join the nearest
    cluster; ``samples`` are its representative keywords (highest volume, most central).

    ``has_ideas``: ideas were saved for it (set by the ideas' SAVE, or by the scheduled-batch
    selector when it finds ideas of a cluster still marked). Index keys: ``shared.db.derived``."""

    table_suffix = "clusters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    name_ref = UnicodeAttribute()  # {account}#{site}#{sector}#{lower(name)}: get-or-create key
    description = UnicodeAttribute(default="")
    keywords_count = NumberAttribute(default=0)
    volume = NumberAttribute(default=0)
    status = UnicodeAttribute(default="active")
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    scope_ref = UnicodeAttribute(null=True)
    status_ref = UnicodeAttribute(null=True)
    scope_status_ref = UnicodeAttribute(null=True)
    needs_ideas_ref = UnicodeAttribute(null=True)
    has_ideas = BooleanAttribute(default=False)
    pillar_id = NumberAttribute(null=True)
    centroid = BinaryAttribute(null=True, legacy_encoding=False)
    centroid_tag = UnicodeAttribute(null=True)
    samples = JSONAttribute(default=list)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_name = ClusterByName()
    by_scope = ClusterByScope()
    by_status = ClusterByStatus()
    by_scope_status = ClusterByScopeStatus()
    needs_ideas = ClusterNeedsIdeas()

    derived_keys = {
        "scope_ref": ("site_id", "sector_id"),
        "status_ref": ("status",),
        "scope_status_ref": ("site_id", "sector_id", "status"),
        "needs_ideas_ref": ("status", "has_ideas"),
    }

    def derive_keys(self) -> dict[str, Any]:
        account = self.account_id
        scope = scope_ref(account, self.site_id, self.sector_id)
        return {
            "scope_ref": scope,
            "status_ref": ref(account, self.status),
            "scope_status_ref": ref(scope, self.status),
            "needs_ideas_ref": account if self.status == "active" and not self.has_ideas else None,
        }


def scope_ref(account_id: str, site_id: float | None, sector_id: float | None) -> str:
    """The key of a site/sector scope: clusters are unique by name within one."""
    return f"{account_id}#{int(site_id or 0)}#{int(sector_id or 0)}"


class IdeaByCluster(GlobalSecondaryIndex["ContentIdea"]):
    class Meta:
        index_name = "by_cluster"
        projection = AllProjection()

    cluster_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class IdeaByStatus(GlobalSecondaryIndex["ContentIdea"]):
    """Ideas of one status (``{account}#{status}``)."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class IdeaByClusterStatus(GlobalSecondaryIndex["ContentIdea"]):
    """Ideas of one status for one cluster (``{account}#{cluster_id}#{status}``)."""

    class Meta:
        index_name = "by_cluster_status"
        projection = AllProjection()

    cluster_status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class ContentIdea(DerivedKeysModel):
    """A content idea (outline) for a cluster. Index keys: ``shared.db.derived``."""

    table_suffix = "ideas"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    idea_title = UnicodeAttribute()
    description = UnicodeAttribute(default="")  # JSON text when the outline is structured
    content_type = UnicodeAttribute(default="blog_post")
    content_structure = UnicodeAttribute(default="supporting_page")
    target_keywords = UnicodeAttribute(default="")
    keyword_cluster_id = NumberAttribute(null=True)
    cluster_ref = UnicodeAttribute(null=True)
    estimated_word_count = NumberAttribute(default=1500)
    status = UnicodeAttribute(default="new")  # IdeaStatus
    status_ref = UnicodeAttribute(null=True)
    cluster_status_ref = UnicodeAttribute(null=True)
    task_id = NumberAttribute(null=True)  # the writer task made from this idea (one per idea)
    # The article's planned slug (unique among its cluster's ideas): its URL for internal links.
    slug = UnicodeAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_cluster = IdeaByCluster()
    by_status = IdeaByStatus()
    by_cluster_status = IdeaByClusterStatus()

    derived_keys = {
        "cluster_ref": ("keyword_cluster_id",),
        "status_ref": ("status",),
        "cluster_status_ref": ("keyword_cluster_id", "status"),
    }

    def derive_keys(self) -> dict[str, Any]:
        account = self.account_id
        return {
            "cluster_ref": ref(account, self.keyword_cluster_id),
            "status_ref": ref(account, self.status),
            "cluster_status_ref": ref(account, self.keyword_cluster_id, self.status),
        }
