"""BaseAIFunction: the interface every AI function implements (the seed's base.py).

A function owns its knowledge: its class declares its name and aliases, its default model
settings (the seed's MODEL_CONFIG entry), its prompt type and default prompt, the pydantic model
of its answer, its credit rule and budget estimate, the label of its units, its item limit and
its scheduled-batch selector. Nothing about one function is kept in a table elsewhere; the
registry maps names to classes.

The engine drives a function through INIT, PREP, AI_CALL, PARSE, SAVE and DONE. Everything a
function returns from ``prepare`` and ``parse_response`` must be JSON-serialisable: the
engine stores it in DynamoDB between phases (each phase may run in a different Lambda).

Work is split into *items*: one AI call each. auto_cluster and generate_ideas make one call
for the whole batch; generate_content makes one call per writer task, and a failed task does
not stop the others (``isolate_item_failures``).

A job runs the *stages* ``stages(payload)`` names, in order (one, ``"main"``, by default): each
stage is PREP, then AI_CALL -> PARSE -> SAVE for each of its items. The engine calls only the
``stage_*`` hooks; each passes the stage name to a twin of a single-stage hook and by default
calls that hook, so a one-stage function implements only the hooks above them. An item's call
is a chat completion by default (``stage_call``); a stage may make an embeddings request or
compute locally instead.
"""

from __future__ import annotations

import importlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from shared.ai import validators
from shared.ai.model_settings import ModelConfig, get_model_config
from shared.ai.prompts import PromptRegistry
from shared.db.claim_tables import record_claim
from shared.errors import AIProviderError, InputInvalid

if TYPE_CHECKING:
    from shared.ai.ai_core import AIResult
    from shared.ai.embeddings import EmbeddingConfig, EmbeddingResult
    from shared.ai.schemas import ResponseModel
    from shared.ai.tracker import StepTracker
    from shared.db.models import Account


class ProgressReporter(Protocol):
    """What a function may report progress through (the engine's ProgressTracker)."""

    account_id: str
    task_id: str

    def update(self, phase: str, percent: int, message: str, **extra: Any) -> None: ...


class ItemCalls(Protocol):
    """What ``stage_call`` may call through (the engine's ``ItemCall``)."""

    account_id: str
    task_id: str

    def chat(
        self, prompt: str, offline_answer: Callable[[], Any] | None = None, response_model: Any = None
    ) -> AIResult: ...

    def record(self, result: AIResult, phase: str = "AI_CALL") -> AIResult: ...

    def local(self, content: Any) -> AIResult: ...

    def embed(self, texts: list[str], config: EmbeddingConfig) -> EmbeddingResult: ...


def load_model(path: str) -> type[ResponseModel]:
    """An answer model given as ``"module:Class"``, imported on first use (pydantic loads then)."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


PHASES = ("INIT", "PREP", "AI_CALL", "PARSE", "SAVE", "DONE")
#: The stage of a single-stage function.
MAIN_STAGE = "main"


class BaseAIFunction(ABC):
    """Abstract AI function."""

    #: The registry name (the seed's ``get_name``), e.g. ``auto_cluster``.
    name: ClassVar[str] = ""
    #: Shown by ``get_metadata``.
    display_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: The seed's MODEL_CONFIG entry: max_tokens, temperature, response_format.
    model_defaults: ClassVar[Mapping[str, Any]] = {
        "max_tokens": 4000,
        "temperature": 0.7,
        "response_format": "json_object",
    }
    #: The seed's prompt type, and the default prompt (PromptRegistry's last fallback).
    prompt_type: ClassVar[str] = ""
    default_prompt: ClassVar[str] = ""
    #: The pydantic model of the answer (sent as a JSON schema, validated in PARSE), or None.
    #: Given as ``"module:Class"`` and imported on first use, so the phases that never see an
    #: answer (INIT, PREP, SAVE, DONE) do not load pydantic.
    answer_model: ClassVar[str | None] = None
    #: What the ``ids`` of a request name, for messages ("at most 10 clusters per request").
    item_label: ClassVar[str] = "ids"
    #: The seed's ``get_max_items``: ids per request (None: no limit).
    max_items: ClassVar[int | None] = None
    #: The scheduled-batch selector that feeds this function (``select_batch``), or None.
    batch_selector: ClassVar[str | None] = None
    #: Ids per job a scheduled batch starts (None: ``max_items``).
    batch_size: ClassVar[int | None] = None
    #: Prompt size in tokens for the cost estimate: (fixed part, per requested record).
    prompt_tokens: ClassVar[tuple[int, int]] = (1000, 0)
    #: The credit rule: one credit per started block of this many records (the seed's
    #: ``_calculate_credits_for_clustering`` uses 10 keywords), at least one per saved item.
    records_per_credit: ClassVar[int] = 1
    #: When True, one item's failure is recorded and the other items go on.
    isolate_item_failures: ClassVar[bool] = False
    #: The function's own settings an account may set under ``functions.<name>`` (besides the
    #: model settings), checked by ``validate_options``.
    option_keys: ClassVar[tuple[str, ...]] = ()
    #: The record kind a job claims per id of its payload while it runs (``cluster``: ``cluster#12``,
    #: ``shared.db.claim_tables``), so no two jobs change one record at once; None: no claims
    #: (unless ``claim_refs`` says otherwise).
    claim_kind: ClassVar[str | None] = None

    def get_name(self) -> str:
        return self.name

    @abstractmethod
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """Load what the prompt needs (JSON-serialisable)."""

    @abstractmethod
    def build_prompt(self, data: dict[str, Any], account: Account, prompt_override: str | None = None) -> str:
        """Build the prompt of one item from its prepared data."""

    @abstractmethod
    def parse_response(self, response: str, step_tracker: StepTracker | None = None) -> Any:
        """Turn the model's answer into structured data (JSON-serialisable)."""

    @abstractmethod
    def save_output(
        self,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        progress_tracker: ProgressReporter | None = None,
        step_tracker: StepTracker | None = None,
    ) -> dict[str, Any]:
        """Persist the parsed answer; return counts for the job result."""

    # ------------------------------------------------------------ optional
    def get_metadata(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name or self.get_name(),
            "description": self.description,
            "phases": list(PHASES),
        }

    def get_max_items(self) -> int | None:
        return self.max_items

    def get_model(self) -> str | None:
        """A model forced by the function itself (None: the account's or the default)."""
        return None

    def validate(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """``ids`` present and within ``get_max_items``, then the function's own record checks."""
        result = validators.validate_ids(payload, self.get_max_items(), self.item_label)
        if not result["valid"]:
            return result
        return self.validate_records(payload, account)

    def resolve_payload(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """The payload the job stores, with what depends on the account's data resolved (called
        once, when the job is accepted; ``stages`` must follow from the stored payload alone)."""
        return payload

    def validate_records(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """Checks against the account's data (the records named by ``ids`` exist, plan limits)."""
        return validators.ok()

    def response_model(self) -> type[ResponseModel] | None:
        """The pydantic model of the expected answer (``answer_model``).

        Sent as a JSON schema to models that support structured outputs, and used in PARSE to
        validate every answer before SAVE. None: no schema, no validation.
        """
        return load_model(self.answer_model) if self.answer_model else None

    # ------------------------------------------------------------ model settings and prompts
    def model_config(
        self,
        account_id: str | None = None,
        model_override: str | None = None,
        account_config: Mapping[str, Any] | None = None,
    ) -> ModelConfig:
        """The seed's ``get_model_config``: this function's defaults with the account's overrides."""
        return get_model_config(
            self.name, self.model_defaults, account_id, self.get_model() or model_override, account_config
        )

    def get_prompt(
        self, account_id: str | None, context: dict[str, Any], prompt_override: str | None = None
    ) -> str:
        """The resolved prompt (job override -> account prompt -> ``default_prompt``) with JSON mode."""
        prompt = PromptRegistry.get_prompt(
            self.name, account_id, context, prompt_override, default=self.default_prompt
        )
        if self.model_defaults.get("response_format") == "json_object":
            return PromptRegistry.ensure_json_instruction(prompt)
        return prompt

    def validate_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The function's own account settings, validated (raise InputInvalid saying what to fix)."""
        if options:
            raise InputInvalid(f"{self.name} has no options; remove {', '.join(sorted(options))}")
        return {}

    def options(self, account_config: Mapping[str, Any]) -> dict[str, Any]:
        """The account's options for this function (``functions.<name>``), unvalidated keys dropped."""
        stored = (account_config.get("functions") or {}).get(self.name) or {}
        return {k: stored[k] for k in self.option_keys if k in stored}

    # ------------------------------------------------------------ credits and budget
    def records_requested(self, payload: dict[str, Any]) -> int:
        """How many records a job's payload selects (``ids``), for estimates."""
        return len(payload.get("ids") or [])

    def records_saved(self, data: dict[str, Any], result: dict[str, Any]) -> int:
        """How many records one saved item covered, for the charge. Default: one."""
        return 1

    def credits_for(self, data: dict[str, Any], result: dict[str, Any]) -> int:
        """Credits one saved item costs."""
        return max(1, math.ceil(self.records_saved(data, result) / self.records_per_credit))

    def estimate_credits(self, payload: dict[str, Any]) -> int:
        """Credits a job will cost at most, from its payload (before anything is loaded)."""
        return max(1, math.ceil(self.records_requested(payload) / self.records_per_credit))

    def estimate_calls(self, payload: dict[str, Any]) -> int:
        """AI calls a job makes, for the cost estimate. Default: one for the whole job."""
        return 1

    def estimate_prompt_tokens(self, payload: dict[str, Any]) -> int:
        """Input tokens of one call, for the cost estimate."""
        fixed, per_record = self.prompt_tokens
        return fixed + per_record * self.records_requested(payload)

    # ------------------------------------------------------------ record claims
    def claim_refs(self, payload: dict[str, Any], account_id: str) -> list[str]:
        """The records a job with this payload changes, claimed from its acceptance to its end
        (``shared.engine.claims``): by default one ``claim_kind`` ref per id of the payload."""
        if not self.claim_kind:
            return []
        ids = payload.get("ids")
        if not isinstance(ids, list):
            return []
        return [
            record_claim(self.claim_kind, i) for i in ids if isinstance(i, int) and not isinstance(i, bool)
        ]

    # ------------------------------------------------------------ scheduled batches
    def batch_payloads(self, account_id: str, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The jobs a scheduled batch starts, and how many records they select: by default the
        ids of ``select_batch`` in jobs of ``batch_size`` (else ``max_items``) ids."""
        ids = self.select_batch(account_id, limit)
        size = self.batch_size or self.get_max_items() or len(ids) or 1
        return [{"ids": ids[i : i + size]} for i in range(0, len(ids), size)], len(ids)

    def select_batch(self, account_id: str, limit: int) -> list[int]:
        """Ids of the account's pending work for ``batch_selector`` (a Query, never a Scan)."""
        raise InputInvalid(f"{self.name} has no scheduled-batch selector")

    def offline_answer(self, data: dict[str, Any]) -> Any:
        """The local provider's answer for one item when no AI key is configured."""
        raise AIProviderError(f"{self.get_name()} has no offline mode; configure an OpenAI API key")

    def split_items(self, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Split prepared data into AI calls: ``[(item_key, item_data)]``. Default: one call."""
        return [("all", data)]

    def on_item_failed(self, item: str, error: str, account: Account) -> None:  # noqa: B027 - optional hook
        """Hook: record a failed item on the domain records (e.g. mark a task failed)."""

    def aggregate(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """Combine per-item save results into the job result."""
        if len(results) == 1:
            return dict(results[0])
        merged: dict[str, Any] = {}
        for result in results:
            for key, value in result.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    merged[key] = merged.get(key, 0) + value
        return merged

    # ------------------------------------------------------------ progress messages
    def init_message(self, payload: dict[str, Any], validation: dict[str, Any]) -> str:
        return "Validating input"

    def prep_message(self, data: dict[str, Any]) -> str:
        return "Preparing data"

    def ai_call_message(self) -> str:
        return "Calling the AI model"

    def parse_message(self, parsed: Any) -> str:
        return "Parsing the answer"

    def save_message(self, parsed: Any) -> str:
        return "Saving results"

    def done_message(self, result: dict[str, Any]) -> str:
        return "Done"

    # ------------------------------------------------------------ stages
    def stages(self, payload: dict[str, Any]) -> tuple[str, ...]:
        """The stages a job with this payload runs, in order (a pure function of the payload)."""
        return (MAIN_STAGE,)

    def stage_prepare(
        self,
        stage: str,
        payload: dict[str, Any],
        account: Account,
        earlier: Mapping[str, list[dict[str, Any]]],
    ) -> dict[str, Any]:
        """PREP of ``stage``; ``earlier`` holds the save results of the stages before it, by stage."""
        return self.prepare(payload, account)

    def stage_split_items(self, stage: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return self.split_items(data)

    def stage_build_prompt(
        self, stage: str, data: dict[str, Any], account: Account, prompt_override: str | None = None
    ) -> str:
        """The item's prompt ("" for a stage whose call needs none)."""
        return self.build_prompt(data, account, prompt_override)

    def stage_call(self, stage: str, data: dict[str, Any], prompt: str, ai: ItemCalls) -> AIResult:
        """AI_CALL of one item: by default the chat completion of its prompt.

        Another call (an embeddings request) reports each provider answer through
        ``ai.record(result)``; local compute returns ``ai.local(content)``. The returned result's
        ``content`` is what ``stage_parse_response`` gets.
        """
        return ai.chat(
            prompt,
            offline_answer=lambda: self.offline_answer(data),
            response_model=self.stage_response_model(stage),
        )

    def stage_response_model(self, stage: str) -> type[ResponseModel] | None:
        return self.response_model()

    def stage_parse_response(self, stage: str, response: str, step_tracker: StepTracker | None = None) -> Any:
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
        return self.save_output(parsed, original_data, account, progress_tracker, step_tracker)

    def stage_credits_for(self, stage: str, data: dict[str, Any], result: dict[str, Any]) -> int:
        return self.credits_for(data, result)

    def stage_aggregate(self, results: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
        """The job result from the save results of every stage (by stage, in stage order)."""
        return self.aggregate([result for stage_results in results.values() for result in stage_results])

    def stage_message(self, stage: str, phase: str, value: Any = None) -> str:
        """The progress message of ``phase`` in ``stage``; ``value`` is what the seed's message takes."""
        if phase == "PREP":
            return self.prep_message(value)
        if phase == "AI_CALL":
            return self.ai_call_message()
        if phase == "PARSE":
            return self.parse_message(value)
        if phase == "SAVE":
            return self.save_message(value)
        return self.done_message(value)
