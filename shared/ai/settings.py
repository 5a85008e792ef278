"""Model settings (the seed's settings.py): MODEL_CONFIG per function, overridden per account.

An account's ``IntegrationSettings`` row (integration_type "openai") may set, in its config:
``model``, ``temperature``, ``max_tokens`` for all functions, ``functions: {name: {...}}`` per
function, and the provider endpoint (``base_url``, ``api_key``) for any OpenAI-compatible server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from shared.config import get_settings
from shared.errors import InputInvalid

MODEL_CONFIG: dict[str, dict[str, Any]] = {
    "auto_cluster": {"max_tokens": 8000, "temperature": 0.3, "response_format": "json_object"},
    "generate_ideas": {"max_tokens": 6000, "temperature": 0.7, "response_format": "json_object"},
    "generate_content": {"max_tokens": 8000, "temperature": 0.7, "response_format": "json_object"},
}

FUNCTION_ALIASES: dict[str, str] = {
    "cluster_keywords": "auto_cluster",
    "auto_cluster_keywords": "auto_cluster",
    "auto_generate_ideas": "generate_ideas",
    "generate_idea": "generate_ideas",
    "auto_generate_content": "generate_content",
    "generate_article": "generate_content",
}


@dataclass(frozen=True)
class ModelConfig:
    model: str
    max_tokens: int
    temperature: float
    response_format: str | None
    base_url: str | None = None
    api_key: str | None = None

    def public(self) -> dict[str, Any]:
        """The config without the key, safe to log and store."""
        data = asdict(self)
        data.pop("api_key")
        return data


def canonical_name(function_name: str) -> str:
    return FUNCTION_ALIASES.get(function_name, function_name)


def _account_config(account_id: str | None) -> dict[str, Any]:
    if not account_id:
        return {}
    from shared.db.models import IntegrationSettings
    from shared.db.repo import get_one

    row = get_one(IntegrationSettings, account_id, "openai")
    return dict(row.config or {}) if row is not None and row.is_active else {}


def get_model_config(
    function_name: str, account_id: str | None = None, model_override: str | None = None
) -> ModelConfig:
    """The model configuration for a function, with the account's overrides applied."""
    name = canonical_name(function_name)
    if name not in MODEL_CONFIG:
        raise InputInvalid(f"no model configuration for function {function_name!r}")
    settings = get_settings()
    base = dict(MODEL_CONFIG[name], model=settings.default_model)
    account = _account_config(account_id)
    for source in (account, (account.get("functions") or {}).get(name) or {}):
        for key in ("model", "max_tokens", "temperature", "response_format"):
            if source.get(key) is not None:
                base[key] = source[key]
    config = ModelConfig(
        model=str(base["model"]),
        max_tokens=int(base["max_tokens"]),
        temperature=float(base["temperature"]),
        response_format=base.get("response_format"),
        base_url=account.get("base_url") or None,
        api_key=account.get("api_key") or None,
    )
    if model_override:
        config = replace(config, model=model_override)
    return config


def get_model(function_name: str, account_id: str | None = None) -> str:
    return get_model_config(function_name, account_id).model


def get_max_tokens(function_name: str, account_id: str | None = None) -> int:
    return get_model_config(function_name, account_id).max_tokens


def get_temperature(function_name: str, account_id: str | None = None) -> float:
    return get_model_config(function_name, account_id).temperature
