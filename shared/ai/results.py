"""What a provider call returns (AIResult, with its accounting) and reading JSON from an answer.

Kept apart from AICore so the providers and the answer schemas can use them without importing
the module that calls the providers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


@dataclass
class AIResult:
    """A model answer with its accounting."""

    content: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    finish_reason: str | None = "stop"
    offline: bool = False
    provider: str = "openai"
    extra: dict[str, Any] = field(default_factory=dict)
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    attempts: int = 1
    max_tokens: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def refusal(self) -> str | None:
        value = self.extra.get("refusal")
        return str(value) if value else None

    def usage_record(self, phase: str) -> dict[str, Any]:
        """What the job records of this call (per phase): tokens, cost, model, outcome."""
        return {
            "phase": phase,
            "model": self.model,
            "provider": self.provider,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost": self.cost,
            "finish_reason": self.finish_reason,
            "max_tokens": self.max_tokens,
            "attempts": self.attempts,
            "offline": self.offline,
        }


def extract_json(text: str | None) -> Any | None:
    """The JSON value in a model answer: bare, in a markdown fence, or with prose around it.

    Returns None when no JSON object or array can be found.
    """
    if not text:
        return None
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    for match in _FENCE.finditer(stripped):
        try:
            return json.loads(match.group(1).strip())
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for index, char in enumerate(stripped):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(stripped, index)
            except ValueError:
                continue
            if isinstance(value, dict | list):
                return value
    return None
