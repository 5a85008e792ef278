"""A transport answering from a list, for the CLI tests that need no stack."""

from __future__ import annotations

from typing import Any

from igny8_cli.client import Reply


class FakeTransport:
    """Answers from a list of ``Reply`` or (status, body) and records the requests and Accept headers."""

    poll_interval = 0.0
    description = "fake"

    def __init__(self, *answers: tuple[int, Any] | Reply) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, Any, dict[str, str] | None]] = []
        self.accepts: list[str] = []
        self.content_types: list[str | None] = []

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        accept: str = "application/json",
        content_type: str | None = None,
    ) -> Any:
        self.requests.append((method, path, body, dict(query) if query else None))
        self.accepts.append(accept)
        self.content_types.append(content_type)
        return self.answers.pop(0)
