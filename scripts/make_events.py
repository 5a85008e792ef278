"""Regenerate events/: a sample event for every Lambda of template.yaml.

API events are API Gateway REST proxy events for each route; phase events are the state
input Step Functions gives each phase; the scheduler event is an EventBridge scheduled event.
They use the sample account of ``tests/integration/test_events.py`` (SAMPLE_* below), and
work with `sam local invoke <Function> -e events/<file>` where Docker exists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_stack.apigw import proxy_event  # noqa: E402

SAMPLE_ACCOUNT = "acct_sample"
SAMPLE_KEY = "igy_sample_local_key_not_a_secret"
SAMPLE_TASK = "11111111-1111-4111-8111-111111111111"
AUTH = {"authorization": f"Bearer {SAMPLE_KEY}"}

API_EVENTS = {
    "api_create_keywords": (
        "POST",
        "/v1/planner/keywords/",
        {
            "keywords": [
                {
                    "keyword": "best espresso machine under 500",
                    "volume": 2400,
                    "difficulty": 41,
                    "intent": "Commercial",
                },
                {
                    "keyword": "espresso machine for beginners",
                    "volume": 880,
                    "difficulty": 33,
                    "intent": "Commercial",
                },
                {
                    "keyword": "how to make cold brew at home",
                    "volume": 5400,
                    "difficulty": 28,
                    "intent": "Informational",
                },
            ]
        },
        None,
    ),
    "api_list_keywords": ("GET", "/v1/planner/keywords/", None, {"limit": "50"}),
    "api_auto_cluster": ("POST", "/v1/planner/keywords/auto_cluster/", {"ids": [1, 2, 3]}, None),
    "api_list_clusters": ("GET", "/v1/planner/clusters/", None, None),
    "api_get_job": ("GET", f"/v1/jobs/{SAMPLE_TASK}", None, None),
    "api_auto_generate_ideas": ("POST", "/v1/planner/clusters/auto_generate_ideas/", {"ids": [1]}, None),
    "api_list_ideas": ("GET", "/v1/planner/ideas/", None, None),
    "api_create_tasks": ("POST", "/v1/writer/tasks/", {"idea_ids": [1]}, None),
    "api_list_tasks": ("GET", "/v1/writer/tasks/", None, {"status": "queued"}),
    "api_auto_generate_content": ("POST", "/v1/writer/tasks/auto_generate_content/", {"ids": [1]}, None),
    "api_list_content": ("GET", "/v1/writer/content/", None, None),
    "api_get_content": ("GET", "/v1/writer/content/1/", None, None),
    "api_get_task": ("GET", "/v1/writer/tasks/1/", None, None),
    "api_get_idea": ("GET", "/v1/planner/ideas/1/", None, None),
    "api_get_cluster": ("GET", "/v1/planner/clusters/1/", None, None),
    "api_create_site": (
        "POST",
        "/v1/planner/sites/",
        {"name": "Home Barista", "domain": "homebarista.example"},
        None,
    ),
    "api_list_sites": ("GET", "/v1/planner/sites/", None, None),
    "api_create_sector": ("POST", "/v1/planner/sectors/", {"name": "Brewing", "site_id": 1}, None),
    "api_list_sectors": ("GET", "/v1/planner/sectors/", None, None),
    "api_list_jobs": ("GET", "/v1/jobs/", None, {"limit": "20"}),
    "api_get_job_log": ("GET", f"/v1/jobs/{SAMPLE_TASK}/log", None, None),
    "api_get_prompt": ("GET", "/v1/settings/prompts/auto_cluster", None, None),
    "api_put_prompt": (
        "PUT",
        "/v1/settings/prompts/auto_cluster",
        {"prompt_value": "Group these keywords into topic clusters and answer in JSON:\n[IGNY8_KEYWORDS]"},
        None,
    ),
    "api_delete_prompt": ("DELETE", "/v1/settings/prompts/auto_cluster", None, None),
    "api_get_ai_settings": ("GET", "/v1/settings/ai", None, None),
    "api_put_ai_settings": ("PUT", "/v1/settings/ai", {"model": "gpt-4o-mini", "temperature": 0.4}, None),
    "api_health": ("GET", "/health", None, None),
}

STATE = {"task_id": SAMPLE_TASK, "account_id": SAMPLE_ACCOUNT, "function_name": "auto_cluster"}
PHASE_EVENTS: dict[str, dict[str, Any]] = {
    "phase_init": STATE,
    "phase_prep": STATE,
    "phase_ai_call": {**STATE, "item": "all"},
    "phase_parse": {**STATE, "item": "all"},
    "phase_save": {**STATE, "item": "all"},
    "phase_done": {**STATE, "items": ["all"]},
    "phase_failure_item": {
        **STATE,
        "scope": "item",
        "item": "all",
        "error": {
            "Error": "AIResponseInvalid",
            "Cause": json.dumps(
                {"errorType": "AIResponseInvalid", "errorMessage": "the clustering answer contains no JSON"}
            ),
        },
    },
    "phase_failure_job": {
        **STATE,
        "scope": "job",
        "error": {"Error": "States.Timeout", "Cause": ""},
    },
}

SCHEDULER_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-24T06:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/igny8-dev-nightly-clustering"],
    "detail": {"account_id": SAMPLE_ACCOUNT, "function_name": "auto_cluster", "selector": "unclustered"},
}


def main() -> None:
    folder = ROOT / "events"
    folder.mkdir(exist_ok=True)
    files: dict[str, dict[str, Any]] = {
        name: proxy_event(m, p, b, AUTH, q, stage="dev") for name, (m, p, b, q) in API_EVENTS.items()
    }
    files.update(PHASE_EVENTS)
    files["scheduler"] = SCHEDULER_EVENT
    for name, event in files.items():
        if "requestContext" in event:
            event["requestContext"]["requestId"] = f"sample-{name}"
            event["requestContext"]["requestTimeEpoch"] = 1795478400000
        (folder / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(files)} events to {folder}")


if __name__ == "__main__":
    main()
