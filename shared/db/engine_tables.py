"""Tables of the AI engine: jobs, their items (prompts, answers, parsed results) and AITaskLog."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from shared.db.base import BaseModel, CompressedJSONAttribute, iso_now
from shared.db.derived import DerivedKeysModel, ref

JobStatus = Literal["pending", "running", "completed", "failed"]
JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)


class JobByCreated(GlobalSecondaryIndex["Job"]):
    """An account's jobs by creation time: the jobs list, newest first (ScanIndexForward=False)."""

    class Meta:
        index_name = "by_created"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class JobByFunction(GlobalSecondaryIndex["Job"]):
    """An account's jobs of one function (``{account}#{function}``) by creation time."""

    class Meta:
        index_name = "by_function"
        projection = AllProjection()

    function_ref = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class JobByStatus(GlobalSecondaryIndex["Job"]):
    """An account's jobs of one status (``{account}#{status}``) by creation time."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_ref = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class JobByFunctionStatus(GlobalSecondaryIndex["Job"]):
    """An account's jobs of one function and status (``{account}#{function}#{status}``)."""

    class Meta:
        index_name = "by_function_status"
        projection = AllProjection()

    function_status_ref = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class JobByUnstarted(GlobalSecondaryIndex["Job"]):
    """Sparse index of the jobs accepted but not started yet (``unstarted`` is set only on them),
    oldest first: the reaper finds the jobs whose StartExecution never happened (``shared.services.reaper``).
    Keys only: the reaper reads each job it considers consistently anyway."""

    class Meta:
        index_name = "by_unstarted"
        projection = KeysOnlyProjection()

    unstarted = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


#: The one value of ``Job.unstarted`` (the index's hash key): the reaper reads one partition.
UNSTARTED = "pending"


class Job(DerivedKeysModel):
    """One AI job: what the API returns for GET /v1/jobs/{task_id}.

    The list indexes' keys (``function_ref``, ``status_ref``, ``function_status_ref``) are derived
    from the record on every write (``shared.db.derived``)."""

    table_suffix = "jobs"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute(range_key=True)
    function_name = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | running | completed | failed
    phase = UnicodeAttribute(default="QUEUED")
    progress = NumberAttribute(default=0)
    message = UnicodeAttribute(default="Queued")
    mode = UnicodeAttribute(default="async")  # async (Step Functions) | sync (in process)
    payload = JSONAttribute(default=dict)
    result = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    error_type = UnicodeAttribute(null=True)
    history: ListAttribute[Any] = ListAttribute(default=list)  # [{phase, progress, message, at}]
    items_total = NumberAttribute(default=0)
    items_done = NumberAttribute(default=0)
    items_failed = NumberAttribute(default=0)
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost = NumberAttribute(default=0)
    credits = NumberAttribute(default=0)
    # Credits reserved from the account's balance when the job was accepted (None: a job started
    # without a reservation, charged item by item at SAVE), the part of them SAVE has charged,
    # and when the reservation was settled (the rest refunded) at DONE or failure: once.
    reserved_credits = NumberAttribute(null=True)
    reserved_charged = NumberAttribute(null=True)
    settled = UnicodeAttribute(null=True)
    settled_refund = NumberAttribute(null=True)
    model = UnicodeAttribute(null=True)
    offline = BooleanAttribute(default=False)
    usage = JSONAttribute(null=True)  # token usage and cost per phase and model (set at DONE/failure)
    execution_arn = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    by_created = JobByCreated()
    function_ref = UnicodeAttribute(null=True)
    status_ref = UnicodeAttribute(null=True)
    function_status_ref = UnicodeAttribute(null=True)
    by_function = JobByFunction()
    by_status = JobByStatus()
    by_function_status = JobByFunctionStatus()
    derived_keys = {
        "function_ref": ("function_name",),
        "status_ref": ("status",),
        "function_status_ref": ("function_name", "status"),
    }
    # Set when a job is stored pending (derived in ``serialize``), removed when its execution is
    # recorded, a sync run begins, or it is failed without one: ``by_unstarted`` holds the rest.
    unstarted = UnicodeAttribute(null=True)
    by_unstarted = JobByUnstarted()

    @property
    def tokens(self) -> int:
        return int(self.input_tokens or 0) + int(self.output_tokens or 0)

    def derive_keys(self) -> dict[str, Any]:
        account = self.account_id
        return {
            "function_ref": ref(account, self.function_name),
            "status_ref": ref(account, self.status),
            "function_status_ref": ref(account, self.function_name, self.status),
        }

    def serialize(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        started = self.status != "pending" or self.execution_arn is not None
        self.unstarted = None if started else UNSTARTED
        return super().serialize(*args, **kwargs)  # type: ignore[no-any-return]


class JobItem(BaseModel):
    """One unit of AI work in a job; prompt, answer and parsed result live here, not in state."""

    table_suffix = "job-items"

    class Meta:
        table_name = "unbound"

    job_ref = UnicodeAttribute(hash_key=True)  # {account}#{task_id}
    item = UnicodeAttribute(range_key=True)
    position = NumberAttribute(default=0)
    status = UnicodeAttribute(default="pending")  # pending | ai_done | parsed | saved | failed
    phase = UnicodeAttribute(default="AI_CALL")  # the item phase running or last run
    data = CompressedJSONAttribute(null=True)
    prompt = CompressedJSONAttribute(null=True)
    response = CompressedJSONAttribute(null=True)
    parsed = CompressedJSONAttribute(null=True)
    result = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    error_type = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    finish_reason = UnicodeAttribute(null=True)
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost = NumberAttribute(default=0)
    offline = BooleanAttribute(default=False)
    usage = JSONAttribute(default=list)  # one record per provider answer: phase, model, tokens, cost
    request_steps = JSONAttribute(default=list)
    response_steps = JSONAttribute(default=list)
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class AITaskLog(BaseModel):
    """The seed's AITaskLog: one row per job run, written on success and on failure."""

    table_suffix = "task-logs"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute(range_key=True)
    function_name = UnicodeAttribute()
    phase = UnicodeAttribute()
    message = UnicodeAttribute(default="")
    status = UnicodeAttribute()  # success | error
    duration = NumberAttribute(default=0)  # seconds
    cost = NumberAttribute(default=0)
    tokens = NumberAttribute(default=0)
    credits = NumberAttribute(default=0)
    request_steps = JSONAttribute(default=list)
    response_steps = JSONAttribute(default=list)
    error = UnicodeAttribute(null=True)
    payload = JSONAttribute(default=dict)
    result = JSONAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    expires_at = TTLAttribute(null=True)


class StageBlob(BaseModel):
    """Data one stage of a job hands to a later stage (e.g. a batch's embeddings): too large for
    a job item's answer, never in state. In the job-items table under ``{account}#{task_id}#blobs``,
    a partition of its own, so a job's item queries never see them."""

    table_suffix = "job-items"

    class Meta:
        table_name = "unbound"

    job_ref = UnicodeAttribute(hash_key=True)  # {account}#{task_id}#blobs
    item = UnicodeAttribute(range_key=True)  # {stage}#{name}
    blob = BinaryAttribute(legacy_encoding=False)  # zlib-compressed
    parts = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
