"""PromptRegistry (the seed's prompts.py): three-level prompt resolution and placeholders.

Resolution order: the job's own ``prompt_override`` -> the account's prompt stored in DynamoDB
(``AIPrompt``) -> the function's default prompt (each function declares its own, with its
prompt type, in its folder under ``shared/functions/``). Context values replace ``[IGNY8_<NAME>]`` placeholders.
"""

from __future__ import annotations

from typing import Any

from shared.db.models import AIPrompt
from shared.db.repo import get_one

JSON_INSTRUCTION = "Respond only with valid JSON."


class PromptRegistry:
    """Resolves and renders prompts."""

    @classmethod
    def get_prompt(
        cls,
        function_name: str,
        account_id: str | None = None,
        context: dict[str, Any] | None = None,
        prompt_override: str | None = None,
        default: str = "",
    ) -> str:
        """The resolved prompt with every ``[IGNY8_*]`` placeholder of ``context`` replaced.

        ``default`` is the function's own default prompt (``BaseAIFunction.default_prompt``).
        """
        template = prompt_override or cls.account_prompt(function_name, account_id) or default
        return cls.render(template, context or {})

    @staticmethod
    def render(template: str, context: dict[str, Any]) -> str:
        rendered = template
        for key, value in context.items():
            rendered = rendered.replace(f"[IGNY8_{key.upper()}]", "" if value is None else str(value))
        # Placeholders the context did not fill (e.g. an optional sector) are removed.
        for name in ("SECTOR", "KEYWORDS", "CLUSTERS", "CLUSTER_KEYWORDS", "IDEA", "CLUSTER"):
            rendered = rendered.replace(f"[IGNY8_{name}]", "")
        return rendered

    @staticmethod
    def account_prompt(function_name: str, account_id: str | None) -> str | None:
        """The account's own prompt for the function (the seed's DB prompt), or None."""
        if not account_id:
            return None
        record = get_one(AIPrompt, account_id, function_name)
        return record.prompt_value if record is not None and record.prompt_value else None

    @staticmethod
    def ensure_json_instruction(prompt: str) -> str:
        """The seed adds a JSON-mode instruction when the prompt lacks one."""
        if "json" in prompt.lower():
            return prompt
        return f"{prompt.rstrip()}\n\n{JSON_INSTRUCTION}"
