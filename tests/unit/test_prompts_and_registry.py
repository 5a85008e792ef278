"""PromptRegistry resolution and placeholders; the lazy function registry; phase percentages."""

from __future__ import annotations

import sys

import pytest

from shared.ai.prompts import PromptRegistry
from shared.ai.tracker import PHASE_RANGES, CostTracker, StepTracker, phase_percent
from shared.errors import InputInvalid
from shared.functions import registry


def test_job_override_wins_over_account_and_default(monkeypatch):
    monkeypatch.setattr(
        PromptRegistry, "account_prompt", staticmethod(lambda f, a: "ACCOUNT [IGNY8_KEYWORDS]")
    )
    assert (
        PromptRegistry.get_prompt("auto_cluster", "acct", {"KEYWORDS": "k"}, "JOB [IGNY8_KEYWORDS]")
        == "JOB k"
    )
    assert PromptRegistry.get_prompt("auto_cluster", "acct", {"KEYWORDS": "k"}) == "ACCOUNT k"


def test_default_prompt_when_account_has_none(monkeypatch):
    monkeypatch.setattr(PromptRegistry, "account_prompt", staticmethod(lambda f, a: None))
    fn = registry.get_function_instance("generate_ideas")
    prompt = fn.get_prompt("acct", {"CLUSTERS": "C1", "CLUSTER_KEYWORDS": "K1"})
    assert fn.prompt_type == "ideas"
    assert prompt.startswith(fn.default_prompt[:40])
    assert "C1" in prompt and "K1" in prompt and "[IGNY8_" not in prompt


def test_unfilled_placeholders_are_removed_and_json_instruction_added():
    rendered = PromptRegistry.render("A [IGNY8_SECTOR] B [IGNY8_KEYWORDS]", {"KEYWORDS": "x"})
    assert rendered == "A  B x"
    assert PromptRegistry.ensure_json_instruction("Cluster these").endswith("Respond only with valid JSON.")
    assert PromptRegistry.ensure_json_instruction("Return JSON") == "Return JSON"


def test_registry_loads_functions_lazily():
    sys.modules.pop("shared.functions.generate_ideas.function", None)
    registry._FUNCTIONS.pop("generate_ideas", None)
    assert set(registry.list_functions()) >= {"auto_cluster", "generate_ideas", "generate_content"}
    assert "shared.functions.generate_ideas.function" not in sys.modules
    assert registry.get_function_instance("generate_ideas").get_name() == "generate_ideas"
    assert "shared.functions.generate_ideas.function" in sys.modules
    with pytest.raises(InputInvalid, match="unknown AI function 'nope'"):
        registry.get_function("nope")


def test_phase_percent_ranges_follow_the_seed():
    assert PHASE_RANGES == {
        "INIT": (0, 10),
        "PREP": (10, 25),
        "AI_CALL": (25, 70),
        "PARSE": (70, 85),
        "SAVE": (85, 98),
        "DONE": (98, 100),
    }
    assert (
        phase_percent("AI_CALL", 0) == 25
        and phase_percent("AI_CALL", 0.5) == 48
        and phase_percent("SAVE") == 98
    )
    assert phase_percent("PARSE", 7) == 85


def test_step_and_cost_trackers():
    steps = StepTracker()
    steps.add_request_step("AI_REQUEST", message="m")
    steps.add_response_step("AI_RESPONSE")
    assert [s["stepNumber"] for s in steps.request_steps + steps.response_steps] == [1, 2]
    cost = CostTracker()
    cost.record(100, 20, 0.5)
    cost.record(1, 2, 0.25)
    assert (cost.total_tokens, cost.cost, cost.calls) == (123, 0.75, 2)


def test_every_function_describes_itself_with_the_six_phases():
    for name in ("auto_cluster", "generate_ideas", "generate_content"):
        metadata = registry.get_function_instance(name).get_metadata()
        assert metadata["display_name"] and metadata["description"]
        assert metadata["phases"] == ["INIT", "PREP", "AI_CALL", "PARSE", "SAVE", "DONE"]
