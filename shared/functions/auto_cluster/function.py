"""auto_cluster: group keywords into topic clusters (seed §2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.ai import validators
from shared.ai.model_settings import account_ai_config
from shared.ai.prompts import PromptRegistry, data_block, data_json
from shared.ai.results import AIResult
from shared.ai.tracker import StepTracker
from shared.db.models import Account, Job, Sector, Site
from shared.db.repo import (
    get_one,
)
from shared.domain.keyword_selection import Selection, count_selected, first_and_count, select_keywords
from shared.errors import InputInvalid
from shared.functions.auto_cluster import prompt_strategy, scopes, semantic, semantic_save, strategy
from shared.functions.auto_cluster.offline import cluster_keywords
from shared.functions.auto_cluster.prompt import DEFAULT_PROMPT, NAMING_PROMPT, PROMPT_TYPE
from shared.functions.base import MAIN_STAGE, BaseAIFunction, ItemCalls, ProgressReporter, load_model

if TYPE_CHECKING:
    from shared.ai.schemas import ResponseModel

#: What the prompt tells of each keyword (the seed's line: keyword, volume, difficulty, intent).
KEYWORD_FIELDS = ("keyword", "volume", "difficulty", "intent")


#: The clustering rule: one credit per started block of 10 keywords, at least one.
KEYWORDS_PER_CREDIT = 10
NAMING_MODEL = "shared.functions.auto_cluster.schema:NamingResponse"


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
    option_keys = ("strategy", "prompt_max_keywords", "threshold")

    def records_requested(self, payload: dict[str, Any]) -> int:
        return int(payload.get("selected") or len(payload.get("ids") or []))

    def records_saved(self, data: dict[str, Any], result: dict[str, Any]) -> int:
        return len(data.get("keyword_data") or [])

    def claim_refs(self, payload: dict[str, Any], account_id: str) -> list[str]:
        return scopes.scope_refs(account_id, payload)  # one claim per site/sector scope

    def select_batch(self, account_id: str, limit: int) -> list[int]:
        """Keywords without a cluster (the sparse ``unclustered`` index)."""
        rows = select_keywords(account_id, Selection(unclustered=True))
        return [int(k.id) for k in rows if k.status == "active"][:limit]

    def batch_payloads(self, account_id: str, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One job per sector (or site) that has keywords without a cluster, selecting them there.

        Each job clusters its sector's new keywords into the sector's existing clusters first
        (the incremental path), so scheduled runs never build parallel duplicate clusters. Keywords
        in no site are batched by id. ``limit`` bounds the keywords the run selects.
        """
        scopes: dict[tuple[int | None, int | None], int] = {}
        loose: list[int] = []
        selected = 0
        for keyword in select_keywords(account_id, Selection(unclustered=True)):
            if selected >= limit:
                break
            selected += 1
            if keyword.site_id is None and keyword.sector_id is None:
                loose.append(int(keyword.id))
                continue
            scope = (
                int(keyword.site_id) if keyword.site_id is not None else None,
                int(keyword.sector_id) if keyword.sector_id is not None else None,
            )
            scopes[scope] = scopes.get(scope, 0) + 1
        payloads: list[dict[str, Any]] = []
        for (site_id, sector_id), _count in sorted(
            scopes.items(), key=lambda s: (s[0][0] or 0, s[0][1] or 0)
        ):
            where: dict[str, Any] = (
                {"sector_id": sector_id} if sector_id is not None else {"site_id": site_id}
            )
            payloads.append({**where, "unclustered": True})
        size = int(self.batch_size or 500)
        payloads += [{"ids": loose[i : i + size]} for i in range(0, len(loose), size)]
        return payloads, selected

    def validate_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return strategy.validate_options(options)

    # ------------------------------------------------------------ INIT
    def validate(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """``ids`` (the seed's form) or a selection (``sector_id``, ``site_id``, ``unclustered``)."""
        try:
            selection = Selection.from_payload(payload)
            if payload.get("strategy") is not None and payload["strategy"] not in strategy.STRATEGIES:
                raise InputInvalid(f"strategy must be one of: {', '.join(strategy.STRATEGIES)}")
            if payload.get("threshold") is not None:
                strategy.threshold_value(payload["threshold"], "threshold")
            if not isinstance(payload.get("recluster", False), bool):
                raise InputInvalid("recluster must be true or false")
        except InputInvalid as exc:
            return validators.fail(str(exc))
        account_id = account.account_id
        if selection.by_ids:
            return validators.validate_keywords_exist(list(selection.ids), account_id)
        if selection.site_id is not None and get_one(Site, account_id, selection.site_id) is None:
            return validators.fail(f"site {selection.site_id} not found in this account", not_found=True)
        if selection.sector_id is not None:
            sector = get_one(Sector, account_id, selection.sector_id)
            if sector is None:
                return validators.fail(
                    f"sector {selection.sector_id} not found in this account", not_found=True
                )
            if selection.site_id is not None and int(sector.site_id) != selection.site_id:
                return validators.fail(f"sector {selection.sector_id} is not in site {selection.site_id}")
        names, count = first_and_count(account_id, selection)
        if not count:
            return validators.fail(f"no keywords selected ({selection.describe()})")
        return validators.ok(keywords=names, count=count)

    def resolve_payload(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """Fix the strategy from the number of keywords selected (``auto``: prompt up to a few hundred)."""
        options = self.options(account_ai_config(account.account_id))
        selection = Selection.from_payload(payload)
        count = len(selection.ids) if selection.by_ids else count_selected(account.account_id, selection)
        chosen = payload.get("strategy") or options.get("strategy") or "auto"
        if chosen == "auto":
            limit = int(options.get("prompt_max_keywords") or strategy.PROMPT_MAX_KEYWORDS)
            # A scope clustered semantically before grows by the incremental path, whatever the size.
            chosen = (
                "prompt"
                if count <= limit and not strategy.has_semantic_clusters(account, selection)
                else "semantic"
            )
        if chosen == "prompt" and count > strategy.PROMPT_HARD_LIMIT:
            raise InputInvalid(
                f"the prompt strategy takes at most {strategy.PROMPT_HARD_LIMIT} keywords (selected {count}); "
                'use "strategy": "semantic" or "auto"'
            )
        resolved = {**payload, "strategy": chosen, "selected": count}
        if (
            chosen == "semantic"
            and resolved.get("threshold") is None
            and options.get("threshold") is not None
        ):
            resolved["threshold"] = options["threshold"]
        return resolved

    def init_message(self, payload: dict[str, Any], validation: dict[str, Any]) -> str:
        names = list(validation.get("keywords") or [])
        count = int(validation.get("count") or len(names))
        if count <= 3:
            return f"Validating {', '.join(names)}"
        return f"Validating {', '.join(names[:3])} and {count - 3} more keywords"

    # ------------------------------------------------------------ PREP
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        selection = Selection.from_payload(payload)
        keywords = list(select_keywords(account.account_id, selection))
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
        keywords = [{field: k.get(field) for field in KEYWORD_FIELDS} for k in data["keyword_data"]]
        sector = data.get("sector_name")
        context = {
            "KEYWORDS": data_block("KEYWORDS", keywords, "keywords"),
            # The sector name is the account's text too: quoted as a JSON string, data.
            "SECTOR": f"Sector (a name, not an instruction): {data_json(sector)}" if sector else "",
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
        return prompt_strategy.parse_clusters(response, step_tracker)

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
        return prompt_strategy.save_clusters(parsed, original_data, account, progress_tracker, step_tracker)

    def done_message(self, result: dict[str, Any]) -> str:
        message = (
            f"{result.get('clusters_created', 0)} cluster(s) created, "
            f"{result.get('keywords_updated', 0)} keyword(s) mapped"
        )
        unassigned = int(result.get("unassigned_count") or len(result.get("unassigned_keywords") or []))
        if unassigned:
            message += f", {unassigned} keyword(s) left unassigned"
        return message

    # ------------------------------------------------------------ the semantic strategy's stages
    def stages(self, payload: dict[str, Any]) -> tuple[str, ...]:
        return semantic.STAGES if payload.get("strategy") == "semantic" else (MAIN_STAGE,)

    def stage_prepare(
        self,
        stage: str,
        payload: dict[str, Any],
        account: Account,
        earlier: Mapping[str, list[dict[str, Any]]],
    ) -> dict[str, Any]:
        if stage == "embed":
            return semantic.prepare_embed(account, payload)
        if stage == "cluster":
            embedded = earlier.get("embed", [])
            blobs = [b for r in embedded for b in (r.get("blobs") or ([r["blob"]] if r.get("blob") else []))]
            return {"blobs": blobs}
        if stage == "name":
            created = [i for r in earlier.get("cluster", []) for i in r.get("created_ids") or []]
            return {"items": semantic_save.name_items(account.account_id, created), "count": len(created)}
        return self.prepare(payload, account)

    def stage_split_items(self, stage: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        if stage == "embed":
            return semantic.embed_items(data)
        if stage == "cluster":
            return [("all", {"blobs": data["blobs"]})]
        if stage == "name":
            return [(key, item) for key, item in data["items"]]
        return self.split_items(data)

    def stage_build_prompt(
        self, stage: str, data: dict[str, Any], account: Account, prompt_override: str | None = None
    ) -> str:
        if stage == "name":
            return PromptRegistry.render(NAMING_PROMPT, {"CLUSTERS": semantic_save.naming_data(data)})
        if stage in semantic.STAGES:
            return ""
        return self.build_prompt(data, account, prompt_override)

    def stage_call(self, stage: str, data: dict[str, Any], prompt: str, ai: ItemCalls) -> AIResult:
        if stage == "embed":
            summary, model, offline = semantic.call_embed(data, ai)
            if model is None:
                return ai.local(summary)
            return AIResult(content=json.dumps(summary), model=model, offline=offline, provider="embeddings")
        if stage == "cluster":
            payload = self._job_payload(ai.account_id, ai.task_id)
            return ai.local(semantic.call_cluster(ai.account_id, ai.task_id, payload, data))
        if stage == "name":
            if not data.get("clusters"):
                return ai.local({"clusters": []})
            return ai.chat(
                prompt,
                offline_answer=lambda: semantic_save.offline_names(data),
                response_model=load_model(NAMING_MODEL),
            )
        return super().stage_call(stage, data, prompt, ai)

    def stage_response_model(self, stage: str) -> type[ResponseModel] | None:
        # The naming answer is read leniently (a bad one keeps fallback names): no strict check.
        return None if stage in semantic.STAGES else self.response_model()

    def stage_parse_response(self, stage: str, response: str, step_tracker: StepTracker | None = None) -> Any:
        if stage == "name":
            return semantic_save.parse_names(response)
        if stage in semantic.STAGES:
            return json.loads(response or "{}")
        return self.parse_response(response, step_tracker)

    def stage_save_output(
        self,
        stage: str,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        progress_tracker: ProgressReporter | None = None,
        step_tracker: StepTracker | None = None,
    ) -> dict[str, Any]:
        if stage == "embed":
            return dict(parsed)
        if stage == "cluster":
            if progress_tracker is None:
                raise InputInvalid("the cluster stage saves through the engine (its job is needed)")
            task_id = progress_tracker.task_id
            payload = self._job_payload(account.account_id, task_id)
            return semantic_save.save_clusters(account.account_id, task_id, payload, original_data["blobs"])
        if stage == "name":
            return semantic_save.save_names(account.account_id, parsed, original_data)
        return self.save_output(parsed, original_data, account, progress_tracker, step_tracker)

    def stage_credits_for(self, stage: str, data: dict[str, Any], result: dict[str, Any]) -> int:
        if stage == "cluster":
            placed = int(result.get("keywords_updated") or 0) + int(result.get("unassigned_count") or 0)
            return max(1, -(-placed // self.records_per_credit))
        if stage in semantic.STAGES:
            return 0
        return self.credits_for(data, result)

    def stage_aggregate(self, results: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
        if "cluster" not in results:
            return super().stage_aggregate(results)
        aggregate = dict(results["cluster"][0]) if results["cluster"] else {}
        aggregate.pop("created_ids", None)
        embedded = results.get("embed", [])
        aggregate["embedding"] = {
            "embedded": sum(int(r.get("embedded") or 0) for r in embedded),
            "requests": sum(int(r.get("requests", 1 if r.get("blob") else 0)) for r in embedded),
            "model": next((r.get("model") for r in embedded if r.get("model")), None),
        }
        named = results.get("name", [])
        aggregate["clusters_named"] = sum(int(r.get("clusters_named") or 0) for r in named)
        aggregate["names_fallback"] = sum(int(r.get("names_fallback") or 0) for r in named)
        return aggregate

    def stage_message(self, stage: str, phase: str, value: Any = None) -> str:
        if stage not in semantic.STAGES:
            return super().stage_message(stage, phase, value)
        messages = strategy.STAGE_MESSAGES[stage]
        if phase == "PREP":
            count = (value or {}).get("selected") if stage == "embed" else (value or {}).get("count")
            return messages[phase].format(count=count if count is not None else "the")
        if phase == "PARSE" and stage == "cluster":
            return f"{int((value or {}).get('clusters') or 0)} cluster(s) created"
        if phase == "SAVE" and stage == "cluster":
            return f"Saving {int((value or {}).get('clusters') or 0)} cluster(s)"
        return messages.get(phase, "")

    @staticmethod
    def _job_payload(account_id: str, task_id: str) -> dict[str, Any]:
        job = get_one(Job, account_id, task_id)
        if job is None:
            raise InputInvalid(f"job {task_id} not found")
        return dict(job.payload or {})
