"""What every phase loads from the small job state: the account, the job, the function, the stage.

The state carries ids only: ``task_id``, ``account_id``, ``function_name``, ``stage`` (the index
of the running stage) and, in item phases, ``item``. Everything else is read from DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.ai.model_settings import ModelConfig
from shared.db.models import Account, Job
from shared.db.repo import get_account
from shared.engine import store
from shared.engine.store import IDS, ProgressTracker, State
from shared.errors import InputInvalid, NotFound
from shared.functions.base import MAIN_STAGE, BaseAIFunction
from shared.functions.registry import get_function_instance


@dataclass
class JobContext:
    state: State
    job: Job
    fn: BaseAIFunction
    progress: ProgressTracker
    #: The stages the function declares for this job's payload, and the index of the running one.
    stages: tuple[str, ...]
    stage_index: int
    _account: Account | None = None

    @property
    def account(self) -> Account:
        """The job's account, read on first use (PARSE never needs it: one read less per item)."""
        if self._account is None:
            account = get_account(self.state["account_id"])
            if account is None:
                raise NotFound(f"account {self.state['account_id']} not found")
            self._account = account
        return self._account

    @property
    def job_ref(self) -> str:
        return store.job_ref(self.job)

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.job.payload or {})

    @property
    def stage(self) -> str:
        return self.stages[min(self.stage_index, len(self.stages) - 1)]

    @property
    def multi_stage(self) -> bool:
        return len(self.stages) > 1

    @property
    def stage_label(self) -> str | None:
        """The stage name for records and progress entries, None for single-stage jobs."""
        return self.stage if self.multi_stage else None

    def base_state(self) -> State:
        return {**store.ids(self.state), "stage": self.stage_index}

    def percent(self, phase: str, fraction: float = 1.0) -> int:
        return store.stage_percent(phase, fraction, self.stage_index, len(self.stages))

    def report(self, phase: str, fraction: float, message: str, **extra: Any) -> None:
        percent = self.percent(phase, fraction)
        if not extra and int(self.job.progress or 0) > percent:
            # Progress never goes back: the tracker's conditional write would be refused (the job
            # row read at load is at most as far on as the stored one), so it is not sent.
            return
        self.progress.update(phase, percent, message, stage=self.stage_label, **extra)

    def model_config(self) -> ModelConfig:
        return self.fn.model_config(self.account.account_id, self.payload.get("model"))


def load_context(state: State) -> JobContext:
    missing = [k for k in IDS if not state.get(k)]
    if missing:
        raise InputInvalid(f"job state lacks {', '.join(missing)}")
    job = store.load_job(state["account_id"], state["task_id"])
    fn = get_function_instance(job.function_name)
    stages = tuple(fn.stages(dict(job.payload or {}))) or (MAIN_STAGE,)
    index = int(state.get("stage") or 0)
    return JobContext(state, job, fn, ProgressTracker(job.account_id, job.task_id), stages, index)
