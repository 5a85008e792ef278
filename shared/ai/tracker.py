"""Trackers (the seed's tracker.py): request/response steps, cost, and the phases' percent ranges.

The seed's ProgressTracker writes the Job record, so it lives with the job store
(``shared.engine.store``). Percent ranges per phase follow the seed:
INIT 0-10, PREP 10-25, AI_CALL 25-70, PARSE 70-85, SAVE 85-98, DONE 98-100.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

PHASE_RANGES: dict[str, tuple[int, int]] = {
    "INIT": (0, 10),
    "PREP": (10, 25),
    "AI_CALL": (25, 70),
    "PARSE": (70, 85),
    "SAVE": (85, 98),
    "DONE": (98, 100),
}


def phase_percent(phase: str, fraction: float = 1.0) -> int:
    """Percent at ``fraction`` (0..1) of the way through ``phase``."""
    start, end = PHASE_RANGES[phase]
    fraction = min(max(fraction, 0.0), 1.0)
    return int(round(start + (end - start) * fraction))


@dataclass
class StepTracker:
    """Request and response steps of one run, as the seed logs them to AITaskLog."""

    request_steps: list[dict[str, Any]] = field(default_factory=list)
    response_steps: list[dict[str, Any]] = field(default_factory=list)
    _started: float = field(default_factory=time.perf_counter)

    def _add(self, steps: list[dict[str, Any]], name: str, status: str, message: str) -> None:
        steps.append(
            {
                "stepNumber": len(self.request_steps) + len(self.response_steps) + 1,
                "stepName": name,
                "status": status,
                "message": message,
                "duration_ms": int((time.perf_counter() - self._started) * 1000),
            }
        )

    def add_request_step(self, name: str, status: str = "success", message: str = "") -> None:
        self._add(self.request_steps, name, status, message)

    def add_response_step(self, name: str, status: str = "success", message: str = "") -> None:
        self._add(self.response_steps, name, status, message)


@dataclass
class CostTracker:
    """Tokens and cost of one or more AI calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    calls: int = 0

    def record(self, input_tokens: int, output_tokens: int, cost: float) -> None:
        self.input_tokens += int(input_tokens)
        self.output_tokens += int(output_tokens)
        self.cost += float(cost)
        self.calls += 1

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
