"""Routes: the account's prompts (the seed's DB prompts) and AI model settings."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import Router

from shared.api.models import AISettingsIn, PromptIn
from shared.api.resolver import current_account, route
from shared.services import ai_settings

router = Router()


@route(router, "GET", "/v1/settings/prompts/<function_name>")
def get_prompt(function_name: str) -> dict[str, Any]:
    return ai_settings.prompt_view(current_account(router), function_name)


@route(router, "PUT", "/v1/settings/prompts/<function_name>", also=(400,))
def put_prompt(function_name: str, body: PromptIn) -> dict[str, Any]:
    return ai_settings.save_prompt(current_account(router), function_name, body.prompt_value)


@route(router, "DELETE", "/v1/settings/prompts/<function_name>")
def delete_prompt(function_name: str) -> dict[str, Any]:
    return ai_settings.reset_prompt(current_account(router), function_name)


@route(router, "GET", "/v1/settings/ai")
def get_ai_settings() -> dict[str, Any]:
    return ai_settings.get_account_ai_settings(current_account(router))


@route(router, "PUT", "/v1/settings/ai")
def put_ai_settings(body: AISettingsIn) -> dict[str, Any]:
    """Merged into the stored settings (PATCH semantics): settings not sent are kept."""
    return ai_settings.save_account_ai_settings(current_account(router), body.as_patch())


@route(router, "PATCH", "/v1/settings/ai")
def patch_ai_settings(body: AISettingsIn) -> dict[str, Any]:
    """Merge patch (RFC 7396): sent settings replace, null removes one, others are kept."""
    return ai_settings.save_account_ai_settings(current_account(router), body.as_patch())
