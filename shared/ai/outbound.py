"""Where AI calls may go: the rules for an account's own endpoint (its ``base_url``).

An account may point its AI calls at any OpenAI-compatible server, so its ``base_url`` is an
outbound request the account chooses. Without rules it reaches whatever the Lambda can reach:
the instance metadata service (169.254.169.254), the VPC, loopback services. The rules:

- the URL is ``https`` (``http`` only to loopback, and only with ``AI_ALLOW_LOOPBACK=true``, for
  local development against a server on 127.0.0.1);
- every address the host resolves to (``socket.getaddrinfo``) is a public one: not loopback,
  private (RFC 1918), link-local (169.254.0.0/16, fe80::/10), unique-local (fc00::/7),
  carrier-grade NAT (100.64.0.0/10), unspecified (0.0.0.0, ::), multicast or reserved, nor an
  IPv4-mapped, 6to4, Teredo or NAT64 form of one of those;
- hosts the operator lists in ``AI_ALLOWED_HOSTS`` (e.g. a self-hosted vLLM in the VPC) skip the
  address check (and are not resolved), but are still ``https`` unless loopback is allowed.

``shared.services.ai_settings`` applies them when the settings are saved (a host that does not
resolve is refused then), and ``AICore`` again right before each call (DNS can change). The
deployment's own endpoint (``OPENAI_BASE_URL``) is the operator's choice and is not checked.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from shared.config import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The longest piece of a caller's value an error message repeats.
ECHO_LIMIT = 200
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class EndpointRefused(ValueError):
    """An account endpoint these rules do not allow; the message says why and what to do."""


def shorten(value: Any, limit: int = ECHO_LIMIT) -> str:
    """``value`` as an error message may echo it: quoted, cut at ``limit`` characters."""
    text = str(value)
    if len(text) > limit:
        return f"{text[:limit]!r}… ({len(text)} characters)"
    return repr(text)


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, 6to4, Teredo, NAT64, IPv4-compatible."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if any(address in prefix for prefix in NAT64_PREFIXES):
        found.append(low32)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (deprecated IPv4-compatible)
        found.append(low32)
    return found


def _kind(address: IPAddress) -> str | None:
    """What makes one address non-public, or None when it is a public address."""
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        if address.version == 4:
            return "a link-local address (169.254.0.0/16, where the instance metadata service is)"
        return "a link-local address (fe80::/10)"
    if address.version == 4 and address in CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address (100.64.0.0/10)"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 6 and address in UNIQUE_LOCAL:
        return "a unique-local address (fc00::/7)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why an account endpoint may not use ``address``, or None when it may.

    An IPv4 address embedded in an IPv6 one is judged first: it says where the packets would go.
    """
    for inner in embedded_ipv4(address):
        kind = _kind(inner)
        if kind:
            return f"{kind}: {inner}, embedded in the IPv6 address"
    return _kind(address)


def is_loopback(address: IPAddress) -> bool:
    """127.0.0.0/8, ::1, or 127.x written as an IPv4-mapped IPv6 address."""
    if address.is_loopback:
        return True
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return bool(mapped is not None and mapped.is_loopback)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to; EndpointRefused when it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise EndpointRefused(f"base_url host {shorten(host)} does not resolve ({reason})") from None
    addresses: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0") is not part of it
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise EndpointRefused(
                f"base_url host {shorten(host)} resolves to an unreadable address {shorten(text)}"
            ) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise EndpointRefused(f"base_url host {shorten(host)} does not resolve (no address)")
    return addresses


def check_account_endpoint(url: str) -> None:
    """Raise EndpointRefused unless an account's AI calls may go to ``url`` (see the module doc)."""
    settings = get_settings()
    parts = urlsplit(str(url).strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("http", "https") or not host:
        raise EndpointRefused(
            f"base_url must be an https URL such as https://api.openai.com/v1, got {shorten(url)}"
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise EndpointRefused(f"base_url has an invalid port: {shorten(url)}") from None
    if scheme == "http" and not settings.ai_allow_loopback:
        raise EndpointRefused(
            f"base_url must use https, got {shorten(url)} (http is only for a local server on "
            "loopback, with AI_ALLOW_LOOPBACK=true)"
        )
    if host in settings.ai_allowed_hosts:
        return  # the operator vouches for this host (AI_ALLOWED_HOSTS)
    addresses = resolve(host, port)
    for address in addresses:
        if settings.ai_allow_loopback and is_loopback(address):
            continue
        problem = address_problem(address)
        if problem:
            raise EndpointRefused(
                f"base_url host {shorten(host)} resolves to {address}, {problem}; an account's "
                "endpoint must be a public address (an operator can allow a host with AI_ALLOWED_HOSTS)"
            )
    if scheme == "http" and not all(is_loopback(a) for a in addresses):
        raise EndpointRefused(
            f"base_url must use https, got {shorten(url)} (http is only for a local server on loopback)"
        )
