"""An account cannot aim AI calls at internal addresses: refused when saved, and again when called.

Through the API handler and the real state machine on the local stack, with the fake OpenAI server
on 127.0.0.1 standing in for an internal service that must never be reached.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from shared.config import reset_settings
from shared.db.models import IntegrationSettings
from shared.db.repo import get_one
from tests.helpers import add_keywords, api, run_job

pytestmark = pytest.mark.integration

_real_getaddrinfo = socket.getaddrinfo
#: Host names the test resolves itself; every other name goes to the real resolver.
DNS: dict[str, str] = {}


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    if isinstance(host, str) and host.lower() in DNS:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (DNS[host.lower()], port))]
    return _real_getaddrinfo(host, port, *args, **kwargs)


@pytest.fixture
def dns(monkeypatch, fake_openai) -> Iterator[dict[str, str]]:
    """Fake DNS for some names, and the outbound rules as deployed (no loopback, no allow-list)."""
    monkeypatch.setattr(socket, "getaddrinfo", _getaddrinfo)
    for name in ("AI_ALLOW_LOOPBACK", "AI_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    DNS.clear()
    yield DNS
    DNS.clear()
    reset_settings()


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        ("http://169.254.169.254/latest", "base_url must use https"),
        ("https://169.254.169.254/latest", "169.254.169.254, a link-local address"),
        ("https://127.0.0.1:8765/internal-admin", "127.0.0.1, a loopback address"),
        ("https://[::ffff:127.0.0.1]/v1", "a loopback address: 127.0.0.1, embedded in the IPv6 address"),
        ("https://10.0.0.7/v1", "10.0.0.7, a private address"),
        ("https://internal.example.test/v1", "'internal.example.test' resolves to 192.168.4.4, a private"),
    ],
)
def test_saving_an_internal_endpoint_is_refused_and_nothing_is_stored(stack, account, dns, base_url, why):
    dns["internal.example.test"] = "192.168.4.4"
    status, body = api("PUT", "/v1/settings/ai", account.api_key, {"base_url": base_url, "model": "gpt-4o"})

    assert 400 <= status < 500, body
    assert "base_url" in body["message"] and why in body["message"], body
    assert get_one(IntegrationSettings, account.account_id, "openai") is None  # nothing stored
    status, view = api("GET", "/v1/settings/ai", account.api_key)
    assert status == 200 and "base_url" not in view and view.get("model") is None


def test_a_long_refused_base_url_is_not_echoed_in_full(stack, account, dns):
    base_url = "https://169.254.169.254/" + "x" * 450
    status, body = api("PATCH", "/v1/settings/ai", account.api_key, {"base_url": base_url})

    assert 400 <= status < 500 and "x" * 300 not in body["message"]


def test_dns_that_later_points_at_loopback_fails_the_job_without_calling(stack, account, fake_openai, dns):
    port = urlsplit(fake_openai.base_url).port
    dns["llm.example.test"] = "93.184.215.14"  # public when the settings are saved
    base_url = f"https://llm.example.test:{port}/v1"
    status, view = api(
        "PUT",
        "/v1/settings/ai",
        account.api_key,
        {"base_url": base_url, "allowed_models": ["llama3.1"], "model": "llama3.1"},
    )
    assert status == 200 and view["base_url"] == base_url, view
    ids = add_keywords(account.account_id, ["cold brew recipe", "how to make cold brew"])
    dns["llm.example.test"] = "127.0.0.1"  # ... and rebound to the fake server's address later

    job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids, "strategy": "prompt"})

    assert job.status == "failed" and job.error_type == "AIProviderError", (job.status, job.error)
    assert job.error.startswith("the account's AI endpoint was not called: base_url host 'llm.example.test'")
    assert "resolves to 127.0.0.1, a loopback address" in job.error
    assert fake_openai.requests == []
    assert os.environ.get("AI_ALLOW_LOOPBACK") is None
