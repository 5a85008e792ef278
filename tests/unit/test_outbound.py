"""Where an account's AI calls may go (shared.ai.outbound), with fake DNS: no lookup leaves the test."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from shared.ai.ai_core import NO_KEY, AICore
from shared.ai.embeddings import EmbeddingConfig
from shared.ai.model_settings import ModelConfig
from shared.ai.outbound import ECHO_LIMIT, EndpointRefused, check_account_endpoint, shorten
from shared.ai.providers.openai_provider import _CLIENTS, _client
from shared.config import ConfigError, read_settings, reset_settings
from shared.errors import AIProviderError, InputInvalid
from shared.services.ai_settings import validate_account_ai_settings

#: The fake DNS: host -> the addresses it resolves to. IP literals resolve to themselves.
DNS: dict[str, list[str]] = {
    "api.example.com": ["93.184.215.14"],
    "v6.example.com": ["2606:4700::1111"],
    "internal.example.com": ["10.1.2.3"],
    "rebind.example.com": ["93.184.215.14"],
    "mixed.example.com": ["93.184.215.14", "192.168.1.10"],
    "vllm.internal.example": ["10.0.0.5"],
    "localhost": ["127.0.0.1", "::1"],
}


def fake_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
    host = str(host).lower()
    addresses = DNS.get(host)
    if addresses is None:
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        addresses = [host]
    return [
        (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
        for a in addresses
    ]


@pytest.fixture
def env(monkeypatch) -> Iterator[Any]:
    """Fake DNS, no outbound settings; ``apply(NAME=value)`` sets one (None removes it)."""
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setenv("TABLE_PREFIX", os.environ.get("TABLE_PREFIX") or "unit-tests")
    for name in ("AI_ALLOWED_HOSTS", "AI_ALLOW_LOOPBACK", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def apply(**values: object) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        reset_settings()

    apply()
    yield apply
    reset_settings()
    _CLIENTS.clear()


def refused(url: str) -> str:
    with pytest.raises(EndpointRefused) as info:
        check_account_endpoint(url)
    return str(info.value)


# ---------------------------------------------------------------- refused at save time
@pytest.mark.parametrize(
    ("url", "why"),
    [
        (
            "https://169.254.169.254/latest",
            "a link-local address (169.254.0.0/16, where the instance metadata",
        ),
        ("https://127.0.0.1:8765/internal-admin", "resolves to 127.0.0.1, a loopback address"),
        ("https://[::1]/v1", "resolves to ::1, a loopback address"),
        ("https://10.20.30.40/v1", "resolves to 10.20.30.40, a private address"),
        ("https://192.168.0.7/v1", "a private address"),
        ("https://172.16.5.4/v1", "a private address"),
        ("https://[::ffff:127.0.0.1]/v1", "a loopback address: 127.0.0.1, embedded in the IPv6 address"),
        ("https://[::ffff:169.254.169.254]/v1", "link-local"),
        ("https://internal.example.com/v1", "'internal.example.com' resolves to 10.1.2.3, a private address"),
        ("https://mixed.example.com/v1", "resolves to 192.168.1.10, a private address"),  # every address
        ("https://100.64.1.1/v1", "a carrier-grade NAT address (100.64.0.0/10)"),
        ("https://0.0.0.0/v1", "an unspecified address"),
        ("https://[::]/v1", "an unspecified address"),
        ("https://224.0.0.251/v1", "a multicast address"),
        ("https://240.0.0.1/v1", "reserved"),
        ("https://[fe80::1]/v1", "a link-local address (fe80::/10)"),
        ("https://[fd12:3456::1]/v1", "a unique-local address (fc00::/7)"),
        ("https://[64:ff9b::a9fe:a9fe]/v1", "169.254.169.254, embedded in the IPv6 address"),  # NAT64
        ("https://[2002:a00:1::]/v1", "a private address: 10.0.0.1, embedded in the IPv6 address"),  # 6to4
        ("https://localhost/v1", "a loopback address"),
    ],
)
def test_non_public_addresses_are_refused(env, url, why):
    message = refused(url)
    assert why in message
    assert "an account's endpoint must be a public address" in message and "AI_ALLOWED_HOSTS" in message


def test_http_is_refused_and_a_host_that_does_not_resolve_too(env):
    assert "base_url must use https" in refused("http://api.example.com/v1")
    assert "base_url must use https" in refused("http://169.254.169.254/latest")
    assert "does not resolve" in refused("https://no-such-host.invalid/v1")
    assert "base_url must be an https URL" in refused("ftp://api.example.com/v1")


def test_public_hosts_are_allowed(env):
    check_account_endpoint("https://api.example.com/v1")
    check_account_endpoint("https://v6.example.com/v1")
    check_account_endpoint("https://API.Example.com./v1")  # case and a trailing dot


def test_allow_listed_hosts_skip_the_address_check_but_stay_https(env):
    env(AI_ALLOWED_HOSTS="vllm.internal.example, 10.0.0.9")
    check_account_endpoint("https://vllm.internal.example/v1")
    check_account_endpoint("https://10.0.0.9:8000/v1")
    assert "base_url must use https" in refused("http://vllm.internal.example/v1")
    assert "10.1.2.3, a private address" in refused("https://internal.example.com/v1")  # not listed
    assert read_settings({"TABLE_PREFIX": "t", "AI_ALLOWED_HOSTS": "A.example,[::1]"}).ai_allowed_hosts == (
        "a.example",
        "::1",
    )


def test_the_loopback_setting_allows_loopback_only(env):
    env(AI_ALLOW_LOOPBACK="true")
    check_account_endpoint("http://127.0.0.1:11434/v1")
    check_account_endpoint("http://localhost:11434/v1")
    check_account_endpoint("https://[::1]/v1")
    check_account_endpoint("http://[::ffff:127.0.0.1]:8000/v1")
    assert "link-local" in refused("http://169.254.169.254/latest")
    assert "a private address" in refused("http://10.0.0.1/v1")
    assert "base_url must use https" in refused("http://api.example.com/v1")  # http: loopback only
    assert read_settings({"TABLE_PREFIX": "t"}).ai_allow_loopback is False
    with pytest.raises(ConfigError, match="AI_ALLOW_LOOPBACK"):
        read_settings({"TABLE_PREFIX": "t", "AI_ALLOW_LOOPBACK": "maybe"})


def test_saving_settings_refuses_the_endpoint_saying_why(env):
    with pytest.raises(
        InputInvalid, match=r"base_url host '127\.0\.0\.1' resolves to 127\.0\.0\.1, a loopback"
    ):
        validate_account_ai_settings({"base_url": "https://127.0.0.1:8765/internal-admin"})
    with pytest.raises(InputInvalid, match="base_url must use https"):
        validate_account_ai_settings({"base_url": "http://169.254.169.254/latest"})
    with pytest.raises(InputInvalid, match="does not resolve"):
        validate_account_ai_settings({"base_url": "https://no-such-host.invalid/v1"})
    saved = validate_account_ai_settings({"base_url": "https://api.example.com/v1/"})
    assert saved["base_url"] == "https://api.example.com/v1"


def test_echoed_values_are_truncated(env):
    long_host = "a" * 300 + ".example.com"
    message = refused(f"https://{long_host}/v1")
    assert long_host not in message and "a" * ECHO_LIMIT in message and "characters)" in message
    assert len(shorten("x" * 10_000)) < ECHO_LIMIT + 40
    with pytest.raises(InputInvalid) as info:
        validate_account_ai_settings({"base_url": "gopher://" + "b" * 400})
    assert len(str(info.value)) < 400


# ---------------------------------------------------------------- checked again at call time
def test_the_call_time_check_fails_the_call_when_dns_changed(env):
    DNS["rebind.example.com"] = ["93.184.215.14"]
    validate_account_ai_settings({"base_url": "https://rebind.example.com/v1"})  # accepted at save time
    DNS["rebind.example.com"] = ["127.0.0.1"]  # ... and later points at loopback
    try:
        config = ModelConfig("llama3.1", 100, 0.1, None, base_url="https://rebind.example.com/v1")
        with pytest.raises(
            AIProviderError, match="the account's AI endpoint was not called: .*127.0.0.1, a loopback"
        ):
            AICore().run_ai_request("p", config, "auto_cluster", offline_answer=lambda: {})
        embedding = EmbeddingConfig("text-embedding-3-small", None, base_url="https://rebind.example.com/v1")
        with pytest.raises(AIProviderError, match="was not called"):
            AICore().run_embedding_request(["a"], embedding)
    finally:
        DNS["rebind.example.com"] = ["93.184.215.14"]
    # The deployment's own endpoint (OPENAI_BASE_URL, operator-controlled) is not an account URL.
    AICore.check_endpoint(None)


def test_the_platform_key_never_goes_to_an_account_endpoint(env):
    env(OPENAI_API_KEY="sk-platform-key-0123456789", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    own = ModelConfig("llama3.1", 100, 0.1, None, base_url="https://api.example.com/v1")
    assert AICore.provider_credentials(own) == (NO_KEY, "https://api.example.com/v1")
    own_key = ModelConfig(
        "llama3.1", 100, 0.1, None, base_url="https://api.example.com/v1", api_key="sk-own-1234567"
    )
    assert AICore.provider_credentials(own_key) == ("sk-own-1234567", "https://api.example.com/v1")
    platform = ModelConfig("gpt-4o-mini", 100, 0.1, None)
    assert AICore.provider_credentials(platform) == ("sk-platform-key-0123456789", None)
    embedding = EmbeddingConfig("text-embedding-3-small", None, base_url="https://api.example.com/v1")
    assert AICore.provider_credentials(embedding)[0] == NO_KEY


def test_an_account_endpoint_client_follows_no_redirects(env):
    assert (
        _client("k-123456", "https://api.example.com/v1", account_endpoint=True)._client.follow_redirects
        is False
    )
    assert _client("k-123456", None)._client.follow_redirects is True  # the deployment's, as the SDK sets
