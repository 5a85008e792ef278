"""OpenAI (and any OpenAI-compatible endpoint) through the official SDK.

Timeout and retries are explicit: the SDK's defaults (10 minutes, 2 retries) could outlive a
Lambda. Errors are mapped to the engine's typed errors so the state machine can retry the
transient ones and fail fast on the rest. The API key never appears in an error message.
"""

from __future__ import annotations

import hashlib
from typing import Any

import openai
from openai import OpenAI

from shared.ai.ai_core import AIResult
from shared.ai.settings import ModelConfig
from shared.config import get_settings
from shared.errors import AIProviderError, AIProviderTransient

_CLIENTS: dict[tuple[str | None, str], OpenAI] = {}
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def _client(api_key: str, base_url: str | None) -> OpenAI:
    settings = get_settings()
    cache_key = (base_url, hashlib.sha256(api_key.encode()).hexdigest())
    client = _CLIENTS.get(cache_key)
    if client is None:
        client = OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=settings.ai_timeout_seconds,
            max_retries=settings.ai_max_retries,
        )
        _CLIENTS[cache_key] = client
    return client


class OpenAIProvider:
    def __init__(self, api_key: str, base_url: str | None = None) -> None:
        self.api_key = api_key
        self.base_url = base_url or get_settings().openai_base_url

    def request_args(self, prompt: str, config: ModelConfig) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": config.model,
            "messages": [{"role": "user", "content": prompt}],
        }
        if config.model.startswith(_REASONING_PREFIXES):
            args["max_completion_tokens"] = config.max_tokens
        else:
            args["max_tokens"] = config.max_tokens
            args["temperature"] = config.temperature
        if config.response_format == "json_object":
            args["response_format"] = {"type": "json_object"}
        return args

    def complete(self, prompt: str, config: ModelConfig) -> AIResult:
        client = _client(self.api_key, self.base_url)
        try:
            response = client.chat.completions.create(**self.request_args(prompt, config))
        except (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise AIProviderTransient(f"{type(exc).__name__}: {_reason(exc)}") from None
        except openai.InternalServerError as exc:
            raise AIProviderTransient(f"provider error {exc.status_code}: {_reason(exc)}") from None
        except openai.APIStatusError as exc:
            raise AIProviderError(f"provider refused the request ({exc.status_code}): {_reason(exc)}") from None
        choice = response.choices[0]
        usage = response.usage
        message = choice.message
        return AIResult(
            content=message.content or "",
            model=response.model or config.model,
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            finish_reason=choice.finish_reason,
            provider="openai",
            extra={"refusal": getattr(message, "refusal", None)},
        )


def _reason(exc: Exception) -> str:
    """The provider's own reason, without anything that could carry the key."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    text = str(getattr(exc, "message", "") or exc)
    return text[:300]
