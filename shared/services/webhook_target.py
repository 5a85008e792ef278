"""Where an account's webhook may point, and the one HTTP POST of a delivery.

A webhook URL is an account URL: it follows the outbound rules of ``shared.services.account_http``
(https only; every address the host resolves to public; the request connects to the checked
address; redirects never followed). Operators may vouch for hosts with ``WEBHOOK_ALLOWED_HOSTS``
(still https unless loopback is allowed); ``WEBHOOK_ALLOW_LOOPBACK=true`` (local development
only) lets http(s) go to loopback. The URL is checked when it is saved and again before every
attempt.
"""

from __future__ import annotations

from shared.config import get_settings
from shared.services.account_http import MAX_URL_LENGTH, Answer, Target, check_account_url, send

__all__ = ["MAX_URL_LENGTH", "Answer", "Target", "check_webhook_url", "post"]

#: At most this much of a receiver's answer is read (the body is ignored, only the status counts).
MAX_RESPONSE_BYTES = 64 * 1024
EXAMPLE = "https://example.com/hooks/igny8"


def check_webhook_url(url: str) -> Target:
    """The target of ``url`` if an account's webhook may use it; EndpointRefused says why not."""
    settings = get_settings()
    return check_account_url(
        url,
        allow_loopback=settings.webhook_allow_loopback,
        allowed_hosts=settings.webhook_allowed_hosts,
        label="url",
        example=EXAMPLE,
        setting="WEBHOOK_ALLOWED_HOSTS",
    )


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` once; never raises for network trouble (the Answer says what happened)."""
    return send(target, "POST", body, headers, timeout, max_bytes=MAX_RESPONSE_BYTES)
