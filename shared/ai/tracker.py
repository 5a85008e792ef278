"""Trackers (the seed's tracker.py): request/response steps, progress, cost.

ProgressTracker writes to the Job record in DynamoDB, so the API can report progress while
the state machine runs. Percent ranges per phase follow the seed:
INIT 0-10, PREP 10-25, AI_CALL 25-70, PARSE 70-85, SAVE 85-98, DONE 98-100.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.db.base import bind_models, iso_now
from shared.db.models import Job

log = logging.getLogger(__name__)

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


class ProgressTracker:
    """Writes phase, percent and message to the job record; percent and history never go backwards."""

    def __init__(self, account_id: str, task_id: str) -> None:
        self.account_id = account_id
        self.task_id = task_id

    def update(self, phase: str, percent: int, message: str, **extra: Any) -> None:
        bind_models()
        job = Job(self.account_id, self.task_id)
        entry = {"phase": phase, "progress": percent, "message": message, "at": iso_now()}
        actions: list[Any] = [Job.updated_at.set(str(entry["at"]))]
        for name, value in extra.items():
            actions.append(getattr(Job, name).set(value))
        try:
            job.update(
                actions=[
                    *actions,
                    Job.history.set((Job.history | []).append([entry])),  # type: ignore[arg-type]
                    Job.phase.set(phase),
                    Job.progress.set(percent),
                    Job.message.set(message),
                ],
                condition=Job.progress <= percent,
            )
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                raise
            # Another item already moved the job further on: the job's progress and history
            # stay monotonic; this item's own phase is on its JobItem.
            if extra:
                job.update(actions=actions)
        log.info("progress", extra={"task_id": self.task_id, "phase": phase, "progress": percent})
