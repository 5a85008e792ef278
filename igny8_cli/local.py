"""The in-process local stack for commands run without ``--api``.

The same stack as ``make demo``: a moto server on 127.0.0.1 built from template.yaml, the real
state machine, every Lambda's real handler in this process. An account with plenty of credits
and an API key are created for the run; the data lives only as long as the command.
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` / ``OPENAI_MODEL`` are read from the environment by
the stack, as in ``make demo``; without a key the offline provider answers. The handlers' logs
are silenced unless ``IGNY8_LOG_LEVEL`` is set (for example ``INFO``); they go to stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from igny8_cli.client import Api, InProcessTransport

ROOT = Path(__file__).resolve().parents[1]
LOCAL_CREDITS = 1_000_000_000


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
