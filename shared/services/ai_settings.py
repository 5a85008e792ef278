"""An account's AI settings (the seed's IntegrationSettings): validated, merged, stored, shown.

The API's pydantic model (``shared.api.models.AISettingsIn``) checks the shape and types of a
request; this service merges it into the stored settings with PATCH semantics (setting the
temperature keeps the model) and checks what needs the account's context: models the account
may use, a function's output limit, the endpoint and its key. The key is stored, never shown.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from shared.ai.catalogue import DEFAULT_EMBEDDING_MODEL, embedding_model, supported_embedding_models
from shared.ai.model_settings import (
    FUNCTION_SETTING_KEYS,
    account_ai_config,
    allowed_models,
    max_output_tokens,
    redact_url,
)
from shared.ai.outbound import EndpointRefused, check_account_endpoint, shorten
from shared.ai.prompts import PromptRegistry
from shared.config import get_settings
from shared.db.base import iso_now
from shared.db.models import AIPrompt, IntegrationSettings
from shared.errors import InputInvalid, NotFound
from shared.functions.registry import canonical_name, get_function_instance, list_functions

#: Bounds of max_tokens in account settings.
MIN_MAX_TOKENS = 256
MAX_MAX_TOKENS = 128000
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
    "embedding_model",
    "embedding_dimensions",
)
RESPONSE_FORMATS = ("json_object", "text")
MAX_CONCURRENCY_LIMIT = 20


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
    """The account's endpoint, if it may be used (``shared.ai.outbound``: https, a public host)."""
    if not isinstance(value, str) or len(value) > 500:
        raise InputInvalid(
            "base_url must be an https URL of at most 500 characters such as https://api.openai.com/v1"
        )
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputInvalid(
            f"base_url must be an https URL such as https://api.openai.com/v1, got {shorten(value)}"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InputInvalid(
            "base_url must not carry credentials, a query or a fragment; give the key as api_key"
        )
    url = value.strip().rstrip("/")
    try:
        check_account_endpoint(url)
    except EndpointRefused as exc:
        raise InputInvalid(str(exc)) from None
    return url


def _validate_api_key(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > 1024
        or any(c.isspace() for c in value)
    ):
        raise InputInvalid("api_key must be a non-empty string without spaces")
    return value


def _validate_embedding_settings(config: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    model = config.get("embedding_model")
    custom = out.get("allowed_models") or []
    if model is not None:
        if not isinstance(model, str) or not (embedding_model(model) or model in custom):
            raise InputInvalid(
                f"embedding_model {model!r} is not supported; choose one of: "
                f"{', '.join(supported_embedding_models())} (a custom endpoint's models go in allowed_models)"
            )
        result["embedding_model"] = model
    dimensions = config.get("embedding_dimensions")
    if dimensions is not None:
        entry = embedding_model(result.get("embedding_model") or DEFAULT_EMBEDDING_MODEL)
        if entry is not None and not entry.supports_dimensions:
            raise InputInvalid(f"{entry.name} does not accept embedding_dimensions; leave it out")
        limit = entry.dimensions if entry is not None else 8192
        result["embedding_dimensions"] = _number(dimensions, "embedding_dimensions", 1, limit, True)
    return result


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
            if name not in list_functions():
                raise InputInvalid(
                    f"unknown function {raw_name!r} in functions; known: {', '.join(list_functions())}"
                )
            if not isinstance(source, dict):
                raise InputInvalid(f"functions.{raw_name} must be an object")
            fn = get_function_instance(name)
            allowed = (*FUNCTION_SETTING_KEYS, *fn.option_keys)
            extra = sorted(set(source) - set(allowed))
            if extra:
                raise InputInvalid(
                    f"unknown setting(s) in functions.{raw_name}: {', '.join(extra)}; "
                    f"allowed: {', '.join(allowed)}"
                )
            merged = _validate_function_settings(source, f"functions.{raw_name}.", models)
            merged.update(fn.validate_options({k: source[k] for k in fn.option_keys if k in source}))
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
    out.update(_validate_embedding_settings(config, out))
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
    """The account's AI settings, redacted, with the settings that apply to each function."""
    config = account_ai_config(account_id)
    view = redacted_ai_settings(config)
    view["effective"] = {
        name: get_function_instance(name).model_config(account_id, account_config=config).public()
        for name in list_functions()
    }
    view["supported_models"] = list(allowed_models(config))
    return view


def merge_patch(existing: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics (RFC 7396 merge): sent keys replace, null removes, absent keys stay.

    ``functions`` merges per function the same way. A new endpoint drops the stored key unless a
    key comes with it: a key is never sent to an endpoint it was not given for.
    """
    merged = dict(existing)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif key == "functions" and isinstance(value, dict):
            functions = {k: dict(v) for k, v in (merged.get("functions") or {}).items()}
            for raw_name, settings in value.items():
                name = canonical_name(str(raw_name))
                if settings is None:
                    functions.pop(name, None)
                    continue
                if not isinstance(settings, dict):
                    functions[name] = settings
                    continue
                current = functions.get(name, {})
                current.update(settings)
                functions[name] = {k: v for k, v in current.items() if v is not None}
            merged["functions"] = functions
        else:
            merged[key] = value
    endpoint_changed = (patch.get("base_url") or None) != (existing.get("base_url") or None)
    if "base_url" in patch and endpoint_changed and "api_key" not in patch:
        merged.pop("api_key", None)
    return merged


def save_account_ai_settings(account_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into the account's AI settings, validate and store; return the redacted view.

    Raises InputInvalid with a message saying what to fix; nothing is stored then.
    """
    existing = account_ai_config(account_id)
    validated = validate_account_ai_settings(merge_patch(existing, patch), existing)
    IntegrationSettings(account_id, "openai", config=validated, is_active=True, updated_at=iso_now()).save()
    return get_account_ai_settings(account_id)


# ---------------------------------------------------------------- prompts
def _function_name(name: str) -> str:
    function_name = canonical_name(name)
    if function_name not in list_functions():
        raise NotFound(f"unknown AI function {name!r}; known: {', '.join(list_functions())}")
    return function_name


def prompt_view(account_id: str, function_name: str) -> dict[str, Any]:
    """The prompt a function uses for the account: its own, else the function's default."""
    name = _function_name(function_name)
    stored = PromptRegistry.account_prompt(name, account_id)
    return {
        "function_name": name,
        "prompt_type": get_function_instance(name).prompt_type,
        "source": "account" if stored else "default",
        "prompt_value": stored or get_function_instance(name).default_prompt,
    }


def save_prompt(account_id: str, function_name: str, prompt_value: str) -> dict[str, Any]:
    name = _function_name(function_name)
    AIPrompt(account_id, name, prompt_value=prompt_value).save()
    return {"function_name": name, "source": "account", "prompt_value": prompt_value}


def reset_prompt(account_id: str, function_name: str) -> dict[str, Any]:
    name = _function_name(function_name)
    AIPrompt(account_id, name).delete()
    return {"function_name": name, "source": "default"}
