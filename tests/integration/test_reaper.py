"""The reaper: a job accepted but never started is failed, refunded and its claims released.

``start_job`` stores the job (credits reserved, records claimed) and then starts its execution; a
process that dies in between leaves it pending. The reaper Queries the jobs' sparse
``by_unstarted`` index for jobs pending longer than N minutes and ends those without an execution.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from local_stack.stack import invoke_handler
from local_stack.template import function_definitions
from shared.db.base import utcnow
from shared.db.claim_tables import scope_claim
from shared.db.engine_tables import UNSTARTED
from shared.db.models import Claim, Job
from shared.db.repo import get_account
from shared.engine.engine import create_job
from shared.engine.store import load_job
from shared.errors import InputInvalid
from shared.services import reaper
from shared.services.jobs import start_job
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration


def _balance(account_id: str) -> int:
    account = get_account(account_id)
    assert account is not None
    return int(account.credits)


def _unstarted() -> set[str]:
    return {row.task_id for row in Job.by_unstarted.query(UNSTARTED)}


def _claims(account_id: str) -> dict[str, str]:
    return {c.ref: c.task_id for c in Claim.query(account_id, consistent_read=True)}


def _later(monkeypatch: pytest.MonkeyPatch, minutes: int) -> None:
    """The reaper runs ``minutes`` from now."""
    moment = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(reaper, "utcnow", lambda: moment)


def _sector(key: str) -> tuple[int, int]:
    _, site = api("POST", "/v1/planner/sites/", key, {"name": "Reaper site"})
    _, sector = api("POST", "/v1/planner/sectors/", key, {"name": "Coffee", "site_id": site["id"]})
    return int(site["id"]), int(sector["id"])


def test_a_job_that_never_started_is_reaped_refunded_and_its_claims_released(stack, account, monkeypatch):
    site_id, sector_id = _sector(account.api_key)
    add_keywords(
        account.account_id,
        [f"aeropress {w}" for w in ("recipe", "filter", "ratio", "inverted", "grind")],
        site_id=site_id,
        sector_id=sector_id,
    )
    before = _balance(account.account_id)
    # What start_job does up to StartExecution; then the process "dies".
    orphan = create_job(account.account_id, "auto_cluster", {"sector_id": sector_id}, reserve=True)
    assert _balance(account.account_id) == before - int(orphan.reserved_credits) == before - 1
    assert orphan.task_id in _unstarted()
    assert _claims(account.account_id)[scope_claim(site_id, sector_id)] == orphan.task_id

    assert orphan.task_id not in [r["task_id"] for r in reaper.reap({})["reaped"]]  # too young yet
    _later(monkeypatch, 11)
    # The template's ReaperFunction, as its schedule invokes it.
    payload, errored = invoke_handler(
        function_definitions()["ReaperFunction"], "reaper", {"older_than_minutes": 10}
    )
    assert not errored, payload
    report = json.loads(payload)

    assert {"account_id": account.account_id, "task_id": orphan.task_id, "refunded_credits": 1} in report[
        "reaped"
    ]
    job = load_job(account.account_id, orphan.task_id, consistent=True)
    assert (job.status, job.error_type, job.execution_arn) == ("failed", "NeverStarted", None)
    assert job.error == "the job never started: no execution began within 10 minute(s) of its acceptance"
    assert job.message == f"Failed before it started: {job.error}"
    assert int(job.settled_refund) == 1 and _balance(account.account_id) == before
    assert _claims(account.account_id) == {} and orphan.task_id not in _unstarted()
    # A second run finds nothing more of it, and the records take a new job.
    assert orphan.task_id not in json.dumps(reaper.reap({"older_than_minutes": 10}))
    monkeypatch.undo()
    again = start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})
    assert stack.wait_for_execution(again.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    assert _balance(account.account_id) == before - 1


def test_a_job_whose_execution_started_gets_its_arn_and_is_left_alone(stack, account, monkeypatch):
    ids = add_keywords(account.account_id, ["chemex filter", "chemex ratio"])
    before = _balance(account.account_id)
    job = create_job(account.account_id, "auto_cluster", {"ids": ids}, reserve=True)
    # The execution started (named after the job) but the process died before recording it.
    # Its input is not the job's, so it fails at once and leaves the job pending.
    started = stack.client("stepfunctions").start_execution(
        stateMachineArn=stack.state_machine_arn, name=job.task_id, input="{}"
    )
    stack.wait_for_execution(started["executionArn"])

    _later(monkeypatch, 30)
    report = reaper.reap({"older_than_minutes": 10})

    assert {
        "account_id": account.account_id,
        "task_id": job.task_id,
        "execution_arn": started["executionArn"],
    } in report["started"]
    assert job.task_id not in [r["task_id"] for r in report["reaped"]]
    stored = load_job(account.account_id, job.task_id, consistent=True)
    assert (stored.status, stored.execution_arn, stored.settled) == ("pending", started["executionArn"], None)
    assert _balance(account.account_id) == before - 1 and job.task_id not in _unstarted()


def test_started_and_finished_jobs_leave_the_index(stack, account, monkeypatch):
    ids = add_keywords(account.account_id, ["siphon brewer", "siphon coffee"])
    job = start_job(account.account_id, "auto_cluster", {"ids": ids})
    assert job.task_id not in _unstarted()  # its execution was recorded
    assert stack.wait_for_execution(job.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    # A job run by hand (its phases called directly) stays in the index until the reaper sees it.
    other = add_keywords(account.account_id, ["kalita wave", "kalita wave filter"])
    manual = create_job(account.account_id, "auto_cluster", {"ids": other})
    from shared.engine.engine import AIEngine
    from shared.engine.store import job_state

    AIEngine().execute(job_state(manual))
    assert manual.task_id in _unstarted()

    _later(monkeypatch, 30)
    report = reaper.reap({})

    assert report["cleared"] >= 1 and manual.task_id not in _unstarted()
    assert load_job(account.account_id, manual.task_id).status == "completed"
    sync = start_job(account.account_id, "auto_cluster", {"ids": ids}, sync=True)
    assert sync.status == "completed" and sync.task_id not in _unstarted()


def test_bad_reaper_input_is_named():
    with pytest.raises(InputInvalid, match="older_than_minutes must be an integer from 1 to 10080"):
        reaper.reap({"older_than_minutes": "soon"})
    with pytest.raises(InputInvalid, match="limit must be an integer from 1 to 5000"):
        reaper.reap({"limit": 0})
    assert reaper.execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:igny8-engine", "t-1") == (
        "arn:aws:states:us-east-1:123456789012:execution:igny8-engine:t-1"
    )
