"""auto_cluster: group keywords into topic clusters (seed §2)."""

from __future__ import annotations

import json
from typing import Any

from shared.ai import validators
from shared.ai.ai_core import extract_json
from shared.ai.tracker import StepTracker
from shared.db.base import iso_now
from shared.db.models import Account, Cluster, Keyword, Sector
from shared.db.repo import (
    batch_get,
    get_one,
    query_account,
    save_all,
)
from shared.domain.clusters import get_or_create_cluster, keywords_of_cluster
from shared.errors import AIResponseInvalid, InputInvalid
from shared.functions.auto_cluster.offline import cluster_keywords
from shared.functions.auto_cluster.prompt import DEFAULT_PROMPT, PROMPT_TYPE
from shared.functions.base import BaseAIFunction, ProgressReporter

KEYWORD_LINE = "- {keyword} (Volume: {volume}, Difficulty: {difficulty}, Intent: {intent})"


def normalize(text: str) -> str:
    """Case-insensitive, whitespace-insensitive form used to match the AI's keywords to ours."""
    return " ".join(str(text).lower().split())


#: The clustering rule: one credit per started block of 10 keywords, at least one.
KEYWORDS_PER_CREDIT = 10


class AutoClusterFunction(BaseAIFunction):
    name = "auto_cluster"
    display_name = "Auto Cluster Keywords"
    description = "Group related keywords into topic clusters"
    model_defaults = {"max_tokens": 8000, "temperature": 0.3, "response_format": "json_object"}
    prompt_type = PROMPT_TYPE
    default_prompt = DEFAULT_PROMPT
    answer_model = "shared.functions.auto_cluster.schema:ClusteringResponse"
    item_label = "keywords"
    batch_selector = "unclustered"
    batch_size = 500
    prompt_tokens = (400, 25)
    records_per_credit = KEYWORDS_PER_CREDIT

    def records_saved(self, data: dict[str, Any], result: dict[str, Any]) -> int:
        return len(data.get("keyword_data") or [])

    def select_batch(self, account_id: str, limit: int) -> list[int]:
        """Active keywords without a cluster."""
        rows = query_account(Keyword, account_id, filter_condition=(Keyword.status == "active"))
        return [int(k.id) for k in rows if k.cluster_id is None][:limit]

    # ------------------------------------------------------------ INIT
    def validate_records(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        sector_id = payload.get("sector_id")
        if sector_id is not None and (not isinstance(sector_id, int) or isinstance(sector_id, bool)):
            return validators.fail("sector_id must be an integer")
        return validators.validate_keywords_exist(payload["ids"], account.account_id)

    def init_message(self, payload: dict[str, Any], validation: dict[str, Any]) -> str:
        names = list(validation.get("keywords") or [])
        if len(names) <= 3:
            return f"Validating {', '.join(names)}"
        return f"Validating {', '.join(names[:3])} and {len(names) - 3} more keywords"

    # ------------------------------------------------------------ PREP
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        keywords = batch_get(Keyword, account.account_id, payload["ids"])
        sector_id = payload.get("sector_id")
        sector_name = None
        if sector_id is not None:
            keywords = [k for k in keywords if k.sector_id == sector_id]
            sector = get_one(Sector, account.account_id, sector_id)
            sector_name = sector.name if sector is not None else None
            if not keywords:
                raise InputInvalid(f"none of the keywords belong to sector {sector_id}")
        return {
            "keyword_data": [
                {
                    "id": int(k.id),
                    "keyword": k.keyword,
                    "volume": k.volume,
                    "difficulty": k.difficulty,
                    "intent": k.intent,
                }
                for k in keywords
            ],
            "sector_id": sector_id,
            "sector_name": sector_name,
        }

    def prep_message(self, data: dict[str, Any]) -> str:
        return f"Loading {len(data['keyword_data'])} keyword(s)"

    def build_prompt(self, data: dict[str, Any], account: Account, prompt_override: str | None = None) -> str:
        lines = "\n".join(KEYWORD_LINE.format(**k) for k in data["keyword_data"])
        context = {
            "KEYWORDS": lines,
            "SECTOR": f"Sector: {data['sector_name']}" if data.get("sector_name") else "",
        }
        return self.get_prompt(account.account_id, context, prompt_override)

    # ------------------------------------------------------------ AI_CALL
    def ai_call_message(self) -> str:
        return "Generating clusters with Igny8 Semantic SEO Model"

    def offline_answer(self, data: dict[str, Any]) -> Any:
        # Lone keywords stay unassigned (and are reported), as the prompt allows the model to do.
        return cluster_keywords(data["keyword_data"], min_cluster_size=2)

    # ------------------------------------------------------------ PARSE
    def parse_response(self, response: str, step_tracker: StepTracker | None = None) -> list[dict[str, Any]]:
        try:
            value = json.loads(response)
        except ValueError:
            value = extract_json(response)
        if value is None:
            raise AIResponseInvalid("the clustering answer contains no JSON")
        raw = value.get("clusters") if isinstance(value, dict) else value
        if not isinstance(raw, list):
            raise AIResponseInvalid('the clustering answer has no "clusters" list')
        clusters = []
        for entry in raw:
            if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
                continue
            keywords = entry.get("keywords") or []
            if isinstance(keywords, str):
                keywords = [k for k in keywords.split(",")]
            clusters.append(
                {
                    "name": str(entry["name"]).strip()[:200],
                    "description": str(entry.get("description") or "").strip(),
                    "keywords": [str(k).strip() for k in keywords if str(k).strip()],
                }
            )
        if step_tracker is not None:
            step_tracker.add_response_step("PARSE", message=f"{len(clusters)} cluster(s) in the answer")
        return clusters

    def parse_message(self, parsed: Any) -> str:
        return f"{len(parsed)} cluster(s) created"

    # ------------------------------------------------------------ SAVE
    def save_message(self, parsed: Any) -> str:
        return f"Saving {len(parsed)} cluster(s)"

    def save_output(
        self,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        progress_tracker: ProgressReporter | None = None,
        step_tracker: StepTracker | None = None,
    ) -> dict[str, Any]:
        account_id = account.account_id
        keywords = batch_get(Keyword, account_id, [k["id"] for k in original_data["keyword_data"]])
        if not keywords:
            raise InputInvalid("the keywords of this job no longer exist")
        site_id = _int_or_none(keywords[0].site_id)
        sector_id = _int_or_none(keywords[0].sector_id)
        by_text: dict[str, list[Keyword]] = {}
        for keyword in keywords:
            by_text.setdefault(normalize(keyword.keyword), []).append(keyword)

        assigned: dict[int, Keyword] = {}
        previous_cluster = {int(k.id): _int_or_none(k.cluster_id) for k in keywords}
        touched: dict[int, Cluster] = {}
        created = 0
        skipped_empty: list[str] = []
        now = iso_now()
        for entry in parsed:
            matches = [
                k
                for text in entry["keywords"]
                for k in by_text.get(normalize(text), [])
                if int(k.id) not in assigned
            ]
            matches = list({int(k.id): k for k in matches}.values())
            if not matches:
                skipped_empty.append(entry["name"])
                continue
            cluster, was_created = get_or_create_cluster(
                account_id, site_id, sector_id, entry["name"], entry["description"]
            )
            created += int(was_created)
            touched[int(cluster.id)] = cluster
            for keyword in matches:
                keyword.cluster_id = int(cluster.id)
                keyword.cluster_ref = f"{account_id}#{cluster.id}"
                keyword.status = "mapped"
                keyword.updated_at = now
                assigned[int(keyword.id)] = keyword
        save_all(assigned.values())

        # Clusters that lost keywords to another cluster need new totals too.
        for keyword_id, old in previous_cluster.items():
            if old is not None and keyword_id in assigned and int(old) not in touched:
                old_cluster = get_one(Cluster, account_id, int(old))
                if old_cluster is not None:
                    touched[int(old)] = old_cluster
        for cluster_id, cluster in touched.items():
            self._recompute(cluster, cluster_id, assigned, previous_cluster)

        unassigned = [k.keyword for k in keywords if int(k.id) not in assigned]
        return {
            "count": created,
            "clusters_created": created,
            "clusters_updated": len(touched) - created,
            "keywords_updated": len(assigned),
            "clusters": [{"id": cid, "name": c.name} for cid, c in touched.items() if cid in _ids(assigned)],
            "unassigned_keywords": unassigned,
            "empty_clusters_skipped": skipped_empty,
        }

    @staticmethod
    def _recompute(
        cluster: Cluster, cluster_id: int, assigned: dict[int, Keyword], previous: dict[int, int | None]
    ) -> None:
        """Totals from the index, corrected by this job's own writes (GSIs are eventually consistent)."""
        members = {int(k.id): k for k in keywords_of_cluster(cluster.account_id, cluster_id)}
        for keyword_id, keyword in assigned.items():
            if keyword.cluster_id == cluster_id:
                members[keyword_id] = keyword
            elif previous.get(keyword_id) == cluster_id:
                members.pop(keyword_id, None)
        cluster.update(
            actions=[
                Cluster.keywords_count.set(len(members)),
                Cluster.volume.set(sum(k.volume for k in members.values())),
                Cluster.updated_at.set(iso_now()),
            ]
        )

    def done_message(self, result: dict[str, Any]) -> str:
        message = (
            f"{result.get('clusters_created', 0)} cluster(s) created, "
            f"{result.get('keywords_updated', 0)} keyword(s) mapped"
        )
        unassigned = len(result.get("unassigned_keywords") or [])
        if unassigned:
            message += f", {unassigned} keyword(s) left unassigned"
        return message


def _ids(assigned: dict[int, Keyword]) -> set[int]:
    return {int(k.cluster_id) for k in assigned.values() if k.cluster_id is not None}


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)
