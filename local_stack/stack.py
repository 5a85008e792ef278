"""The local AWS stack: moto in server mode on 127.0.0.1, built from template.yaml.

- DynamoDB tables come from the template's key schema.
- Each template Lambda is created in moto; its invocations run the real handler in this
  process (moto's Docker path replaced by one method, see ``_invoke_in_process``).
- The state machine is the same ASL file SAM deploys, with its DefinitionSubstitutions applied,
  and moto executes it for real (``execute_state_machine``).

Nothing here reaches the internet: every client points at the loopback server.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import socket
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

from local_stack import eventbus, template

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_METRICS_NAMESPACE": "Igny8Local",
    "POWERTOOLS_SERVICE_NAME": "igny8",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

_HANDLERS: dict[str, template.FunctionDef] = {}
_PATCHED = False
_QUIET = ("moto.stepfunctions.parser", "werkzeug", "botocore", "urllib3", "pynamodb")


class _Context:
    """The bits of the Lambda context object the handlers (powertools) read."""

    def __init__(self, name: str, timeout: int) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = f"local-{time.time_ns()}"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def invoke_handler(function: template.FunctionDef, name: str, event: Any) -> tuple[str, bool]:
    """Call a template function's real handler in process: (payload, errored)."""
    handler = getattr(importlib.import_module(function.module), function.attr)
    try:
        result = handler(event, _Context(name, function.timeout))
    except Exception as exc:  # noqa: BLE001 - reported to Step Functions like Lambda does
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True
    return json.dumps(result, default=str), False


def _invoke_in_process(self: Any, event: Any = None) -> tuple[str, bool, str]:
    function = _HANDLERS.get(self.function_name)
    if function is None:
        message = f"no local handler for {self.function_name}"
        return json.dumps({"errorType": "ResourceNotFound", "errorMessage": message}), True, ""
    if isinstance(event, str | bytes):
        event = json.loads(event or "{}")
    payload, errored = invoke_handler(function, self.function_name, event or {})
    return payload, errored, ""


def _dispatch_async(name: str, event: dict[str, Any]) -> None:
    """An asynchronous invocation (an EventBridge rule's target): the result is only logged."""
    function = _HANDLERS.get(name)
    if function is None:
        return
    payload, errored = invoke_handler(function, name, event)
    if errored:
        logging.getLogger("local_stack").info("async invocation of %s failed: %s", name, payload[:500])


def _patch_moto(fast_retries: bool) -> None:
    global _PATCHED
    from moto.awslambda.models import LambdaFunction
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    if not _PATCHED:
        LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
        _patch_number_arithmetic()
        _patch_dynamodb_results()
        _patch_dynamodb_atomic_writes()
        _PATCHED = True
    if fast_retries:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

        class _NoSleep:
            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

            @staticmethod
            def sleep(_seconds: float) -> None:
                time.sleep(0.001)

        retrier_decl.time = _NoSleep()  # type: ignore[assignment]


def _patch_number_arithmetic() -> None:
    """ADD of a number in exponent form without a dot (``8e-08``, a tiny cost) works, as on AWS.

    moto parses such a number with ``int()`` and answers 500 (moto 5.2.5, DynamoType.__add__).
    """
    from decimal import Decimal

    from moto.dynamodb.models.dynamo_type import DDBType, DynamoType

    def number(value: str) -> Decimal | int:
        return int(value) if value.lstrip("-").isdigit() else Decimal(value)

    real_add, real_sub = DynamoType.__add__, DynamoType.__sub__

    def add(self: DynamoType, other: DynamoType) -> DynamoType:
        if self.type == other.type == DDBType.NUMBER:
            return DynamoType({DDBType.NUMBER: f"{number(self.value) + number(other.value)}"})
        return real_add(self, other)

    def sub(self: DynamoType, other: DynamoType) -> DynamoType:
        if self.type == other.type == DDBType.NUMBER:
            return DynamoType({DDBType.NUMBER: f"{number(self.value) - number(other.value)}"})
        return real_sub(self, other)

    DynamoType.__add__ = add  # type: ignore[method-assign]
    DynamoType.__sub__ = sub  # type: ignore[method-assign]


#: DynamoDB data-plane operations whose results moto's generic serializer turns into the wire JSON.
_FAST_RESULTS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)


def _patch_dynamodb_results() -> None:
    """Serialize DynamoDB item results with ``json.dumps`` instead of moto's shape walker.

    moto 5.2 serializes every response by walking the botocore shape of each attribute value,
    which costs about 1 ms per keyword row: reading 50,000 rows spent minutes there. Item results
    are already the wire form (``{"S": ...}``, numbers as strings, binary as bytes, base64-encoded
    here exactly as the serializer does), so the JSON is the same; anything else (errors, control
    plane, timestamps) still goes through moto's serializer.
    """
    import base64

    from moto.dynamodb.responses import DynamoResult

    real_execute = DynamoResult.execute_result

    def encode(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode()
        raise TypeError(type(value).__name__)

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name in _FAST_RESULTS and isinstance(self.result, dict):
            try:
                body = json.dumps(self.result, default=encode)
            except TypeError:
                return real_execute(self, context)
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            return 200, headers, body
        return real_execute(self, context)

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def _patch_dynamodb_atomic_writes() -> None:
    """Run moto's DynamoDB write actions one at a time, as DynamoDB applies a write atomically.

    moto serves requests on threads and evaluates a condition and applies an update without a
    lock, so two concurrent conditional updates of one item can both pass (seen: a job's progress
    history going 97 -> 95 under load). Reads stay concurrent.
    """
    import threading

    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    writes = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
    real_call = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        target = str(self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
        if target in writes:
            with lock:
                return real_call(self)
        return real_call(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local stack runs the real handler in process\n")
    return buffer.getvalue()


@dataclass
class LocalStack:
    """A running local stack. ``start()`` it once per process; ``stop()`` at exit."""

    stack_name: str = "igny8-local"
    fast_retries: bool = False
    port: int = 0
    server: Any = None
    state_machine_arn: str = ""
    function_names: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        for name in _QUIET:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        _patch_moto(self.fast_retries)
        self.port = self.port or _free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self._set_environment()
        self._create_tables()
        self._create_functions()
        self._create_event_buses()
        self._create_state_machine()
        os.environ["STATE_MACHINE_ARN"] = self.state_machine_arn
        self._reset_clients()
        return self

    def stop(self) -> None:
        try:
            eventbus.wait_for_invocations(timeout=10)  # rule targets still talking to the server
        except TimeoutError:
            logging.getLogger("local_stack").warning("stopping with EventBridge invocations running")
        if self.server is not None:
            self.server.stop()
            self.server = None

    # ------------------------------------------------------------ setup
    def _set_environment(self) -> None:
        os.environ.update(LOCAL_ENV)
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        os.environ["TABLE_PREFIX"] = self.stack_name

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)

    def _create_tables(self) -> None:
        dynamodb = self.client("dynamodb")
        for table in template.table_definitions(self.stack_name):
            dynamodb.create_table(**table["create"])
            if table["ttl"]:
                dynamodb.update_time_to_live(
                    TableName=table["create"]["TableName"], TimeToLiveSpecification=table["ttl"]
                )

    def _create_functions(self) -> None:
        iam = self.client("iam")
        role = iam.create_role(
            RoleName=f"{self.stack_name}-lambda",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        lambda_client = self.client("lambda")
        code = _zip()
        for logical_id, function in template.function_definitions().items():
            name = f"{self.stack_name}-{logical_id}"
            lambda_client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": code},
                Timeout=function.timeout,
            )
            _HANDLERS[name] = function
            self.function_names[logical_id] = name

    def _create_event_buses(self) -> None:
        """The template's buses and rules (local_stack/eventbus.py); sets EVENT_BUS_NAME."""
        eventbus.patch_lambda_targets(_dispatch_async)
        arns = {
            logical: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
            for logical, name in self.function_names.items()
        }
        os.environ.update(eventbus.create(self.client("events"), self.stack_name, arns))

    def _create_state_machine(self) -> None:
        arns = {
            logical: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
            for logical, name in self.function_names.items()
        }
        definition = template.state_machine_definition(arns)
        sfn = self.client("stepfunctions")
        self.state_machine_arn = sfn.create_state_machine(
            name=f"{self.stack_name}-engine",
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{self.stack_name}-sfn",
            type="STANDARD",
        )["stateMachineArn"]

    @staticmethod
    def _reset_clients() -> None:
        from shared.config import reset_settings
        from shared.db.base import unbind_models

        reset_settings()
        unbind_models()

    # ------------------------------------------------------------ helpers
    def wait_for_execution(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll an execution until it leaves RUNNING, or raise after ``timeout`` seconds."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return dict(described)
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still RUNNING after {timeout}s")
            time.sleep(0.05)

    def wait_for_invocations(self, timeout: float = 30.0) -> None:
        """Wait until the functions EventBridge rules invoked (asynchronously) have returned."""
        eventbus.wait_for_invocations(timeout)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no execution of the engine is RUNNING."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while sfn.list_executions(stateMachineArn=self.state_machine_arn, statusFilter="RUNNING")[
            "executions"
        ]:
            if time.monotonic() > deadline:
                raise TimeoutError("executions still running")
            time.sleep(0.05)
