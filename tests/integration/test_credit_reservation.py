"""Credits reserved when a job is accepted, settled to the real charge at DONE or failure.

No set of concurrent requests takes an account below zero: the estimate is taken from the
balance in the write that stores the job, SAVE's charges only write the ledger, and DONE or the
failure handler gives back what the ledger did not use, once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.db.models import Account, Job
from shared.db.repo import get_account, query_account
from shared.engine.accounting import charged_credits, ledger_entries, settle_reservation
from shared.engine.failures import error_payload, handle_error
from shared.engine.phases import run_done
from shared.engine.store import job_state, load_job
from shared.errors import InsufficientCredits
from shared.services.jobs import start_job
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration

NEEDS_34 = 340  # auto_cluster estimates one credit per 10 keywords


def _set_credits(account_id: str, credits: int) -> None:
    Account(account_id).update(actions=[Account.credits.set(credits)])


def _balance(account_id: str) -> int:
    account = get_account(account_id)
    assert account is not None
    return int(account.credits)


def test_concurrent_jobs_cannot_overspend(stack, account):
    ids = add_keywords(account.account_id, [f"reserve keyword {i} topic {i % 17}" for i in range(NEEDS_34)])
    _set_credits(account.account_id, 50)
    barrier = threading.Barrier(3)
    lowest = [50]
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            lowest[0] = min(lowest[0], _balance(account.account_id))

    def attempt(_: int) -> object:
        barrier.wait()
        try:
            return start_job(account.account_id, "auto_cluster", {"ids": ids})
        except InsufficientCredits as exc:
            return exc

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            outcomes = list(pool.map(attempt, range(3)))
        accepted = [o for o in outcomes if isinstance(o, Job)]
        refused = [o for o in outcomes if isinstance(o, InsufficientCredits)]
        assert len(accepted) == 1 and len(refused) == 2
        for exc in refused:
            assert str(exc) == (
                "not enough credits: this job needs 34 credit(s) and the account has 16 left. "
                "Add credits to the account or select fewer keywords per job."
            )
        job = accepted[0]
        assert int(job.reserved_credits) == 34 and _balance(account.account_id) == 16
        # The refused requests stored nothing.
        assert [j.task_id for j in query_account(Job, account.account_id)] == [job.task_id]

        execution = stack.wait_for_execution(job.execution_arn, timeout=120)
    finally:
        watching.set()
        watcher.join()

    assert execution["status"] == "SUCCEEDED"
    done = load_job(account.account_id, job.task_id, consistent=True)
    charged = charged_credits(account.account_id, job.task_id)
    assert done.status == "completed" and charged > 0 and int(done.credits) == charged
    assert done.settled is not None and int(done.settled_refund) == 34 - charged
    assert _balance(account.account_id) == 50 - charged
    assert lowest[0] >= 0


def test_a_failed_job_releases_its_reservation(stack, account, fake_openai):
    ids = add_keywords(account.account_id, ["pour over ratio", "pour over kettle"])
    before = _balance(account.account_id)
    fake_openai.queue(FakeReply(content="Sorry, I cannot produce clusters right now."))

    job = start_job(account.account_id, "auto_cluster", {"ids": ids})
    assert _balance(account.account_id) == before - 1
    assert stack.wait_for_execution(job.execution_arn)["status"] == "FAILED"

    failed = load_job(account.account_id, job.task_id, consistent=True)
    assert failed.status == "failed" and failed.phase == "PARSE"
    assert ledger_entries(account.account_id, job.task_id) == []
    assert int(failed.settled_refund) == 1 and _balance(account.account_id) == before


def test_a_job_failing_after_save_keeps_only_the_charge(stack, account, monkeypatch):
    """Offline, in process: SAVE charges, then DONE fails; the rest of the reservation returns."""
    ids = add_keywords(account.account_id, [f"late failure {i}" for i in range(25)])
    before = _balance(account.account_id)

    def broken_done(state: dict) -> dict:
        raise RuntimeError("DONE broke")

    monkeypatch.setattr("shared.engine.engine.run_done", broken_done)
    job = start_job(account.account_id, "auto_cluster", {"ids": ids}, sync=True)

    charged = charged_credits(account.account_id, job.task_id)
    assert job.status == "failed" and job.error == "DONE broke"
    assert int(job.reserved_credits) == 3 and 0 < charged <= 3
    assert int(job.settled_refund) == 3 - charged
    assert _balance(account.account_id) == before - charged


def test_settlement_runs_once_when_done_or_the_failure_handler_runs_again(stack, account):
    ids = add_keywords(account.account_id, [f"settle once {i}" for i in range(25)])
    before = _balance(account.account_id)

    job = start_job(account.account_id, "auto_cluster", {"ids": ids}, sync=True)
    charged = charged_credits(account.account_id, job.task_id)
    assert job.status == "completed" and charged > 0
    assert _balance(account.account_id) == before - charged
    settled_at = job.settled

    state = {**job_state(job), "stages": 1, "stage": 1}
    run_done(state)
    handle_error({**state, "error": error_payload(RuntimeError("retried failure"))})
    handle_error({**state, "error": error_payload(RuntimeError("retried failure"))})
    assert settle_reservation(job) is None

    again = load_job(account.account_id, job.task_id, consistent=True)
    assert again.settled == settled_at and int(again.settled_refund) == 3 - charged
    assert _balance(account.account_id) == before - charged


def test_a_job_without_a_reservation_is_charged_as_before(stack, account):
    from shared.engine.engine import run_sync

    ids = add_keywords(account.account_id, [f"legacy job {i}" for i in range(25)])
    before = _balance(account.account_id)

    job = run_sync(account.account_id, "auto_cluster", {"ids": ids})

    charged = charged_credits(account.account_id, job.task_id)
    assert job.status == "completed" and charged > 0
    assert job.reserved_credits is None and job.settled is None
    assert _balance(account.account_id) == before - charged


def test_the_api_answers_402_once_the_credits_are_reserved(stack, account):
    ids = add_keywords(account.account_id, [f"api reserve {i} topic {i % 13}" for i in range(NEEDS_34)])
    _set_credits(account.account_id, 50)
    path = "/v1/planner/keywords/auto_cluster/"

    answers = [api("POST", path, account.api_key, {"ids": ids}) for _ in range(3)]

    assert [status for status, _ in answers] == [202, 402, 402]
    for _, body in answers[1:]:
        assert body["message"].startswith(
            "not enough credits: this job needs 34 credit(s) and the account has 16 left"
        )
    job = load_job(account.account_id, answers[0][1]["task_id"], consistent=True)
    assert stack.wait_for_execution(job.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    assert _balance(account.account_id) == 50 - charged_credits(account.account_id, job.task_id)
