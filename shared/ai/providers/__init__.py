"""AI providers. The OpenAI SDK is imported only inside ``openai_provider``."""

from __future__ import annotations

from functools import lru_cache

from shared.config import get_settings


@lru_cache(maxsize=1)
def _secret_value(secret_name: str) -> str | None:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(secret_name, max_age=300)
    return str(value).strip() or None


def resolve_api_key() -> str | None:
    """The deployment's OpenAI key: from Secrets Manager when deployed, else the environment."""
    settings = get_settings()
    if settings.openai_api_key:
        return settings.openai_api_key
    if settings.openai_secret_name:
        return _secret_value(settings.openai_secret_name)
    return None
