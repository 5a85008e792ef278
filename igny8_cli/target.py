"""Where a command sends its requests, and the output helpers every command shares.

Target order: ``--api URL --key KEY`` (or IGNY8_API_URL / IGNY8_API_KEY); else the server that
``make api`` runs and recorded in ``.igny8/local.json``; else, for the commands that bring their
own data (``import``, ``cluster``, ``run``), a private in-process stack that lives as long as the
command. The commands that read earlier results (``ideas``, ``tasks``, ``write``, ``jobs``,
``export``, ``report``) say in one line how to start a server instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from typing import Any

import click

from igny8_cli.client import Api, HttpTransport
from igny8_cli.local import NO_SERVER, LocalServer, ai_provider, find_local_server
from igny8_cli.progress import JobProgress


def _private_stack() -> ContextManager[Api]:
    from igny8_cli.local import local_api

    return local_api()


_UNRESOLVED: Any = object()


@dataclass
class Target:
    """Where the commands send their requests; tests pass one as ``obj`` with ``local``/``server`` replaced."""

    api_url: str | None = None
    api_key: str | None = None
    local: Callable[[], ContextManager[Api]] = field(default=_private_stack)
    server: Callable[[], LocalServer | None] = field(default=find_local_server)
    _found: Any = field(default=_UNRESOLVED, init=False, repr=False)

    def local_server(self) -> LocalServer | None:
        """``make api``'s server when no ``--api`` is given and one answers (looked up once)."""
        if self.api_url:
            return None
        if self._found is _UNRESOLVED:
            self._found = self.server()
        found: LocalServer | None = self._found
        return found

    @property
    def is_local(self) -> bool:
        """True when the command runs on a private stack whose data dies with it."""
        return not self.api_url and self.local_server() is None

    def describe(self) -> str:
        if self.api_url:
            return f"API {self.api_url}"
        server = self.local_server()
        if server is not None:
            return f"local API {server.url} (`make api`, AI: {server.ai or 'as the server runs it'})"
        return f"local stack in process (AI: {ai_provider()})"

    def ai_description(self) -> str:
        """The AI provider in the words of ``make demo`` (the server's own when it says)."""
        if self.api_url:
            return "as configured for the account on the API"
        server = self.local_server()
        if server is not None:
            return server.ai or "as the local API runs it"
        return ai_provider()

    @contextlib.contextmanager
    def connect(self, needs_saved_data: bool = False) -> Iterator[Api]:
        """An ``Api`` on the target; ``needs_saved_data``: no private stack (it would be empty)."""
        if self.api_url:
            yield Api(HttpTransport(self.api_url, self.api_key))
            return
        server = self.local_server()
        if server is not None:
            yield server.api()
        elif needs_saved_data:
            raise click.ClickException(NO_SERVER)
        else:
            with self.local() as api:
                yield api


def info(text: str) -> None:
    """Progress and notes go to stderr; results to stdout."""
    click.echo(text, err=True)


def follow(api: Api, task_id: str, label: str, timeout: float) -> dict[str, Any]:
    """Follow a job to its end with the progress bar on stderr; returns the final job."""
    progress = JobProgress(label)
    try:
        return api.wait(task_id, progress, timeout=timeout)
    finally:
        progress.close()


def job_failure(job: dict[str, Any]) -> str:
    return f"{job.get('function')} job {job.get('task_id')} failed: {job.get('error') or job.get('message')}"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], width: int = 70) -> None:
    """Rows as aligned columns on stdout: ``columns`` are (key, heading); long cells are cut."""
    if not rows:
        return
    cells = [[_cell(row.get(key), width) for key, _ in columns] for row in rows]
    sizes = [max(len(heading), *(len(c[i]) for c in cells)) for i, (_, heading) in enumerate(columns)]
    click.echo("  ".join(h.ljust(sizes[i]) for i, (_, h) in enumerate(columns)).rstrip())
    for line in cells:
        click.echo("  ".join(c.ljust(sizes[i]) for i, c in enumerate(line)).rstrip())


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = ""
    elif isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def ids_option(values: Sequence[int]) -> list[int]:
    """Repeated ``--x ID`` values, each once, in the order given."""
    return list(dict.fromkeys(int(v) for v in values))


def batches(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])
