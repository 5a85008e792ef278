"""A small client for the IGNY8 API with two transports.

- ``InProcessTransport``: the API Lambda's real handler called in process with API Gateway
  proxy events (the CLI's private local stack).
- ``HttpTransport``: HTTP(S) to a deployed API (or ``make api``) with the standard library's
  ``urllib``; the key travels as ``Authorization: Bearer``.

Both answer a ``Reply``: the status, the response headers (lower-case names) and the body decoded
by its content type: JSON as the decoded value, ``text/*`` (CSV, Markdown, HTML) as ``str``,
anything else (an XLSX workbook) as ``bytes``, a base64 body (API Gateway's binary form) decoded.
``Api.call`` returns a JSON body, ``Api.fetch`` any body; both raise ``ApiError`` carrying the
status and the API's ``message`` for any 4xx/5xx answer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol

USER_AGENT = "igny8-cli/0.1"
JSON = "application/json"


class ApiError(Exception):
    """An error answer of the API (or a transport failure, status 0), as one readable line."""

    def __init__(self, status: int, message: str, method: str = "", path: str = "", payload: Any = None):
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        self.payload = payload if isinstance(payload, dict) else {}
        where = f"{method} {path}: " if method else ""
        code = f"{status} " if status else ""
        super().__init__(f"{where}{code}{message}")

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The API's field errors of a 422 (``[{field, message}]``)."""
        return [e for e in self.payload.get("errors") or [] if isinstance(e, dict)]


class Reply(NamedTuple):
    """One answer: status, decoded body (see the module doc) and the headers, names lower-case."""

    status: int
    body: Any
    headers: dict[str, str] = {}


class Transport(Protocol):
    poll_interval: float
    description: str

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        accept: str = JSON,
        content_type: str | None = None,
    ) -> tuple[int, Any] | Reply:
        """Send one request (a ``bytes`` body as it is, of ``content_type``; anything else as JSON);
        return a ``Reply`` (or a plain ``(status, body)`` pair)."""
        ...


def media_type(headers: dict[str, str]) -> str:
    """``text/csv`` of ``Content-Type: text/csv; charset=utf-8`` (empty when absent)."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _charset(headers: dict[str, str]) -> str:
    for part in headers.get("content-type", "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _is_json(kind: str) -> bool:
    return not kind or kind == JSON or kind.endswith("+json")


def _is_text(kind: str) -> bool:
    return kind.startswith("text/") or kind in ("application/xml", "application/javascript")


def decode_body(raw: bytes | str | None, headers: dict[str, str], base64_encoded: bool = False) -> Any:
    """The body by its content type: JSON value, ``str`` for text, ``bytes`` otherwise."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    data = raw or b""
    kind = media_type(headers)
    if base64_encoded:
        data = base64.b64decode(data)
    elif not _is_json(kind) and not _is_text(kind):
        # API Gateway without a binary media type for this type hands a binary body on as its
        # base64 text; a real binary body (an XLSX zip) is never valid base64.
        with contextlib.suppress(binascii.Error, ValueError):
            data = base64.b64decode(data, validate=True)
    if _is_json(kind):
        return _decode_json(data)
    if _is_text(kind):
        return data.decode(_charset(headers), "replace")
    return data


def _decode_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace")
        return {"message": " ".join(text.split())[:300]}


def _body_type(body: Any, content_type: str | None) -> str:
    """The request's Content-Type: the one given, else JSON (or octet-stream for raw bytes)."""
    return content_type or ("application/octet-stream" if isinstance(body, bytes) else JSON)


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


class InProcessTransport:
    """Calls the API handler in this process (the local stack must be started)."""

    poll_interval = 0.1

    def __init__(self, api_key: str) -> None:
        self.headers = {"authorization": f"Bearer {api_key}", "user-agent": USER_AGENT}
        self.description = "local stack (in process)"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        accept: str = JSON,
        content_type: str | None = None,
    ) -> Reply:
        from local_stack.apigw import call_api, proxy_event

        headers = {**self.headers, "accept": accept, "content-type": _body_type(body, content_type)}
        response = call_api(proxy_event(method, path, body, headers, query))
        found = _lower(response.get("headers"))
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if values:
                found.setdefault(str(name).lower(), ", ".join(str(v) for v in values))
        payload = decode_body(response.get("body"), found, bool(response.get("isBase64Encoded")))
        return Reply(int(response["statusCode"]), payload, found)


class HttpTransport:
    """HTTP(S) to a deployed API; ``base_url`` includes the stage, e.g. ``https://…/Prod``."""

    poll_interval = 1.0

    def __init__(self, base_url: str, api_key: str | None, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiError(
                0, f"--api must be an http(s) URL such as https://api.example.com/Prod, not {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = {"user-agent": USER_AGENT}
        if api_key:
            self.headers["authorization"] = f"Bearer {api_key}"
        self.description = self.base_url

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        accept: str = JSON,
        content_type: str | None = None,
    ) -> Reply:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        headers = {**self.headers, "accept": accept}
        if data is not None:
            headers["content-type"] = _body_type(body, content_type)
        req = urllib.request.Request(url, data=data, method=method.upper(), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                found = _lower(dict(response.headers.items()))
                return Reply(int(response.status), decode_body(response.read(), found), found)
        except urllib.error.HTTPError as exc:
            with exc:
                found = _lower(dict(exc.headers.items()) if exc.headers else {})
                return Reply(int(exc.code), decode_body(exc.read(), found), found)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(0, f"cannot reach the API at {self.base_url}: {reason}", method, path) from None


class Api:
    """The API as the commands use it: calls, pages, and following a job."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> Any:
        """A JSON answer: the decoded body (``{}`` when empty). ``body``: JSON, or ``bytes`` sent as
        they are with ``content_type`` (a keyword file, say)."""
        reply = self.fetch(method, path, body, query, accept=JSON, content_type=content_type)
        if isinstance(reply.body, (str, bytes)):
            kind = media_type(reply.headers) or "no content type"
            raise ApiError(reply.status, f"expected a JSON answer, got {kind}", method, path)
        return reply.body if reply.body is not None else {}

    def fetch(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        accept: str = "*/*",
        content_type: str | None = None,
    ) -> Reply:
        """Any route: the ``Reply`` (a text body as ``str``, a binary one as ``bytes``)."""
        extra = {"content_type": content_type} if content_type else {}
        answer = self.transport.request(method, path, body, query, accept=accept, **extra)
        reply = answer if isinstance(answer, Reply) else Reply(int(answer[0]), answer[1], {})
        if reply.status >= 400:
            payload = reply.body
            message = payload.get("message") if isinstance(payload, dict) else None
            if not message and isinstance(payload, str):
                message = " ".join(payload.split())[:300]
            raise ApiError(
                reply.status, str(message or "the API answered with an error"), method, path, payload
            )
        return reply

    def pages(
        self, path: str, query: dict[str, str] | None = None, limit: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list route, following ``next`` (the ``after`` cursor) page by page."""
        params = {**(query or {}), "limit": str(limit)}
        seen: set[str] = set()
        while True:
            page = self.call("GET", path, query=params)
            yield from page.get("results") or []
            cursor = page.get("next")
            if cursor in (None, "") or str(cursor) in seen:
                return
            seen.add(str(cursor))
            params["after"] = str(cursor)

    def wait(
        self,
        task_id: str,
        on_update: Callable[[dict[str, Any]], None] | None = None,
        timeout: float = 1800.0,
    ) -> dict[str, Any]:
        """Poll ``GET /v1/jobs/{task_id}`` until the job ends; ``on_update`` sees every poll."""
        deadline = time.monotonic() + timeout
        while True:
            job = dict(self.call("GET", f"/v1/jobs/{task_id}"))
            if on_update is not None:
                on_update(job)
            if job.get("status") in ("completed", "failed"):
                return job
            if time.monotonic() > deadline:
                raise ApiError(
                    0, f"job {task_id} did not finish within {timeout:.0f} s (still {job.get('phase')})"
                )
            time.sleep(self.transport.poll_interval)
