"""Routes: the account's webhook (job events pushed to a URL) and its usage this month."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import Router
from pydantic import Field, StringConstraints

from shared.api.models import Body
from shared.api.resolver import current_account, route
from shared.services import usage, webhooks
from shared.services.webhook_target import MAX_URL_LENGTH

router = Router()


#: The webhook URL: https, on a host that resolves only to public addresses (checked in context).
WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_LENGTH),
    Field(
        description="An https URL on a public host, e.g. https://hooks.your-domain.example/igny8; "
        "job events are POSTed to it, signed (X-Igny8-Signature: t=<unix>,v1=<hex HMAC-SHA256 "
        "of '<t>.<body>'>)"
    ),
]


class WebhookIn(Body):
    url: WebhookUrl


@route(router, "PUT", "/v1/account/webhook", also=(400,))
def put_webhook(body: WebhookIn) -> dict[str, Any]:
    """Set (or replace) the webhook; the answer carries a new signing secret, shown only this once."""
    return webhooks.set_webhook(current_account(router), body.url)


@route(router, "GET", "/v1/account/webhook")
def get_webhook() -> dict[str, Any]:
    """The webhook URL and its last delivery (never the secret)."""
    return webhooks.webhook_view(current_account(router))


@route(router, "DELETE", "/v1/account/webhook", also=(404,))
def delete_webhook() -> dict[str, Any]:
    return webhooks.delete_webhook(current_account(router))


@route(router, "GET", "/v1/account/usage")
def get_usage() -> dict[str, Any]:
    """Credits left and reserved, this month's spend against the budget, tokens and cost by
    function and by model."""
    return usage.account_usage(current_account(router))
