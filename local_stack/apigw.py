"""API Gateway REST proxy events, and a local HTTP server that serves the API through them.

``make api`` runs the server on 127.0.0.1:3000: each HTTP request becomes the proxy event
API Gateway would send, and the API Lambda's real handler answers it in process.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local_stack.stack import invoke_handler
from local_stack.template import function_definitions


def proxy_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    stage: str = "local",
) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) event.

    A ``bytes`` body that is not UTF-8 is sent base64-encoded (``isBase64Encoded``), as API Gateway
    sends a binary body; a UTF-8 one as text.
    """
    encoded = False
    if isinstance(body, bytes):
        try:
            raw: str | None = body.decode("utf-8")
        except UnicodeDecodeError:
            raw, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        raw = body if isinstance(body, str) or body is None else json.dumps(body)
    hdrs = {"content-type": "application/json", **(headers or {})}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": hdrs.get("user-agent", "local")},
            "accountId": "123456789012",
            "apiId": "local",
        },
        "body": raw,
        "isBase64Encoded": encoded,
    }


#: One request at a time in the handler, as one Lambda instance runs them: the powertools resolver
#: keeps the current request on the (module-level) app, so two threads in it at once would mix
#: their requests. Concurrency is many instances on AWS; tests of it use several processes, or
#: call the services from threads.
_HANDLER_LOCK = threading.Lock()


def call_api(event: dict[str, Any]) -> dict[str, Any]:
    """Invoke the API Lambda's handler in process; returns its proxy response."""
    function = function_definitions()["ApiFunction"]
    with _HANDLER_LOCK:
        payload, errored = invoke_handler(function, "ApiFunction", event)
    response = json.loads(payload)
    if errored:  # API Gateway answers a failed invocation without its detail
        print(f"ApiFunction failed: {response.get('errorType')}: {response.get('errorMessage')}", flush=True)
        return {
            "statusCode": 500,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(
                {
                    "success": False,
                    "error": "InternalError",
                    "message": "internal error, request id "
                    + str(event.get("requestContext", {}).get("requestId")),
                }
            ),
        }
    return dict(response)


#: API Gateway refuses bodies over 10 MB itself (the API's own limit, 6 MB, is checked by the handler).
GATEWAY_MAX_BODY = 10 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:
        print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)

    def _refuse(self, status: int, error: str, message: str) -> None:
        data = json.dumps({"success": False, "error": error, "message": message}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(400, "BadRequest", "malformed request: bad Content-Length")
        if length > GATEWAY_MAX_BODY:
            return self._refuse(413, "PayloadTooLarge", "the body is over 10 MB")
        body = self.rfile.read(length) if length else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        event = proxy_event(
            self.command,
            parts.path,
            body,
            headers,
            dict(parse_qsl(parts.query, keep_blank_values=True)) or None,
        )
        response = call_api(event)
        data = (response.get("body") or "").encode()
        if response.get("isBase64Encoded"):
            data = base64.b64decode(data)
        self.send_response(int(response.get("statusCode", 500)))
        for name, value in (response.get("headers") or {}).items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if name.lower() != "content-length":
                for value in values:
                    self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _serve  # noqa: N815


def serve(host: str = "127.0.0.1", port: int = 3000) -> ThreadingHTTPServer:
    """A threaded HTTP server for the API (call ``serve_forever`` or run it in a thread)."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    return server
