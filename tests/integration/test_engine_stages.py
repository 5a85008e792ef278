"""A function with several stages runs through the engine with no special case anywhere.

``ThreeStages`` is a test-only function shaped like semantic clustering: ``embed`` (two batches,
each call an embeddings-like provider answer it reports itself), ``cluster`` (one item, local
compute) and ``name`` (one chat call per group, the engine's default call, answered by the
offline provider). It runs through the real state machine on the local stack and in sync mode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from shared.ai import validators
from shared.ai.ai_core import AIResult
from shared.db.models import Account, JobItem
from shared.engine.engine import run_sync
from shared.errors import AIResponseInvalid
from shared.functions.base import BaseAIFunction, ItemCalls
from shared.functions.registry import register_function
from tests.helpers import run_job

pytestmark = pytest.mark.integration

WORDS = ["aeropress", "aeropress filter", "chemex", "chemex filter", "v60", "v60 filter"]
EMBEDDING_MODEL = "text-embedding-3-small"


class ThreeStages(BaseAIFunction):
    name = "three_stages_test"
    item_label = "words"

    def stages(self, payload: dict[str, Any]) -> tuple[str, ...]:
        return ("embed", "cluster", "name")

    def validate(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        return validators.ok()

    def records_requested(self, payload: dict[str, Any]) -> int:
        return len(payload["words"])

    # The single-stage hooks are never called: every stage goes through the stage_* hooks.
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        raise AssertionError("single-stage hook called")

    def build_prompt(self, data: dict[str, Any], account: Account, prompt_override: str | None = None) -> str:
        raise AssertionError("single-stage hook called")

    def parse_response(self, response: str, step_tracker: Any = None) -> Any:
        raise AssertionError("single-stage hook called")

    def save_output(
        self, parsed: Any, original_data: dict[str, Any], account: Account, *args: Any
    ) -> dict[str, Any]:
        raise AssertionError("single-stage hook called")

    def stage_prepare(
        self,
        stage: str,
        payload: dict[str, Any],
        account: Account,
        earlier: Mapping[str, list[dict[str, Any]]],
    ) -> dict[str, Any]:
        if stage == "embed":
            return {"batches": [payload["words"][:4], payload["words"][4:]]}
        if stage == "cluster":
            return {"vectors": sum(r["vectors"] for r in earlier["embed"]), "words": payload["words"]}
        return {"groups": earlier["cluster"][0]["groups"]}

    def stage_split_items(self, stage: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        if stage == "embed":
            return [(str(n), {"words": batch}) for n, batch in enumerate(data["batches"])]
        if stage == "cluster":
            return [("all", data)]
        return [(str(n), {"group": group}) for n, group in enumerate(data["groups"])]

    def stage_build_prompt(
        self, stage: str, data: dict[str, Any], account: Account, prompt_override: Any = None
    ) -> str:
        return f"Name this group of keywords: {', '.join(data['group'])}" if stage == "name" else ""

    def stage_call(self, stage: str, data: dict[str, Any], prompt: str, ai: ItemCalls) -> AIResult:
        if stage == "embed":  # an embeddings request: the function calls, the engine accounts
            tokens = 2 * len(data["words"])
            answer = AIResult(content=json.dumps({"vectors": len(data["words"])}), model=EMBEDDING_MODEL)
            answer.input_tokens, answer.output_tokens, answer.cost = tokens, 0, tokens * 2e-8
            return ai.record(answer)
        if stage == "cluster":  # local compute
            words = data["words"]
            return ai.local(
                {"groups": [[w for w in words if w.startswith(p)] for p in ("aeropress", "chemex", "v60")]}
            )
        return super().stage_call(stage, data, prompt, ai)  # the engine's chat call

    def offline_answer(self, data: dict[str, Any]) -> Any:
        return {"name": data["group"][0].title()}

    def stage_parse_response(self, stage: str, response: str, step_tracker: Any = None) -> Any:
        parsed = json.loads(response)
        if stage == "cluster" and parsed.get("groups") and self._fail_in == "cluster":
            raise AIResponseInvalid("the cluster stage broke")
        return parsed

    _fail_in: str | None = None

    def stage_save_output(
        self, stage: str, parsed: Any, original_data: dict[str, Any], account: Account, *args: Any
    ) -> dict[str, Any]:
        return dict(parsed)

    def stage_credits_for(self, stage: str, data: dict[str, Any], result: dict[str, Any]) -> int:
        return 1 if stage == "name" else 0

    def stage_aggregate(self, results: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
        return {
            "vectors": sum(r["vectors"] for r in results["embed"]),
            "groups": len(results["cluster"][0]["groups"]),
            "names": [r["name"] for r in results["name"]],
        }

    def stage_message(self, stage: str, phase: str, value: Any = None) -> str:
        return f"{stage}: {phase.lower()}"

    def done_message(self, result: dict[str, Any]) -> str:
        return f"{len(result['names'])} group(s) named"


class FailsInStageTwo(ThreeStages):
    name = "three_stages_failing_test"
    _fail_in = "cluster"


register_function(ThreeStages.name, ThreeStages)
register_function(FailsInStageTwo.name, FailsInStageTwo)


def items_of(account_id: str, task_id: str) -> list[JobItem]:
    return sorted(JobItem.query(f"{account_id}#{task_id}", consistent_read=True), key=lambda i: i.position)


def assert_three_stages_done(job: Any) -> None:
    assert job.status == "completed", job.error
    assert job.result["stages"] == ["embed", "cluster", "name"]
    assert (job.result["vectors"], job.result["groups"]) == (6, 3)
    assert job.result["names"] == ["Aeropress", "Chemex", "V60"]
    assert job.message == "3 group(s) named" and job.progress == 100
    assert job.result["items"]["total"] == 6 and job.items_done == 6
    # Per-stage progress: every stage reported its phases, in stage order, and never went back.
    staged = [(h.get("stage"), h["phase"]) for h in job.history if h.get("stage")]
    for stage in ("embed", "cluster", "name"):
        assert {p for s, p in staged if s == stage} == {"PREP", "AI_CALL", "PARSE", "SAVE"}
    assert [s for s, _ in staged] == sorted((s for s, _ in staged), key=["embed", "cluster", "name"].index)
    progress = [h["progress"] for h in job.history]
    assert progress == sorted(progress) and progress[-1] == 100
    assert {h["message"] for h in job.history if h.get("stage") == "cluster"} >= {
        "cluster: prep",
        "cluster: save",
    }
    # Usage per call, per stage: embeddings and chat answers are accounted, local compute is not.
    usage = job.usage
    assert set(usage["stages"]) == {"embed", "name"}
    assert usage["stages"]["embed"]["input_tokens"] == 12 and usage["stages"]["embed"]["calls"] == 2
    assert usage["stages"]["name"]["calls"] == 3
    assert EMBEDDING_MODEL in usage["models"] and usage["calls"] == 5
    assert int(job.credits) == 3  # one per named group; the embed and cluster items cost nothing


def test_three_stages_through_the_state_machine(stack, account):
    job = run_job(stack, account.account_id, ThreeStages.name, {"words": WORDS})

    assert job.execution_status == "SUCCEEDED"
    assert_three_stages_done(job)
    keys = [i.item for i in items_of(account.account_id, job.task_id)]
    assert keys == ["embed#0", "embed#1", "cluster#all", "name#0", "name#1", "name#2"]
    sfn = stack.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=job.execution_arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert entered.count("Prep") == 3 and entered.count("Done") == 1
    assert entered.count("AiCall") == 6


def test_three_stages_in_sync_mode(account):
    job = run_sync(account.account_id, ThreeStages.name, {"words": WORDS})

    assert job.mode == "sync"
    assert_three_stages_done(job)


@pytest.mark.parametrize("mode", ["state machine", "sync"])
def test_a_failure_in_stage_two_is_reported_in_its_phase_and_stage(stack, account, mode):
    if mode == "sync":
        job = run_sync(account.account_id, FailsInStageTwo.name, {"words": WORDS})
    else:
        job = run_job(stack, account.account_id, FailsInStageTwo.name, {"words": WORDS})
        assert job.execution_status == "FAILED"

    assert job.status == "failed" and job.phase == "PARSE"
    assert job.result["stage"] == "cluster" and job.error == "the cluster stage broke"
    assert job.message == "Failed during PARSE of stage cluster: the cluster stage broke"
    keys = [i.item for i in items_of(account.account_id, job.task_id)]
    assert keys == ["embed#0", "embed#1", "cluster#all"]  # the third stage never started
    assert job.usage["stages"]["embed"]["calls"] == 2  # what was spent before the failure is kept
