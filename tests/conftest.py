"""Shared fixtures.

- Every test may talk only to 127.0.0.1: other connections raise at once.
- ``stack``: the local AWS stack (moto server built from template.yaml), one per session.
- ``account``: a fresh account with an API key; accounts isolate tests from each other.
- ``fake_openai``: the fake OpenAI-compatible server, wired in through OPENAI_API_KEY and
  OPENAI_BASE_URL, so the real ``openai`` client and real HTTP are exercised.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.fakes.openai_server import FakeOpenAIServer

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "localhost", "::1"):
        raise ConnectionRefusedError(f"tests may only connect to 127.0.0.1, not {host!r}")
    _real_connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]

for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_SECRET_NAME"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def stack() -> Iterator[object]:
    from local_stack.stack import LocalStack

    local = LocalStack(stack_name="igny8-test", fast_retries=True).start()
    yield local
    local.wait_idle(timeout=30)
    local.stop()


@dataclass
class AccountFixture:
    account_id: str
    api_key: str


@pytest.fixture
def account(stack: object) -> AccountFixture:
    from shared.services.accounts import create_account, create_api_key

    created = create_account("Test agency", credits=100_000)
    return AccountFixture(created.account_id, create_api_key(created.account_id))


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


def _reset_ai_clients() -> None:
    from shared.config import reset_settings

    reset_settings()
    try:
        from shared.ai.providers import _secret_value
        from shared.ai.providers.openai_provider import _CLIENTS

        _CLIENTS.clear()
        _secret_value.cache_clear()
    except ImportError:
        pass


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAIServer, stack: object) -> Iterator[FakeOpenAIServer]:
    _fake_openai_server.reset()
    os.environ["OPENAI_API_KEY"] = "sk-test-fake-key-0123456789"
    os.environ["OPENAI_BASE_URL"] = _fake_openai_server.base_url
    os.environ["AI_TIMEOUT_SECONDS"] = "5"
    os.environ["AI_MAX_RETRIES"] = "0"
    _reset_ai_clients()
    yield _fake_openai_server
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AI_TIMEOUT_SECONDS", "AI_MAX_RETRIES"):
        os.environ.pop(var, None)
    _reset_ai_clients()
