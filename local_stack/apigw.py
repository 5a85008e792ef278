"""API Gateway REST proxy events, and a local HTTP server that serves the API through them.

``make api`` runs the server on 127.0.0.1:3000: each HTTP request becomes the proxy event
API Gateway would send, and the API Lambda's real handler answers it in process.
"""

from __future__ import annotations

import json
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
    """An API Gateway (REST, proxy integration) event."""
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
        "isBase64Encoded": False,
    }


def call_api(event: dict[str, Any]) -> dict[str, Any]:
    """Invoke the API Lambda's handler in process; returns its proxy response."""
    function = function_definitions()["ApiFunction"]
    payload, errored = invoke_handler(function, "ApiFunction", event)
    response = json.loads(payload)
    if errored:
        return {
            "statusCode": 500,
            "headers": {},
            "body": json.dumps({"message": response.get("errorMessage")}),
        }
    return dict(response)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:
        print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        event = proxy_event(self.command, parts.path, body, headers, dict(parse_qsl(parts.query)) or None)
        response = call_api(event)
        data = (response.get("body") or "").encode()
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
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815


def serve(host: str = "127.0.0.1", port: int = 3000) -> ThreadingHTTPServer:
    """A threaded HTTP server for the API (call ``serve_forever`` or run it in a thread)."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    return server
