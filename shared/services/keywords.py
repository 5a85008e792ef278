"""Planner records: bulk keyword import (seed keyword + keyword rows) and reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.db.base import iso_now
from shared.db.models import Counter, Keyword, SeedKeyword
from shared.db.repo import BATCH_GET_LIMIT, allocate_ids, batch_get, save_all

INTENTS = ("informational", "commercial", "transactional", "navigational")


def normalize_keyword(text: str) -> str:
    return " ".join(text.lower().split())


def normalize_intent(raw: str | None) -> str:
    """Keyword tools report intents like "Commercial, Transactional": keep the first known one."""
    for part in str(raw or "").replace("/", ",").split(","):
        value = part.strip().lower()
        for intent in INTENTS:
            if value.startswith(intent[:4]):
                return intent
    return "informational"


@dataclass
class ImportResult:
    created: list[Keyword] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def create_keywords(
    account_id: str, rows: list[dict[str, Any]], site_id: int | None = None, sector_id: int | None = None
) -> ImportResult:
    """Create keywords in bulk; a keyword already in this site/sector is reported, not duplicated.

    Each row: keyword, volume, difficulty, intent, cpc (optional), volume_override and
    difficulty_override (optional).
    """
    result = ImportResult()
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        norm = normalize_keyword(row["keyword"])
        if norm in unique:
            result.duplicates.append(row["keyword"])
        else:
            unique[norm] = row
    if not unique:
        return result
    existing = {s.keyword_norm: s for s in _existing_seeds(account_id, list(unique))}
    slot = f"{site_id or 0}:{sector_id or 0}"
    unwritten = _unwritten_keywords(account_id, existing, slot)
    new_seeds = [norm for norm in unique if norm not in existing]
    seed_ids = iter(allocate_ids(account_id, "seed_keyword", len(new_seeds)))
    to_create = [n for n in unique if n not in existing or slot not in (existing[n].keyword_ids or {})]
    keyword_ids = iter(allocate_ids(account_id, "keyword", len(to_create)))
    now = iso_now()
    seeds_to_save: list[SeedKeyword] = []
    for norm, row in unique.items():
        seed = existing.get(norm)
        if seed is None:
            seed = SeedKeyword(
                account_id,
                norm,
                id=next(seed_ids),
                keyword=row["keyword"].strip(),
                volume=int(row.get("volume") or 0),
                difficulty=int(row.get("difficulty") or 0),
                intent=normalize_intent(row.get("intent")),
                cpc=row.get("cpc"),
                keyword_ids={},
            )
        elif norm in unwritten:
            pass  # an earlier import recorded the keyword but failed before writing it: write it now
        elif slot in (seed.keyword_ids or {}):
            result.duplicates.append(row["keyword"])
            continue
        keyword = Keyword(
            account_id,
            unwritten[norm] if norm in unwritten else next(keyword_ids),
            seed_keyword_id=int(seed.id),
            keyword=seed.keyword,
            seed_volume=int(seed.volume or 0),
            seed_difficulty=int(seed.difficulty or 0),
            intent=seed.intent,
            volume_override=row.get("volume_override"),
            difficulty_override=row.get("difficulty_override"),
            site_id=site_id,
            sector_id=sector_id,
            status="active",
            created_at=now,
            updated_at=now,
        )
        if norm not in unwritten:
            seed.keyword_ids = {**(seed.keyword_ids or {}), slot: int(keyword.id)}
            seeds_to_save.append(seed)
        result.created.append(keyword)
    # Seeds first: a seed records its keyword's id before the keyword row exists, so a write that
    # fails part-way leaves nothing visible, and the retry finds the recorded ids without rows
    # (``_unwritten_keywords``) and writes those keywords under the same ids: never a duplicate.
    save_all(seeds_to_save)
    save_all(result.created)
    return result


def _unwritten_keywords(account_id: str, seeds: dict[str, SeedKeyword], slot: str) -> dict[str, int]:
    """``{norm: keyword id}`` of the seeds whose keyword in ``slot`` was recorded but never written.

    An import that failed between writing its seeds and writing its keywords leaves such ids; a
    keyword deleted since is no such case (a delete clears the seed's slot too).
    """
    recorded = {
        norm: int(seed.keyword_ids[slot]) for norm, seed in seeds.items() if slot in (seed.keyword_ids or {})
    }
    if not recorded:
        return {}
    written = {
        int(k.id) for k in batch_get(Keyword, account_id, list(recorded.values()), consistent_read=True)
    }
    return {norm: kid for norm, kid in recorded.items() if kid not in written}


#: Seed rows one Query page (1 MB) returns, conservatively (a row is ~150-250 bytes).
SEEDS_PER_QUERY_PAGE = 4000


def _existing_seeds(account_id: str, norms: list[str]) -> list[SeedKeyword]:
    """The account's seed keywords among ``norms``, in the fewest requests.

    The seed-id counter (one consistent GetItem) bounds how many seed rows the account has: none,
    and nothing is read; few enough that one Query of all of them takes fewer pages than
    BatchGetItem takes requests (100 keys each), and they are queried; else they are batch-read.
    A 50,000-row export into a new account so reads ~50 pages instead of 500 BatchGetItems.
    """
    try:
        known = int(Counter.get(account_id, "seed_keyword", consistent_read=True).value or 0)
    except Counter.DoesNotExist:
        return []
    if not known:
        return []
    if known / SEEDS_PER_QUERY_PAGE < len(norms) / BATCH_GET_LIMIT:
        wanted = set(norms)
        return [seed for seed in SeedKeyword.query(account_id) if seed.keyword_norm in wanted]
    return _batch_get_seeds(account_id, norms)


def _batch_get_seeds(account_id: str, norms: list[str]) -> list[SeedKeyword]:
    found: list[SeedKeyword] = []
    for start in range(0, len(norms), 100):
        found.extend(SeedKeyword.batch_get([(account_id, n) for n in norms[start : start + 100]]))
    return found


def keyword_view(keyword: Keyword) -> dict[str, Any]:
    return {
        "id": int(keyword.id),
        "keyword": keyword.keyword,
        "volume": keyword.volume,
        "difficulty": keyword.difficulty,
        "intent": keyword.intent,
        "volume_override": keyword.volume_override,
        "difficulty_override": keyword.difficulty_override,
        "cluster_id": keyword.cluster_id,
        "status": keyword.status,
        "site_id": keyword.site_id,
        "sector_id": keyword.sector_id,
        "created_at": keyword.created_at,
    }
