"""auto_cluster's strategies: which one a job runs, the options an account may set, stage messages."""

from __future__ import annotations

from typing import Any

from shared.db.models import Account, Cluster, Sector, scope_ref
from shared.db.repo import get_one
from shared.domain.keyword_selection import Selection
from shared.errors import InputInvalid

#: ``strategy: auto`` sends up to this many keywords in the seed's single prompt, more semantically.
PROMPT_MAX_KEYWORDS = 300
#: The most keywords the single prompt takes even when asked for (its answer repeats every keyword).
PROMPT_HARD_LIMIT = 2000
STRATEGIES = ("auto", "prompt", "semantic")


def validate_options(options: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "strategy" in options:
        if options["strategy"] not in STRATEGIES:
            raise InputInvalid(f"functions.auto_cluster.strategy must be one of: {', '.join(STRATEGIES)}")
        out["strategy"] = options["strategy"]
    if "prompt_max_keywords" in options:
        value = options["prompt_max_keywords"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PROMPT_HARD_LIMIT:
            raise InputInvalid(f"functions.auto_cluster.prompt_max_keywords must be 1 to {PROMPT_HARD_LIMIT}")
        out["prompt_max_keywords"] = value
    if "threshold" in options:
        out["threshold"] = threshold_value(options["threshold"], "functions.auto_cluster.threshold")
    return out


STAGE_MESSAGES = {
    "embed": {
        "PREP": "Loading {count} keyword(s)",
        "AI_CALL": "Embedding keywords",
        "PARSE": "Keywords embedded",
        "SAVE": "Saving embeddings",
    },
    "cluster": {
        "PREP": "Clustering keywords",
        "AI_CALL": "Generating clusters with Igny8 Semantic SEO Model",
    },
    "name": {
        "PREP": "Naming {count} cluster(s)",
        "AI_CALL": "Naming clusters with Igny8 Semantic SEO Model",
        "PARSE": "Cluster names read",
        "SAVE": "Saving cluster names",
    },
}


def has_semantic_clusters(account: Account, selection: Selection) -> bool:
    """Whether the selection's site/sector scope holds clusters with centroids (semantic ones)."""
    if selection.sector_id is not None:
        sector = get_one(Sector, account.account_id, selection.sector_id)
        site_id = int(sector.site_id) if sector is not None else selection.site_id
        scope = scope_ref(account.account_id, site_id, selection.sector_id)
    elif selection.site_id is not None:
        scope = scope_ref(account.account_id, selection.site_id, None)
    else:
        return False
    return any(c.centroid for c in Cluster.by_scope.query(scope, limit=50))


def threshold_value(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.05 <= float(value) <= 0.95:
        raise InputInvalid(
            f"{name} must be a number between 0.05 and 0.95 (the similarity two keywords need)"
        )
    return float(value)
