"""Record claims without a stack: what each function claims, how a claim reads, when it expires."""

from __future__ import annotations

import json
from pathlib import Path

from shared.db.claim_tables import cluster_claim, describe_claim, scope_claim, task_claim
from shared.engine.claims import CLAIM_SECONDS, JOB_MAX_RUN_SECONDS, Holder
from shared.functions.registry import get_function_instance

ASL = json.loads((Path(__file__).resolve().parents[2] / "statemachine" / "engine.asl.json").read_text())


def test_a_claim_outlives_the_longest_job_the_state_machine_runs():
    assert ASL["TimeoutSeconds"] == JOB_MAX_RUN_SECONDS
    assert CLAIM_SECONDS > JOB_MAX_RUN_SECONDS


def test_refs_name_the_record_in_messages():
    assert (cluster_claim(12), task_claim(7), scope_claim(1, 3)) == ("cluster#12", "task#7", "scope#1#3")
    assert scope_claim(None, None) == "scope#0#0" and scope_claim(2, None) == "scope#2#0"
    assert describe_claim("cluster#12") == "cluster 12"
    assert describe_claim("task#7") == "writer task 7"
    assert describe_claim("scope#1#3") == "sector 3 of site 1"
    assert describe_claim("scope#2#0") == "site 2 (the scope of its keywords in no sector)"
    assert describe_claim("scope#0#0") == "the scope of the keywords in no site"
    error = Holder("cluster#12", "t-1", "generate_ideas", "running").error()
    assert error.status_code == 409 and (error.task_id, error.function_name, error.status) == (
        "t-1",
        "generate_ideas",
        "running",
    )
    assert str(error) == (
        "cluster 12 is being changed by job t-1 (generate_ideas, running); follow it at /v1/jobs/t-1"
    )


def test_ideas_claim_their_clusters_and_content_its_writer_tasks():
    ideas, content = get_function_instance("generate_ideas"), get_function_instance("generate_content")
    assert ideas.claim_refs({"ids": [3, 5]}, "acct") == ["cluster#3", "cluster#5"]
    assert content.claim_refs({"ids": [7]}, "acct") == ["task#7"]
    # A payload INIT will refuse claims nothing (INIT reports what is wrong).
    assert ideas.claim_refs({"ids": "3"}, "acct") == [] and content.claim_refs({}, "acct") == []
    assert get_function_instance("auto_cluster").claim_refs({"strategy": "prompt"}, "acct") == []
