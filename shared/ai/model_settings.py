"""Model settings (the seed's settings.py): MODEL_CONFIG per function, overridden per account.

An account's ``IntegrationSettings`` row (integration_type "openai") may set, in its config:
``model``, ``temperature``, ``max_tokens`` for all functions, ``functions: {name: {...}}`` per
function, ``structured_outputs`` (None: by model family), and the provider endpoint
(``base_url``, ``api_key``) for any OpenAI-compatible server (OpenAI, Azure OpenAI, Ollama,
vLLM) with ``allowed_models`` naming the models that server offers.

``save_account_ai_settings`` validates and stores that config (the API calls it); the key is
stored but never returned: ``get_account_ai_settings`` and the save return a redacted view.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

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

#: Largest answer (output tokens) each known model can produce; the larger-budget retry of a
#: cut-off answer never asks for more. Dated snapshots match by prefix.
MODEL_MAX_OUTPUT_TOKENS: dict[str, int] = {
    "gpt-4.1": 32768,
    "gpt-4.1-mini": 32768,
    "gpt-4.1-nano": 32768,
    "gpt-4o": 16384,
    "gpt-4o-mini": 16384,
    "gpt-4-turbo": 4096,
    "gpt-3.5-turbo": 4096,
    "o3-mini": 100000,
    "o3": 100000,
    "o4-mini": 100000,
    "gpt-5": 128000,
    "gpt-5-mini": 128000,
    "gpt-5-nano": 128000,
}
#: Model families that accept ``response_format: {"type": "json_schema", ...}``.
STRUCTURED_OUTPUT_PREFIXES: tuple[str, ...] = ("gpt-4o", "gpt-4.1", "gpt-5", "o3", "o4")
#: Bounds of max_tokens in account settings.
MIN_MAX_TOKENS = 256
MAX_MAX_TOKENS = 128000
#: How much larger the retry of an answer cut off at the token limit may ask for.
LENGTH_RETRY_FACTOR = 2
#: Seconds one AI_CALL may spend on the provider, all attempts and waits included. Must stay
#: below the AI_CALL Lambda's timeout (300 s in template.yaml), itself below the state's
#: TimeoutSeconds (330 s in engine.asl.json). See docs/decisions/ai-layer.md.
ACCOUNT_SETTING_KEYS = (
    "model",
    "temperature",
    "max_tokens",
    "response_format",
    "structured_outputs",
    "functions",
    "base_url",
    "api_key",
    "allowed_models",
    "max_concurrency",
)
FUNCTION_SETTING_KEYS = ("model", "temperature", "max_tokens", "response_format", "structured_outputs")
RESPONSE_FORMATS = ("json_object", "text")
MAX_CONCURRENCY_LIMIT = 20


@dataclass(frozen=True)
class ModelConfig:
    model: str
    max_tokens: int
    temperature: float
    response_format: str | None
    base_url: str | None = None
    api_key: str | None = None
    structured_outputs: bool | None = None  # None: decided by the model family

    def public(self) -> dict[str, Any]:
        """The config without the key, safe to log and store."""
        data = asdict(self)
        data.pop("api_key")
        if data.get("base_url"):
            data["base_url"] = redact_url(data["base_url"])
        return data

    @property
    def uses_structured_outputs(self) -> bool:
        if self.structured_outputs is not None:
            return bool(self.structured_outputs)
        return supports_structured_outputs(self.model)


def canonical_name(function_name: str) -> str:
    return FUNCTION_ALIASES.get(function_name, function_name)


def _prefix_lookup(table: dict[str, Any], model: str) -> Any:
    if model in table:
        return table[model]
    prefix = max((name for name in table if model.startswith(name)), key=len, default=None)
    return table[prefix] if prefix else None


def max_output_tokens(model: str) -> int | None:
    """The model's largest answer in tokens, or None when the model is unknown."""
    value = _prefix_lookup(MODEL_MAX_OUTPUT_TOKENS, model)
    return int(value) if value is not None else None


def supports_structured_outputs(model: str) -> bool:
    return model.startswith(STRUCTURED_OUTPUT_PREFIXES)


def larger_max_tokens(config: ModelConfig) -> int | None:
    """The budget of a retry after an answer was cut off, or None when the model allows no more."""
    limit = max_output_tokens(config.model)
    if limit is None or config.max_tokens >= limit:
        return None
    return min(limit, config.max_tokens * LENGTH_RETRY_FACTOR)


def call_budget_seconds() -> float:
    """Seconds one AI_CALL may spend on the provider (AI_CALL_BUDGET_SECONDS, validated in Settings)."""
    return float(get_settings().ai_call_budget_seconds)


def redact_url(url: str) -> str:
    """A URL without user info or query (either may carry a key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


# ---------------------------------------------------------------- per account
def _settings_row(account_id: str) -> Any:
    from shared.db.models import IntegrationSettings
    from shared.db.repo import get_one

    return get_one(IntegrationSettings, account_id, "openai")


def _account_config(account_id: str | None) -> dict[str, Any]:
    if not account_id:
        return {}
    row = _settings_row(account_id)
    return dict(row.config or {}) if row is not None and row.is_active else {}


def get_model_config(
    function_name: str, account_id: str | None = None, model_override: str | None = None
) -> ModelConfig:
    """The model configuration for a function, with the account's overrides applied."""
    name = canonical_name(function_name)
    if name not in MODEL_CONFIG:
        raise InputInvalid(f"no model configuration for function {function_name!r}")
    settings = get_settings()
    base = dict(MODEL_CONFIG[name], model=settings.default_model, structured_outputs=None)
    account = _account_config(account_id)
    for source in (account, (account.get("functions") or {}).get(name) or {}):
        for key in FUNCTION_SETTING_KEYS:
            if source.get(key) is not None:
                base[key] = source[key]
    config = ModelConfig(
        model=str(base["model"]),
        max_tokens=int(base["max_tokens"]),
        temperature=float(base["temperature"]),
        response_format=base.get("response_format"),
        base_url=account.get("base_url") or None,
        api_key=account.get("api_key") or None,
        structured_outputs=base.get("structured_outputs"),
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


def allowed_models(account_config: dict[str, Any] | None = None) -> tuple[str, ...]:
    """Models an account may use: the supported list, the deployment's default model, and the
    models the account names for its own endpoint (only when it sets a custom base_url)."""
    from shared.ai.validators import SUPPORTED_MODELS

    models = list(SUPPORTED_MODELS)
    default = get_settings().default_model
    if default not in models:
        models.append(default)
    config = account_config or {}
    if config.get("base_url"):
        models.extend(m for m in config.get("allowed_models") or [] if m not in models)
    return tuple(models)


def check_model_allowed(model: str, account_id: str | None) -> None:
    """Raise InputInvalid when the account may not use ``model``."""
    from shared.ai.validators import validate_model

    result = validate_model(model, allowed_models(_account_config(account_id)))
    if not result["valid"]:
        raise InputInvalid(str(result["error"]))


def _number(value: Any, name: str, low: float, high: float, integer: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputInvalid(f"{name} must be a number between {low:g} and {high:g}")
    if integer and (not float(value).is_integer()):
        raise InputInvalid(f"{name} must be a whole number between {low:g} and {high:g}")
    if not math.isfinite(float(value)) or not low <= value <= high:
        raise InputInvalid(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return int(value) if integer else float(value)


def _validate_function_settings(
    source: dict[str, Any], where: str, models: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if source.get("model") is not None:
        model = source["model"]
        if not isinstance(model, str) or model not in models:
            raise InputInvalid(
                f"{where}model {model!r} is not supported; choose one of: {', '.join(models)} "
                "(a custom endpoint's models go in allowed_models, with base_url)"
            )
        out["model"] = model
    if source.get("temperature") is not None:
        out["temperature"] = _number(source["temperature"], f"{where}temperature", 0, 2)
    if source.get("max_tokens") is not None:
        model = out.get("model")
        limit = (max_output_tokens(model) if model else None) or MAX_MAX_TOKENS
        out["max_tokens"] = _number(source["max_tokens"], f"{where}max_tokens", MIN_MAX_TOKENS, limit, True)
    if source.get("response_format") is not None:
        if source["response_format"] not in RESPONSE_FORMATS:
            raise InputInvalid(f"{where}response_format must be one of: {', '.join(RESPONSE_FORMATS)}")
        out["response_format"] = source["response_format"]
    if source.get("structured_outputs") is not None:
        if not isinstance(source["structured_outputs"], bool):
            raise InputInvalid(f"{where}structured_outputs must be true, false or null")
        out["structured_outputs"] = source["structured_outputs"]
    return out


def _validate_base_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 500:
        raise InputInvalid("base_url must be an http(s) URL such as https://api.openai.com/v1")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputInvalid("base_url must be an http(s) URL such as https://api.openai.com/v1")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InputInvalid(
            "base_url must not carry credentials, a query or a fragment; give the key as api_key"
        )
    return value.strip().rstrip("/")


def _validate_api_key(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > 1024
        or any(c.isspace() for c in value)
    ):
        raise InputInvalid("api_key must be a non-empty string without spaces")
    return value


def validate_account_ai_settings(
    config: dict[str, Any], existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The validated config to store. ``existing`` supplies the stored key when none is given."""
    if not isinstance(config, dict):
        raise InputInvalid("AI settings must be a JSON object")
    unknown = sorted(set(config) - set(ACCOUNT_SETTING_KEYS))
    if unknown:
        raise InputInvalid(
            f"unknown AI setting(s): {', '.join(unknown)}; allowed: {', '.join(ACCOUNT_SETTING_KEYS)}"
        )
    existing = existing or {}
    out: dict[str, Any] = {}
    if config.get("base_url"):
        out["base_url"] = _validate_base_url(config["base_url"])
    custom = config.get("allowed_models")
    if custom is not None:
        if not out.get("base_url"):
            raise InputInvalid(
                "allowed_models needs base_url: custom models are only allowed on a custom endpoint"
            )
        if not isinstance(custom, list) or not all(isinstance(m, str) and m.strip() for m in custom):
            raise InputInvalid("allowed_models must be a list of model names")
        if len(custom) > 50:
            raise InputInvalid("allowed_models may name at most 50 models")
        out["allowed_models"] = [m.strip() for m in custom]
    models = allowed_models(out)
    out.update(_validate_function_settings(config, "", models))
    functions = config.get("functions")
    if functions is not None:
        if not isinstance(functions, dict):
            raise InputInvalid("functions must be an object keyed by function name")
        out["functions"] = {}
        for raw_name, source in functions.items():
            name = canonical_name(str(raw_name))
            if name not in MODEL_CONFIG:
                raise InputInvalid(
                    f"unknown function {raw_name!r} in functions; known: {', '.join(MODEL_CONFIG)}"
                )
            if not isinstance(source, dict):
                raise InputInvalid(f"functions.{raw_name} must be an object")
            extra = sorted(set(source) - set(FUNCTION_SETTING_KEYS))
            if extra:
                raise InputInvalid(
                    f"unknown setting(s) in functions.{raw_name}: {', '.join(extra)}; "
                    f"allowed: {', '.join(FUNCTION_SETTING_KEYS)}"
                )
            merged = _validate_function_settings(source, f"functions.{raw_name}.", models)
            if "max_tokens" in merged and "model" not in merged and out.get("model"):
                _validate_function_settings(
                    {**merged, "model": out["model"]}, f"functions.{raw_name}.", models
                )
            out["functions"][name] = merged
    if "max_tokens" in out and "model" not in out:
        _validate_function_settings(
            {"model": get_settings().default_model, "max_tokens": out["max_tokens"]}, "", models
        )
    if config.get("max_concurrency") is not None:
        out["max_concurrency"] = _number(
            config["max_concurrency"], "max_concurrency", 1, MAX_CONCURRENCY_LIMIT, True
        )
    # The key: a new one replaces the stored one; null/"" removes it; absent keeps it, unless
    # the endpoint changed (a key is never sent to an endpoint it was not given for).
    if "api_key" in config:
        if config["api_key"] not in (None, ""):
            out["api_key"] = _validate_api_key(config["api_key"])
    elif existing.get("api_key") and (existing.get("base_url") or None) == (out.get("base_url") or None):
        out["api_key"] = existing["api_key"]
    return out


def redacted_ai_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The settings as the API may show them: never the key, only whether one is set."""
    view = {k: v for k, v in config.items() if k != "api_key"}
    view["api_key_set"] = bool(config.get("api_key"))
    if view.get("base_url"):
        view["base_url"] = redact_url(view["base_url"])
    return view


def get_account_ai_settings(account_id: str) -> dict[str, Any]:
    """The account's AI settings, redacted, with the defaults that apply."""
    config = _account_config(account_id)
    view = redacted_ai_settings(config)
    view["effective"] = {name: get_model_config(name, account_id).public() for name in MODEL_CONFIG}
    view["supported_models"] = list(allowed_models(config))
    return view


def save_account_ai_settings(account_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """Validate and store the account's AI settings (replacing them); return the redacted view.

    Raises InputInvalid with a message saying what to fix.
    """
    from shared.db.base import bind_models, iso_now
    from shared.db.models import IntegrationSettings

    bind_models()
    row = _settings_row(account_id)
    existing = dict(row.config or {}) if row is not None else {}
    validated = validate_account_ai_settings(config, existing)
    IntegrationSettings(account_id, "openai", config=validated, is_active=True, updated_at=iso_now()).save()
    return get_account_ai_settings(account_id)
