"""The API's one error contract, and the checks of a request body before any route reads it.

Every 4xx/5xx body has one shape (``ErrorBody``)::

    {"success": false, "error": "<type name>", "message": "<what to fix>", "errors"?: [{"field", "message"}]}

``errors`` comes with 422s and names each invalid field. Values echoed in a message are clipped
(at most ``MAX_ECHO`` characters of one value), and a 5xx never carries an exception's text: its
message is ``internal error, request id <id>`` and the detail goes to the log.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import BadRequest, RequestInvalid

#: Largest request body: the Lambda proxy integration's request payload limit (6 MB). API Gateway
#: itself accepts up to 10 MB, but a larger Lambda payload would fail with an opaque 5xx.
MAX_BODY_BYTES = 6 * 1024 * 1024
#: Deepest nesting of arrays and objects in a JSON body (no request model needs more than 4).
MAX_DEPTH = 32
#: At most this many characters of one value are echoed in a message or a field name.
MAX_ECHO = 100
#: At most this many characters of message.
MAX_MESSAGE = 1000
#: Numbers DynamoDB can store: 38 significant digits, magnitude 1e-130 .. 9.99e125.
DYNAMODB_MAX = 1e126
DYNAMODB_MIN = 1e-130
JSON_TYPES = ("application/json",)

_LONG_TOKEN = re.compile(rf"\S{{{MAX_ECHO + 1},}}")


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is: a dotted path into the body, or a parameter name")
    message: str = Field(description="What is wrong with it")


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "success": False,
                    "error": "RequestInvalid",
                    "message": "invalid request: keywords.0.cpc: must be a finite number",
                    "errors": [{"field": "keywords.0.cpc", "message": "must be a finite number"}],
                },
                {"success": False, "error": "NotFound", "message": "cluster 42 not found"},
            ]
        }
    )

    success: Literal[False] = False
    error: str = Field(description="The error's type name, e.g. RequestInvalid, NotFound, Unauthorized")
    message: str = Field(description="What went wrong and what to fix (values are clipped)")
    errors: list[FieldError] | None = Field(default=None, description="Only on 422: one entry per field")


def clip(text: Any, limit: int = MAX_ECHO) -> str:
    value = str(text)
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"


def clip_message(message: Any) -> str:
    """``message`` with every long run of non-space characters (an echoed value) clipped."""
    text = _LONG_TOKEN.sub(lambda m: clip(m.group()), str(message))
    return clip(text, MAX_MESSAGE)


def error_body(name: str, message: Any, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": name, "message": clip_message(message)}
    if errors is not None:
        body["errors"] = [
            {"field": clip(e.get("field") or "body"), "message": clip_message(e.get("message") or "invalid")}
            for e in errors
        ]
    return body


def invalid_fields(errors: list[dict[str, str]]) -> RequestInvalid:
    """The 422 for ``errors`` (``[{field, message}]``): the message sums up the first five."""
    summary = "; ".join(f"{clip(e['field'])}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return RequestInvalid(f"invalid request: {summary}{more}", errors)


def internal_error_body(name: str, request_id: str | None) -> dict[str, Any]:
    return error_body(name, f"internal error, request id {request_id or 'unknown'}")


# ---------------------------------------------------------------- body checks
def content_type(headers: dict[str, Any]) -> str:
    """The media type of the request (header names in any case: API Gateway passes them as sent)."""
    value: Any = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value or "").split(";")[0].strip().lower()


def decoded_body(event: dict[str, Any]) -> str | None:
    """The body as text; a body that is not UTF-8 (or bad base64) is a 400."""
    raw = event.get("body")
    if raw is None or raw == "":
        return None
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("malformed request: the body is not valid base64") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"malformed request: the body is not UTF-8 (byte {exc.start})") from None
    return str(raw)


def body_size(event: dict[str, Any]) -> int:
    raw = event.get("body") or ""
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    return size * 3 // 4 if event.get("isBase64Encoded") else size


def parse_json_body(text: str) -> Any:
    """Parse a JSON body: malformed or too deep is a 400, a number DynamoDB cannot store a 422.

    The C parser guards its own recursion (a RecursionError, caught here); the walk over the parsed
    value is iterative and refuses more than ``MAX_DEPTH`` levels.
    """
    too_deep = BadRequest(f"malformed request: the JSON body is nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        raise BadRequest(f"malformed request: the body is not valid JSON ({clip_message(exc)})") from None
    problems: list[dict[str, str]] = []
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict | list):
            if len(path) >= MAX_DEPTH:
                raise too_deep
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend(((*path, str(k)), v) for k, v in pairs)
        elif isinstance(item, float | int) and not isinstance(item, bool):
            problem = _number_problem(item)
            if problem:
                problems.append({"field": ".".join(path) or "body", "message": problem})
    if problems:
        raise invalid_fields(sorted(problems, key=lambda p: p["field"]))
    return value


def _number_problem(number: float) -> str | None:
    if isinstance(number, float) and not math.isfinite(number):
        return "must be a finite number (NaN and Infinity are not allowed)"
    if isinstance(number, int):
        if abs(number) >= 10**38:
            return "must have at most 38 digits"
        return None
    if number != 0 and not DYNAMODB_MIN <= abs(number) < DYNAMODB_MAX:
        return "must be 0 or between 1e-130 and 1e126 in magnitude"
    return None
