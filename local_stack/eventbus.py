"""The template's EventBridge buses and rules in the local stack.

- Each ``AWS::Events::EventBus`` is created in moto; a function environment variable that is
  ``!Ref`` to a bus (``EVENT_BUS_NAME``) is set to the bus's name, as CloudFormation would.
- Each function event of type ``EventBridgeRule`` becomes a rule on its bus with the template's
  pattern and the function as its target.
- moto delivers rule matches to SQS, log groups and other buses but not to Lambda; the patch
  here hands a Lambda target's event to the real handler on a background thread, as
  EventBridge invokes Lambda asynchronously: ``PutEvents`` returns before the handler runs, so a
  slow handler never holds up the caller. ``wait_for_invocations`` joins those threads.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local_stack import template

#: (function name, event) -> None: runs the function's real handler (the stack's dispatcher).
Dispatch = Callable[[str, dict[str, Any]], None]

_dispatch: Dispatch | None = None
_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()
_PATCHED = False


def _lambda_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge hands it to Lambda (``time`` as an ISO timestamp)."""
    out = copy.deepcopy(event)
    stamp = out.get("time")
    if isinstance(stamp, int | float):
        out["time"] = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.pop("ingestion-time", None)
    return out


def _start(function_name: str, event: dict[str, Any]) -> None:
    dispatch = _dispatch
    if dispatch is None:
        return
    thread = threading.Thread(
        target=dispatch, args=(function_name, event), name=f"eventbridge-{function_name}", daemon=True
    )
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()


def patch_lambda_targets(dispatch: Dispatch) -> None:
    """Make rules deliver to Lambda targets (in process, asynchronously); once per process."""
    global _dispatch, _PATCHED
    _dispatch = dispatch
    if _PATCHED:
        return
    from moto.events.models import Rule

    real_send = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        lambdas = [t for t in self.targets if str(t.get("Arn", "")).split(":")[2:3] == ["lambda"]]
        others = [t for t in self.targets if t not in lambdas]
        if lambdas and self.event_pattern.matches_event(original_event):
            for target in lambdas:
                _start(str(target["Arn"]).split(":")[6], _lambda_event(original_event))
        if others:
            clone = copy.copy(self)  # never mutate the shared rule: requests run on threads
            clone.targets = others
            real_send(clone, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    _PATCHED = True


def wait_for_invocations(timeout: float = 30.0) -> None:
    """Wait until every asynchronous invocation started by a rule has returned."""
    deadline = time.monotonic() + timeout
    while True:
        with _threads_lock:
            running = [t for t in _threads if t.is_alive()]
        if not running:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{len(running)} EventBridge invocation(s) still running after {timeout}s")
        running[0].join(min(remaining, 0.5))


def bus_names(stack_name: str) -> dict[str, str]:
    """logical id -> name of every event bus in the template."""
    return {
        logical_id: template.sub_stack_name(resource["Properties"]["Name"], stack_name)
        for logical_id, resource in template.resources_of_type("AWS::Events::EventBus").items()
    }


def rule_definitions() -> list[dict[str, Any]]:
    """Every function event of type EventBridgeRule: function, event id, bus logical id, pattern."""
    rules = []
    for logical_id, resource in template.resources_of_type("AWS::Serverless::Function").items():
        for event_id, event in (resource["Properties"].get("Events") or {}).items():
            if event.get("Type") != "EventBridgeRule":
                continue
            props = event["Properties"]
            bus = props.get("EventBusName")
            rules.append(
                {
                    "function": logical_id,
                    "event": event_id,
                    "bus": bus.get("Ref") if isinstance(bus, dict) else None,
                    "pattern": props["Pattern"],
                }
            )
    return rules


def create(events_client: Any, stack_name: str, function_arns: dict[str, str]) -> dict[str, str]:
    """Create the buses and rules; returns the environment variables that name a bus."""
    names = bus_names(stack_name)
    for name in names.values():
        events_client.create_event_bus(Name=name)
    for rule in rule_definitions():
        bus = names[rule["bus"]] if rule["bus"] else "default"
        rule_name = f"{stack_name}-{rule['function']}-{rule['event']}"
        events_client.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(rule["pattern"]))
        events_client.put_targets(
            Rule=rule_name,
            EventBusName=bus,
            Targets=[{"Id": rule["function"], "Arn": function_arns[rule["function"]]}],
        )
    environment: dict[str, str] = {}
    for function in template.function_definitions().values():
        for variable, value in function.environment.items():
            if isinstance(value, dict) and value.get("Ref") in names:
                environment[variable] = names[value["Ref"]]
    return environment
