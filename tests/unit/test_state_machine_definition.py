"""The ASL file and template.yaml agree, and every phase state retries and catches."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from local_stack.template import (
    function_definitions,
    load_template,
    state_machine_definition,
    table_definitions,
)

ROOT = Path(__file__).resolve().parents[2]
ASL = json.loads((ROOT / "statemachine" / "engine.asl.json").read_text())
PHASES = ["Init", "Prep", "AiCall", "Parse", "Save", "Done"]


def _all_states(definition: dict) -> dict:
    states = dict(definition["States"])
    for state in definition["States"].values():
        if state["Type"] == "Map":
            states.update(_all_states(state["ItemProcessor"]))
    return states


def test_one_task_per_phase_in_order_with_retry_and_catch():
    states = _all_states(ASL)
    order, name = [], ASL["StartAt"]
    while name:
        order.append(name)
        state = states[name]
        if state["Type"] == "Map":
            inner = state["ItemProcessor"]["StartAt"]
            while inner:
                order.append(inner)
                inner = states[inner].get("Next")
        name = state.get("Next") or state.get("Default")  # a Choice's way out of the stage loop
    assert [s for s in order if s in PHASES] == PHASES
    for phase in PHASES:
        state = states[phase]
        assert state["Type"] == "Task" and state["TimeoutSeconds"] > 0
        assert "AIProviderTransient" in state["Retry"][0]["ErrorEquals"]
        assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"]
        assert state["Catch"][0]["Next"] in ("HandleFailure", "RecordItemFailure")
    assert ASL["States"]["ProcessItems"]["Catch"][0]["Next"] == "HandleFailure"
    assert ASL["States"]["ProcessItems"]["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"


def test_every_next_names_a_state_of_its_scope():
    def check(definition: dict) -> None:
        names = set(definition["States"])
        assert definition["StartAt"] in names
        for state in definition["States"].values():
            targets = [state.get("Next"), state.get("Default")]
            targets += [c["Next"] for c in state.get("Catch", []) + state.get("Choices", [])]
            assert all(t in names for t in targets if t), state
            if state["Type"] == "Map":
                check(state["ItemProcessor"])

    check(ASL)


def test_substitutions_cover_every_placeholder_and_name_template_functions():
    functions = function_definitions()
    definition = state_machine_definition({name: f"arn:aws:lambda:::function:{name}" for name in functions})
    assert "${" not in definition
    resources = [s["Resource"] for s in _all_states(json.loads(definition)).values() if s["Type"] == "Task"]
    assert all(r.split(":")[-1] in functions for r in resources)


def test_every_handler_in_the_template_imports():
    for function in function_definitions().values():
        module = importlib.import_module(function.module)
        assert callable(getattr(module, function.attr))


NOT_MODELLED = {"idempotency"}


def test_every_table_is_keyed_by_account_and_matches_a_model():
    from shared.db.base import all_models

    # The idempotency table is powertools' own (its layout is checked against the persistence
    # layer in tests/integration/test_idempotency.py), not a model of ours.
    tables = {
        name: t
        for name, t in (
            (t["create"]["TableName"].removeprefix("x-"), t["create"]) for t in table_definitions("x")
        )
        if name not in NOT_MODELLED
    }
    models = {m.table_suffix: m for m in all_models()}
    assert set(tables) == set(models)
    for suffix, table in tables.items():
        hash_key = next(k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH")
        assert hash_key == models[suffix]._hash_key_attribute().attr_name
        assert hash_key in ("account_id", "key_hash", "job_ref"), suffix
        for index in models[suffix]._indexes.values():
            assert index.Meta.index_name in [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])]


def test_template_declares_the_state_machine_from_the_asl_file():
    (machine,) = [
        r for r in load_template()["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"
    ]
    assert machine["Properties"]["DefinitionUri"] == "statemachine/engine.asl.json"
    assert machine["Properties"]["Type"] == "STANDARD"


def test_stages_loop_back_to_prep_with_ids_only():
    """After a stage's items, the next stage index is computed and PREP runs again while any remain."""
    states = ASL["States"]
    assert states["ProcessItems"]["Next"] == "NextStage"
    assert set(states["ProcessItems"]["ItemSelector"]) == {
        "task_id.$",
        "account_id.$",
        "function_name.$",
        "stage.$",
        "stage_items.$",
        "item.$",
    }
    next_stage = states["NextStage"]
    assert next_stage["Type"] == "Pass"
    assert next_stage["Parameters"]["stage.$"] == "States.MathAdd($.stage, 1)"
    assert "items" not in json.dumps(next_stage["Parameters"])  # the item list is dropped
    (loop,) = states["MoreStages"]["Choices"]
    assert (loop["Variable"], loop["NumericLessThanPath"], loop["Next"]) == ("$.stage", "$.stages", "Prep")
    assert states["MoreStages"]["Default"] == "Done"


def test_state_machine_invokes_the_snapstart_alias_of_every_phase_function():
    (machine,) = [
        r for r in load_template()["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"
    ]
    function_globals = load_template()["Globals"]["Function"]
    assert function_globals["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert function_globals["AutoPublishAlias"] == "live"
    assert function_globals["Runtime"] == "python3.12"  # SnapStart needs Python 3.12 or later
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    assert all(value["Ref"].endswith("Function.Alias") for value in substitutions.values())
