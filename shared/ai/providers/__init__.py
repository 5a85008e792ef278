"""AI providers. The OpenAI SDK is imported only inside ``openai_provider``.

The deployment's OpenAI key comes from, in order:

1. ``OPENAI_API_KEY`` in the environment (local runs, ``make demo``);
2. the Secrets Manager secret ``OPENAI_SECRET_NAME`` (deployed; template.yaml creates it);
3. the SSM parameter ``OPENAI_PARAMETER_NAME`` (SecureString, decrypted).

Both stores are read through powertools parameters, cached for ``SECRET_MAX_AGE`` seconds per
warm Lambda (a rotated key is picked up within that time). A secret may hold the bare key or
JSON such as ``{"api_key": "sk-..."}``.

The key must never reach a log, a job record, an AITaskLog row or an error message: every text
that may carry provider output goes through ``redact``.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from shared.config import get_settings
from shared.errors import AIProviderError

SECRET_MAX_AGE = 300
_KEY_FIELDS = ("api_key", "OPENAI_API_KEY", "openai_api_key", "key")
# OpenAI-style keys (also the partially masked forms providers echo back) and bearer tokens.
_KEY_PATTERN = re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-*.]{6,}")
_BEARER_PATTERN = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-*.=]{8,}")
_known_secrets: set[str] = set()
_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Register a key so ``redact`` removes it from any text, whatever its shape."""
    if value and len(value) >= 6:
        with _lock:
            _known_secrets.add(value)


def redact(text: Any, *secrets: str | None) -> str:
    """``text`` without any API key: known keys, ``sk-...``-shaped tokens and bearer tokens."""
    result = "" if text is None else str(text)
    for secret in (*secrets, *sorted(_known_secrets, key=len, reverse=True)):
        if secret and len(secret) >= 6:
            result = result.replace(secret, "[redacted]")
    result = _KEY_PATTERN.sub(lambda m: f"{m.group(1)}-[redacted]", result)
    return _BEARER_PATTERN.sub("Bearer [redacted]", result)


def _extract_key(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode()
    if isinstance(raw, dict):
        value = next((raw[f] for f in _KEY_FIELDS if raw.get(f)), None)
        return (str(value).strip() or None) if value else None
    text = str(raw).strip()
    if text.startswith("{"):
        try:
            return _extract_key(json.loads(text))
        except ValueError:
            return text or None
    return text or None


class _CachedStore:
    """The powertools providers, created on first use; ``cache_clear`` drops them and their cache."""

    def __init__(self) -> None:
        self._secrets: Any = None
        self._ssm: Any = None

    def _secrets_provider(self) -> Any:
        if self._secrets is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            self._secrets = SecretsProvider()
        return self._secrets

    def _ssm_provider(self) -> Any:
        if self._ssm is None:
            from aws_lambda_powertools.utilities.parameters import SSMProvider

            self._ssm = SSMProvider()
        return self._ssm

    def __call__(self, secret_name: str) -> str | None:
        """The key in a Secrets Manager secret."""
        try:
            raw = self._secrets_provider().get(secret_name, max_age=SECRET_MAX_AGE)
        except Exception as exc:  # noqa: BLE001 - powertools wraps every failure
            raise AIProviderError(
                f"could not read the OpenAI key from Secrets Manager secret {secret_name!r} "
                f"({type(exc).__name__}); check that it exists, has a value and that the function may read it"
            ) from None
        return _extract_key(raw)

    def parameter(self, name: str) -> str | None:
        """The key in an SSM parameter (SecureString decrypted)."""
        try:
            raw = self._ssm_provider().get(name, max_age=SECRET_MAX_AGE, decrypt=True)
        except Exception as exc:  # noqa: BLE001 - powertools wraps every failure
            raise AIProviderError(
                f"could not read the OpenAI key from SSM parameter {name!r} ({type(exc).__name__}); "
                "check that it exists and that the function may read it"
            ) from None
        return _extract_key(raw)

    def cache_clear(self) -> None:
        self._secrets = None
        self._ssm = None


_secret_value = _CachedStore()


def resolve_api_key() -> str | None:
    """The deployment's OpenAI key: the environment locally, else Secrets Manager or SSM."""
    settings = get_settings()
    key: str | None = None
    if settings.openai_api_key:
        key = settings.openai_api_key
    elif settings.openai_secret_name:
        key = _secret_value(settings.openai_secret_name)
    elif settings.openai_parameter_name:
        key = _secret_value.parameter(settings.openai_parameter_name)
    remember_secret(key)
    return key
