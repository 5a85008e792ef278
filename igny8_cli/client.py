"""A small client for the IGNY8 API with two transports.

- ``InProcessTransport``: the API Lambda's real handler called in process with API Gateway
  proxy events (the local stack; what ``scripts/demo.py`` does).
- ``HttpTransport``: HTTPS to a deployed API (or ``make api``) with the standard library's
  ``urllib``; the key travels as ``Authorization: Bearer``.

``Api.call`` returns the decoded JSON body, or raises ``ApiError`` carrying the status and the
API's ``message`` for any 4xx/5xx answer.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any, Protocol

USER_AGENT = "igny8-cli/0.1"


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


class Transport(Protocol):
    poll_interval: float
    description: str

    def request(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send one request; return (status code, decoded JSON body or None)."""
        ...


def _decode(raw: bytes | str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return {"message": " ".join(text.split())[:300]}


class InProcessTransport:
    """Calls the API handler in this process (the local stack must be started)."""

    poll_interval = 0.1

    def __init__(self, api_key: str) -> None:
        self.headers = {"authorization": f"Bearer {api_key}", "user-agent": USER_AGENT}
        self.description = "local stack (in process)"

    def request(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        from local_stack.apigw import call_api, proxy_event

        response = call_api(proxy_event(method, path, body, self.headers, query))
        return int(response["statusCode"]), _decode(response.get("body"))


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
        self.headers = {"accept": "application/json", "user-agent": USER_AGENT}
        if api_key:
            self.headers["authorization"] = f"Bearer {api_key}"
        self.description = self.base_url

    def request(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["content-type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method.upper(), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                return int(response.status), _decode(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return int(exc.code), _decode(exc.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(0, f"cannot reach the API at {self.base_url}: {reason}", method, path) from None


class Api:
    """The API as the commands use it: calls, pages, and following a job."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        status, payload = self.transport.request(method, path, body, query)
        if status >= 400:
            message = payload.get("message") if isinstance(payload, dict) else None
            raise ApiError(status, str(message or "the API answered with an error"), method, path, payload)
        return payload if payload is not None else {}

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
