"""HTTP to a URL an account chose (its webhook, its WordPress site), under the outbound rules.

An account's URL is an outbound request the account chooses, so it follows the rules of
``shared.ai.outbound`` (the address checks, reused): ``https`` only; every address the host
resolves to must be public (not loopback, private, link-local or the metadata service,
unique-local, carrier-grade NAT, reserved, nor an IPv6 form embedding one of those). Operators
may vouch for hosts (``allowed_hosts``: still https unless loopback is allowed); local
development may allow loopback (``allow_loopback``).

``check_account_url`` runs when the URL is saved and again before every request, and the request
connects to the very address that was checked (TLS still names the host): a DNS answer that
changes in between cannot move the request to an internal address. Redirects are never followed.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.ai.outbound import EndpointRefused, address_problem, is_loopback, resolve, shorten

MAX_URL_LENGTH = 2000
#: At most this much of an answer is read.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str  # path and query
    address: str | None  # the checked address to connect to; None: an operator-allowed host

    def at(self, path: str) -> Target:
        """The same checked host and address, another path (e.g. below a REST root)."""
        return Target(self.scheme, self.host, self.port, path, self.address)


@dataclass(frozen=True)
class Answer:
    """One request's outcome: the HTTP status and body, or why there was none."""

    status: int | None
    body: bytes = b""
    error: str | None = None


def check_account_url(
    url: str,
    *,
    allow_loopback: bool,
    allowed_hosts: tuple[str, ...],
    label: str = "url",
    example: str = "https://example.com",
    setting: str = "",
) -> Target:
    """The target of ``url`` if an account may use it; ``EndpointRefused`` says why not."""
    text = str(url).strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if len(text) > MAX_URL_LENGTH:
        raise EndpointRefused(f"{label} must be at most {MAX_URL_LENGTH} characters, got {len(text)}")
    if scheme not in ("http", "https") or not host:
        raise EndpointRefused(f"{label} must be an https URL such as {example}, got {shorten(text)}")
    if parts.username or parts.password or parts.fragment:
        raise EndpointRefused(f"{label} must not carry credentials (user:password@) or a fragment (#...)")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise EndpointRefused(f"{label} has an invalid port: {shorten(text)}") from None
    if scheme == "http" and not allow_loopback:
        raise EndpointRefused(f"{label} must use https, got {shorten(text)}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if host in allowed_hosts:
        return Target(scheme, host, port, path, None)  # the operator vouches for it
    try:
        addresses = resolve(host, port)
    except EndpointRefused as exc:
        raise EndpointRefused(str(exc).replace("base_url host", f"{label} host", 1)) from None
    for address in addresses:
        if allow_loopback and is_loopback(address):
            continue
        problem = address_problem(address)
        if problem:
            allow = f" (an operator can allow a host with {setting})" if setting else ""
            raise EndpointRefused(
                f"{label} host {shorten(host)} resolves to {address}, {problem}; it must be a public address{allow}"
            )
    if scheme == "http" and not all(is_loopback(a) for a in addresses):
        raise EndpointRefused(f"{label} must use https, got {shorten(text)} (http is only for loopback)")
    return Target(scheme, host, port, path, str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the checked address (local development on loopback only)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned = target.address

    def connect(self) -> None:
        if self.pinned is None:
            super().connect()
            return
        self.sock = socket.create_connection((self.pinned, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """A verified TLS connection to the checked address, named (SNI, certificate) as the host."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.pinned = target.address

    def connect(self) -> None:
        if self.pinned is None:
            super().connect()
            return
        sock = socket.create_connection((self.pinned, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def send(
    target: Target,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Answer:
    """One request; never raises for network trouble (the Answer says what happened)."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    try:
        connection.request(method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(max_bytes))
    except TimeoutError:
        return Answer(None, error=f"no answer within {timeout:g} s")
    except ssl.SSLError as exc:
        return Answer(None, error=f"TLS failed ({exc.reason or type(exc).__name__})")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, error=f"connection failed ({type(exc).__name__})")
    finally:
        connection.close()
