"""Fixtures of the CLI tests.

- ``cli_target``: a ``Target`` whose private "local stack" is the session's ``stack`` fixture with
  the test's own account, so ``runner.invoke(cli, args, obj=cli_target)`` runs a command in
  process against the API handler, exactly as the CLI does without ``--api`` and without a
  running ``make api`` (one local stack per process: the CLI's own start-up of a stack is
  exercised by the subprocess tests).
- ``http_api``: ``make api``'s HTTP server (local_stack.apigw.serve) on 127.0.0.1 in a thread,
  over the same stack, for the ``--api URL --key KEY`` transport.
- ``local_api``: as if ``make api`` were running: the ``http_api`` server recorded, with the test
  account's key, in the file ``make api`` writes (``IGNY8_LOCAL_FILE``), so a command run
  without ``obj`` finds it as a user's command would.
- Every test gets its own ``IGNY8_LOCAL_FILE`` (absent unless ``local_api`` writes it), so a
  ``make api`` someone runs in the checkout meanwhile is never used by the tests.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from igny8_cli.client import Api, InProcessTransport
from igny8_cli.local import LOCAL_FILE_ENV, LocalServer, write_local_file
from igny8_cli.main import Target


@pytest.fixture(autouse=True)
def local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "igny8-local" / "local.json"
    monkeypatch.setenv(LOCAL_FILE_ENV, str(path))

    def no_second_stack() -> None:
        # A second moto stack in this process would take over the session stack's environment.
        raise AssertionError("a command started a private stack in the test process: pass obj=cli_target")

    monkeypatch.setattr("igny8_cli.local.local_api", no_second_stack)
    return path


@pytest.fixture
def cli_target(account: Any) -> Target:
    api = Api(InProcessTransport(account.api_key))
    return Target(local=lambda: nullcontext(api), server=lambda: None)


@pytest.fixture(scope="session")
def _http_server(stack: object) -> Iterator[str]:
    from local_stack.apigw import serve

    server = serve("127.0.0.1", 0)

    class Quiet(server.RequestHandlerClass):  # type: ignore[name-defined,misc]
        def log_message(self, fmt: str, *args: Any) -> None:
            """No request lines: printed from the server's thread they would land in a command's output."""

    server.RequestHandlerClass = Quiet
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with urllib.request.urlopen(f"{url}/health", timeout=60) as warm:  # the API handler's first import
        assert warm.status == 200
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_api(_http_server: str) -> str:
    return _http_server


@pytest.fixture
def local_api(http_api: str, account: Any, local_file: Path) -> LocalServer:
    server = LocalServer(http_api, account.api_key, account.account_id, "offline local provider", pid=1)
    write_local_file(server)
    return server
