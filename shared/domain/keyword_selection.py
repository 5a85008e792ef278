"""Which keywords a job works on: explicit ids, or a selection (site, sector, unclustered).

A selection never lists 50,000 ids: it is resolved by Queries on the keyword indexes
(``by_sector``, ``by_site``, the sparse ``unclustered``), never by a Scan or a filter over a whole
account. Combinations narrow by the most selective index first (sector, then site, then
unclustered) and filter the rest within that index's partition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from shared.db.models import Keyword
from shared.db.repo import batch_get
from shared.errors import InputInvalid


def _positive_int(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputInvalid(f"{name} must be a positive integer")
    return value


@dataclass(frozen=True)
class Selection:
    ids: tuple[int, ...] = ()
    site_id: int | None = None
    sector_id: int | None = None
    unclustered: bool = False

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Selection:
        ids = payload.get("ids")
        if ids is not None and (
            not isinstance(ids, list)
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
        ):
            raise InputInvalid("ids must be a list of positive integers")
        unclustered = payload.get("unclustered", False)
        if not isinstance(unclustered, bool):
            raise InputInvalid("unclustered must be true or false")
        selection = cls(
            ids=tuple(ids or ()),
            site_id=_positive_int(payload, "site_id"),
            sector_id=_positive_int(payload, "sector_id"),
            unclustered=unclustered,
        )
        if (
            not selection.ids
            and selection.site_id is None
            and selection.sector_id is None
            and not unclustered
        ):
            raise InputInvalid(
                'select the keywords: give "ids", or a selection such as {"sector_id": 3}, '
                '{"site_id": 1} or {"unclustered": true}'
            )
        return selection

    @property
    def by_ids(self) -> bool:
        return bool(self.ids)

    def matches(self, keyword: Keyword) -> bool:
        if self.site_id is not None and keyword.site_id != self.site_id:
            return False
        if self.sector_id is not None and keyword.sector_id != self.sector_id:
            return False
        return not (self.unclustered and keyword.cluster_id is not None)

    def describe(self) -> str:
        if self.by_ids:
            return f"{len(self.ids)} keyword id(s)"
        parts = [f"site {self.site_id}"] if self.site_id is not None else []
        parts += [f"sector {self.sector_id}"] if self.sector_id is not None else []
        parts += ["unclustered keywords"] if self.unclustered else []
        return ", ".join(parts)


def select_keywords(account_id: str, selection: Selection) -> Iterator[Keyword]:
    """The account's keywords of a selection, in id order (ids form: in the order given)."""
    if selection.by_ids:
        rows: Any = batch_get(Keyword, account_id, list(selection.ids))
    elif selection.sector_id is not None:
        rows = Keyword.by_sector.query(f"{account_id}#{selection.sector_id}")
    elif selection.site_id is not None:
        rows = Keyword.by_site.query(f"{account_id}#{selection.site_id}")
    else:
        rows = Keyword.unclustered.query(account_id)
    for keyword in rows:
        if keyword.account_id == account_id and selection.matches(keyword):
            yield keyword


def count_selected(account_id: str, selection: Selection) -> int:
    """How many keywords a selection holds: a COUNT Query on its index (no row is read out).

    The same index and conditions as ``select_keywords``; the ids form counts the rows found.
    """
    if selection.by_ids:
        return sum(1 for _ in select_keywords(account_id, selection))
    conditions: list[Any] = []
    if selection.sector_id is not None:
        index: Any = Keyword.by_sector
        hash_key = f"{account_id}#{selection.sector_id}"
        if selection.site_id is not None:
            conditions.append(Keyword.site_id == selection.site_id)
    elif selection.site_id is not None:
        index, hash_key = Keyword.by_site, f"{account_id}#{selection.site_id}"
    else:
        index, hash_key = Keyword.unclustered, account_id
    if selection.unclustered and index is not Keyword.unclustered:
        conditions.append(Keyword.cluster_id.does_not_exist())
    condition = None
    for part in conditions:
        condition = part if condition is None else condition & part
    return int(index.count(hash_key, filter_condition=condition))


def first_and_count(account_id: str, selection: Selection, first: int = 3) -> tuple[list[str], int]:
    """The texts of the first ``first`` selected keywords and how many are selected.

    The texts come from the first page of the selection; the count from a COUNT Query, so a
    50,000-keyword selection is never read out to be counted.
    """
    names = [keyword.keyword for keyword in islice(select_keywords(account_id, selection), first)]
    if not names:
        return [], 0
    return names, count_selected(account_id, selection)
