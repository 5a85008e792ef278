"""The local targets of commands run without ``--api``: ``make api``'s server, or a private stack.

``make api`` (scripts/serve_api.py) serves the API on 127.0.0.1:3000 over a local stack and
writes its address and key to ``.igny8/local.json`` (``IGNY8_LOCAL_FILE`` names another file);
``find_local_server`` reads that file and checks the server answers, so ``igny8 import`` and then
``igny8 ideas`` work on the same data while the server runs.

Without one, ``import``, ``cluster`` and ``run`` start a private stack in process
(``local_api``): a moto server on 127.0.0.1 built from template.yaml, the real state machine,
every Lambda's real handler in this process. An account with plenty of credits and an API key
are created for the run; the data lives only as long as the command.
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` / ``OPENAI_MODEL`` are read from the environment by
the stack, as in ``make demo``; without a key the offline provider answers. The handlers' logs
are silenced unless ``IGNY8_LOG_LEVEL`` is set (for example ``INFO``); they go to stdout.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from igny8_cli.client import Api, ApiError, HttpTransport, InProcessTransport

ROOT = Path(__file__).resolve().parents[1]
LOCAL_CREDITS = 1_000_000_000
LOCAL_FILE_ENV = "IGNY8_LOCAL_FILE"
HEALTH_TIMEOUT = 10.0  # a gone server refuses at once; a live one may be busy running a job
NO_SERVER = (
    "no local API is running: start one with `make api` in another terminal (its data lasts while "
    "it runs), or use --api URL --key KEY for a deployed API"
)


@dataclass(frozen=True)
class LocalServer:
    """What ``make api`` writes to ``.igny8/local.json``: where it listens, its key, its account."""

    url: str
    key: str
    account_id: str = ""
    ai: str = ""  # the server's AI provider, in the words of ``ai_provider``
    pid: int = 0

    def api(self) -> Api:
        transport = HttpTransport(self.url, self.key)
        transport.poll_interval = 0.2  # a server on this machine: follow jobs closely
        return Api(transport)


def local_file() -> Path:
    """``.igny8/local.json`` in the checkout, or the file ``IGNY8_LOCAL_FILE`` names."""
    return Path(os.environ.get(LOCAL_FILE_ENV) or ROOT / ".igny8" / "local.json")


def write_local_file(server: LocalServer) -> Path:
    """Record a running server (readable by this user only: it holds an API key)."""
    path = local_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if path.parent.name == ".igny8" and not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")  # the folder keeps itself out of git
    temporary = path.with_name(path.name + ".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text(json.dumps(asdict(server), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def remove_local_file(pid: int) -> None:
    """Remove the record if it is still the one of process ``pid`` (a newer server keeps its own)."""
    path = local_file()
    recorded = read_local_file(path)
    if recorded is not None and recorded.pid == pid:
        with suppress(OSError):
            path.unlink()


def read_local_file(path: Path | None = None) -> LocalServer | None:
    try:
        data: Any = json.loads((path or local_file()).read_text(encoding="utf-8"))
        return LocalServer(
            url=str(data["url"]),
            key=str(data["key"]),
            account_id=str(data.get("account_id") or ""),
            ai=str(data.get("ai") or ""),
            pid=int(data.get("pid") or 0),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def find_local_server() -> LocalServer | None:
    """The server ``make api`` recorded, if it answers ``/health`` now; else None."""
    server = read_local_file()
    if server is None:
        return None
    try:
        status, body, _ = HttpTransport(server.url, None, timeout=HEALTH_TIMEOUT).request("GET", "/health")
    except ApiError:
        return None  # a record left by a server that is gone
    return server if status == 200 and isinstance(body, dict) and body.get("ok") else None


def ai_provider() -> str:
    """Which AI provider the local stack uses, in the words of ``make demo``."""
    return "OpenAI-compatible API" if os.environ.get("OPENAI_API_KEY") else "offline local provider"


@contextmanager
def local_api(stack_name: str = "igny8-cli") -> Iterator[Api]:
    """Start the local stack, create an account and a key, yield an ``Api`` over the handler."""
    if str(ROOT) not in sys.path:  # local_stack/ and shared/ live in the checkout
        sys.path.insert(0, str(ROOT))
    from local_stack.stack import LocalStack

    stack = LocalStack(stack_name=stack_name).start()
    try:
        from shared.observability import logger
        from shared.services.accounts import create_account, create_api_key

        # The handlers run in this process: their JSON logs would land in the command's output.
        # A failed job is reported by the command itself; IGNY8_LOG_LEVEL=INFO shows the logs.
        logger.setLevel(os.environ.get("IGNY8_LOG_LEVEL", "CRITICAL").upper())

        account = create_account("igny8 CLI (local)", credits=LOCAL_CREDITS)
        yield Api(InProcessTransport(create_api_key(account.account_id, label="cli")))
    finally:
        with suppress(TimeoutError):
            stack.wait_idle(timeout=60)
        stack.stop()
