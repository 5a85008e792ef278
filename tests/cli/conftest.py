"""Fixtures of the CLI tests.

- ``cli_target``: a ``Target`` whose "local stack" is the session's ``stack`` fixture with the
  test's own account, so ``runner.invoke(cli, args, obj=cli_target)`` runs a command in process
  against the API handler, exactly as the CLI does without ``--api`` (one local stack per process:
  the CLI's own start-up of a stack is exercised by the subprocess test).
- ``http_api``: ``make api``'s HTTP server (local_stack.apigw.serve) on 127.0.0.1 in a thread,
  over the same stack, for the ``--api URL --key KEY`` transport.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest

from igny8_cli.client import Api, InProcessTransport
from igny8_cli.main import Target


@pytest.fixture
def cli_target(account: Any) -> Target:
    api = Api(InProcessTransport(account.api_key))
    return Target(local=lambda: nullcontext(api))


@pytest.fixture(scope="session")
def _http_server(stack: object) -> Iterator[str]:
    from local_stack.apigw import serve

    server = serve("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_api(_http_server: str) -> str:
    return _http_server
