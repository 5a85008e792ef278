"""What an auto_cluster job claims while it runs: the site/sector scopes of the keywords it clusters.

Clusters are got or created by name within a scope, so two jobs clustering keywords of one scope
at once would race (two clusters of one name, counts that miss the other job's keywords). One
claim per scope, not per keyword, keeps a 50,000-keyword job at one claim (``docs/decision_log.md``):

- a sector selection claims its scope (``scope#<site>#<sector>``);
- a site selection claims the site's sectors and the site's keywords in no sector;
- the account-wide selection (``unclustered``) claims every scope of the account;
- ids claim the scopes of the keywords they name.
"""

from __future__ import annotations

from typing import Any

from shared.db.claim_tables import scope_claim
from shared.db.models import Keyword, Sector, Site
from shared.db.repo import batch_get, get_one, query_account
from shared.domain.keyword_selection import Selection
from shared.errors import InputInvalid


def scope_refs(account_id: str, payload: dict[str, Any]) -> list[str]:
    """The scope claims of a job's selection (none for a payload INIT will refuse)."""
    try:
        selection = Selection.from_payload(payload)
    except InputInvalid:
        return []
    scopes: set[tuple[int, int]] = set()
    if selection.by_ids:
        for keyword in batch_get(Keyword, account_id, list(selection.ids)):
            scopes.add((int(keyword.site_id or 0), int(keyword.sector_id or 0)))
    elif selection.sector_id is not None:
        sector = get_one(Sector, account_id, selection.sector_id)
        site_id = int(sector.site_id) if sector is not None else int(selection.site_id or 0)
        scopes.add((site_id, selection.sector_id))
    else:
        site_filter = Sector.site_id == selection.site_id if selection.site_id is not None else None
        scopes.update(
            (int(s.site_id), int(s.id))
            for s in query_account(Sector, account_id, filter_condition=site_filter)
        )
        if selection.site_id is not None:
            scopes.add((selection.site_id, 0))
        else:
            scopes.update((int(s.id), 0) for s in query_account(Site, account_id))
            scopes.add((0, 0))
    return sorted(scope_claim(site, sector) for site, sector in scopes)
