"""Every sample event in events/ drives its Lambda's real handler on the local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_stack.stack import invoke_handler
from local_stack.template import function_definitions
from scripts.make_events import API_EVENTS, SAMPLE_ACCOUNT, SAMPLE_KEY, SAMPLE_TASK

pytestmark = pytest.mark.integration
EVENTS = Path(__file__).resolve().parents[2] / "events"


def _event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def _invoke(logical_id: str, name: str) -> tuple[dict, bool]:
    payload, errored = invoke_handler(function_definitions()[logical_id], logical_id, _event(name))
    return json.loads(payload), errored


@pytest.fixture(scope="module")
def sample_account(stack):
    from shared.db.models import Job
    from shared.services.accounts import create_account, create_api_key

    create_account("Sample", account_id=SAMPLE_ACCOUNT, credits=1000)
    create_api_key(SAMPLE_ACCOUNT, api_key=SAMPLE_KEY)
    _, errored = _invoke("ApiFunction", "api_create_keywords")
    assert not errored
    Job(SAMPLE_ACCOUNT, SAMPLE_TASK, function_name="auto_cluster", payload={"ids": [1, 2, 3]}).save()
    return SAMPLE_ACCOUNT


def test_every_function_has_events():
    names = {p.stem for p in EVENTS.glob("*.json")}
    assert {f"phase_{p}" for p in ("init", "prep", "ai_call", "parse", "save", "done")} <= names
    assert {"phase_failure_item", "phase_failure_job", "scheduler"} <= names
    assert {f"{name}" for name in API_EVENTS} <= names


def test_phase_events_run_a_job_through_all_phases(sample_account):
    from shared.db.models import Job

    for logical_id, name in [
        ("InitFunction", "phase_init"),
        ("PrepFunction", "phase_prep"),
        ("AiCallFunction", "phase_ai_call"),
        ("ParseFunction", "phase_parse"),
        ("SaveFunction", "phase_save"),
        ("DoneFunction", "phase_done"),
    ]:
        result, errored = _invoke(logical_id, name)
        assert not errored, (name, result)
        assert result["task_id"] == SAMPLE_TASK
    job = Job.get(SAMPLE_ACCOUNT, SAMPLE_TASK)
    assert job.status == "completed" and job.progress == 100

    result, errored = _invoke("FailureFunction", "phase_failure_job")
    assert not errored and result["status"] == "failed"
    assert Job.get(SAMPLE_ACCOUNT, SAMPLE_TASK).error == "the phase timed out"


def test_api_events_answer_without_server_errors(sample_account):
    for name in API_EVENTS:
        response, errored = _invoke("ApiFunction", name)
        assert not errored, name
        assert response["statusCode"] < 500, (name, response["body"])
    response, _ = _invoke("ApiFunction", "api_list_keywords")
    assert len(json.loads(response["body"])["results"]) == 3


def test_scheduler_event_starts_jobs_for_unclustered_keywords(stack, sample_account):
    if "ScheduleFunction" not in function_definitions():
        pytest.fail("template.yaml has no ScheduleFunction for scheduled batches")
    stack.wait_idle()  # an earlier test's job over these keywords would hold their claim
    result, errored = _invoke("ScheduleFunction", "scheduler")
    assert not errored, result
    assert result["function_name"] == "auto_cluster" and len(result["jobs"]) == 1
    stack.wait_idle()
