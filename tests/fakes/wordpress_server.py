"""A fake WordPress REST API on 127.0.0.1 for the publishing tests.

It speaks the part of ``/wp-json/wp/v2`` that publishing uses, as WordPress does:

- ``GET /wp-json/wp/v2/{categories,tags}?search=NAME`` -> a list of terms;
- ``POST /wp-json/wp/v2/{categories,tags}`` ``{name}`` -> 201 the term, or 400 ``term_exists``
  with ``data.term_id`` when a term of that name exists (WordPress's own answer);
- ``POST /wp-json/wp/v2/posts`` -> 201 the post (``id``, ``link``, ``status``...);
- ``POST /wp-json/wp/v2/posts/{id}`` -> 200 the updated post, 404 ``rest_post_invalid_id``.

Every request must carry ``Authorization: Basic base64(user:application password)``; else 401
``rest_not_logged_in`` (no header) or ``incorrect_password``. Requests are recorded.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class WpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str | None


@dataclass
class FakeWordPress:
    user: str = "editor"
    password: str = "abcd efgh ijkl mnop qrst uvwx"
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    terms: dict[str, dict[int, str]] = field(default_factory=lambda: {"categories": {}, "tags": {}})
    requests: list[WpRequest] = field(default_factory=list)
    next_id: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWordPress:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------ requests
    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        auth = handler.headers.get("authorization")
        with self.lock:
            self.requests.append(WpRequest(method, parts.path, parse_qs(parts.query), body, auth))
            status, answer = self.answer(method, parts.path, parse_qs(parts.query), body, auth)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json; charset=UTF-8")
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str | None
    ) -> tuple[int, Any]:
        if not auth:
            return 401, {
                "code": "rest_not_logged_in",
                "message": "You are not currently logged in.",
                "data": {"status": 401},
            }
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if auth != expected:
            return 401, {
                "code": "incorrect_password",
                "message": "The provided password is an invalid application password.",
                "data": {"status": 401},
            }
        if path == "/wp-json/wp/v2/users/me" and method == "GET":
            return 200, {"id": 1, "name": self.user, "slug": self.user}
        term = re.fullmatch(r"/wp-json/wp/v2/(categories|tags)", path)
        if term:
            return self.term(term.group(1), method, query, body)
        if path == "/wp-json/wp/v2/posts" and method == "POST":
            post_id = self.new_id()
            self.posts[post_id] = self.post(post_id, body or {})
            return 201, self.posts[post_id]
        update = re.fullmatch(r"/wp-json/wp/v2/posts/(\d+)", path)
        if update and method == "POST":
            post_id = int(update.group(1))
            if post_id not in self.posts:
                return 404, {
                    "code": "rest_post_invalid_id",
                    "message": "Invalid post ID.",
                    "data": {"status": 404},
                }
            self.posts[post_id] = {**self.posts[post_id], **self.post(post_id, body or {})}
            return 200, self.posts[post_id]
        return 404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def post(self, post_id: int, body: dict[str, Any]) -> dict[str, Any]:
        slug = body.get("slug") or f"post-{post_id}"
        return {
            "id": post_id,
            "status": body.get("status", "draft"),
            "slug": slug,
            "link": f"{self.url}/?p={post_id}",
            "title": {"raw": body.get("title"), "rendered": body.get("title")},
            "content": {"raw": body.get("content"), "rendered": body.get("content")},
            "excerpt": {"raw": body.get("excerpt"), "rendered": body.get("excerpt")},
            "categories": body.get("categories", []),
            "tags": body.get("tags", []),
        }

    def term(self, kind: str, method: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        terms = self.terms[kind]
        if method == "GET":
            search = (query.get("search") or [""])[0].lower()
            return 200, [{"id": i, "name": n} for i, n in terms.items() if search in n.lower()]
        name = str((body or {}).get("name") or "").strip()
        if not name:
            return 400, {
                "code": "rest_missing_callback_param",
                "message": "Missing parameter(s): name",
                "data": {"status": 400},
            }
        for term_id, existing in terms.items():
            if existing.lower() == name.lower():
                return 400, {
                    "code": "term_exists",
                    "message": "A term with the name provided already exists.",
                    "data": {"status": 400, "term_id": term_id},
                }
        term_id = self.new_id()
        terms[term_id] = name
        return 201, {"id": term_id, "name": name}
