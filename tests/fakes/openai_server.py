"""A fake OpenAI-compatible HTTP server on 127.0.0.1 for tests.

The real ``openai`` client talks to it over real HTTP. Tests script its answers:

    server.queue_json({"clusters": [...]})          # a 200 with that JSON as the message content
    server.queue(FakeReply(status=429, headers={"retry-after": "0"}))
    server.responder = lambda request: FakeReply(...)  # compute answers from the request

Every request received is kept in ``server.requests`` (method, path, headers, parsed body).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeReply:
    """One scripted answer."""

    content: str | None = None
    status: int = 200
    finish_reason: str = "stop"
    prompt_tokens: int = 100
    completion_tokens: int = 50
    refusal: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # a raw body overrides everything above
    delay: float = 0.0
    model: str | None = None


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def completion_body(reply: FakeReply, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


class FakeOpenAIServer:
    """Start with ``start()``; its ``base_url`` goes into OPENAI_BASE_URL."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.replies: deque[FakeReply] = deque()
        self.responder: Callable[[ReceivedRequest], FakeReply] | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ scripting
    def queue(self, *replies: FakeReply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def queue_json(self, value: Any, **kwargs: Any) -> None:
        self.queue(FakeReply(content=json.dumps(value), **kwargs))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.replies.clear()
            self.responder = None

    def _next(self, request: ReceivedRequest) -> FakeReply:
        with self._lock:
            self.requests.append(request)
            if self.replies:
                return self.replies.popleft()
        if self.responder is not None:
            return self.responder(request)
        return FakeReply(status=500, body={"error": {"message": "fake server: no reply scripted"}})

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                request = ReceivedRequest(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                reply = server._next(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.body is not None:
                    payload = reply.body
                elif reply.status >= 400:
                    payload = {
                        "error": {"message": reply.content or f"fake error {reply.status}", "type": "fake"}
                    }
                else:
                    payload = completion_body(reply, str(body.get("model", "fake-model")))
                data = json.dumps(payload).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True, name="fake-openai").start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
