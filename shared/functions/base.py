"""BaseAIFunction: the interface every AI function implements (the seed's base.py).

The engine drives a function through INIT, PREP, AI_CALL, PARSE, SAVE and DONE. Everything a
function returns from ``prepare`` and ``parse_response`` must be JSON-serialisable: the
engine stores it in DynamoDB between phases (each phase may run in a different Lambda).

Work is split into *items*: one AI call each. auto_cluster and generate_ideas make one call
for the whole batch; generate_content makes one call per writer task, and a failed task does
not stop the others (``isolate_item_failures``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from shared.ai import validators
from shared.errors import AIProviderError

if TYPE_CHECKING:
    from pydantic import BaseModel as PydanticModel

    from shared.ai.tracker import ProgressTracker, StepTracker
    from shared.db.models import Account

PHASES = ("INIT", "PREP", "AI_CALL", "PARSE", "SAVE", "DONE")


class BaseAIFunction(ABC):
    """Abstract AI function."""

    #: Shown by ``get_metadata``.
    display_name: str = ""
    description: str = ""

    #: What the ``ids`` of a request name, for messages ("at most 10 clusters per request").
    item_label: str = "ids"

    #: When True, one item's failure is recorded and the other items go on.
    isolate_item_failures: bool = False

    # ------------------------------------------------------------ required
    @abstractmethod
    def get_name(self) -> str:
        """The registry name, e.g. ``auto_cluster``."""

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
        progress_tracker: ProgressTracker | None = None,
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
        return None

    def get_model(self) -> str | None:
        """A model forced by the function itself (None: the account's or the default)."""
        return None

    def validate(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """``ids`` present and within ``get_max_items``, then the function's own record checks."""
        result = validators.validate_ids(payload, self.get_max_items(), self.item_label)
        if not result["valid"]:
            return result
        return self.validate_records(payload, account)

    def validate_records(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        """Checks against the account's data (the records named by ``ids`` exist, plan limits)."""
        return validators.ok()

    def response_model(self) -> type[PydanticModel] | None:
        """The pydantic model of the expected answer, by function name (``shared.ai.schemas``).

        Sent as a JSON schema to models that support structured outputs, and used in PARSE to
        validate every answer before SAVE. None: no schema, no validation.
        """
        from shared.ai.schemas import response_model_for

        return response_model_for(self.get_name())

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
