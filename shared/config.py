"""Runtime configuration, read once from the environment and validated.

Every Lambda reads the same settings; template.yaml sets them in production and the local
stack (local_stack/) sets them for the demo and the tests.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError, field_validator


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


class Settings(BaseModel):
    """Validated environment of every function."""

    table_prefix: str = Field(min_length=1, description="Prefix of every DynamoDB table name")
    region: str = "us-east-1"
    state_machine_arn: str | None = None
    # Where the OpenAI key comes from: a Secrets Manager secret (deployed) or the env (local).
    openai_secret_name: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    default_model: str = "gpt-4o-mini"
    ai_timeout_seconds: float = Field(default=60.0, gt=0)
    ai_max_retries: int = Field(default=2, ge=0, le=5)
    log_retention_days: int = Field(default=90, ge=1)
    # Bounded concurrency of per-item AI calls (Map state) and of calls per account.
    max_item_concurrency: int = Field(default=4, ge=1, le=40)
    # Seconds one AI_CALL may spend on the provider, retries included (< the Lambda's timeout).
    ai_call_budget_seconds: float = Field(default=240.0, gt=0, le=900)
    # Provider calls in flight per account (default: max_item_concurrency).
    ai_account_max_concurrency: int | None = Field(default=None, ge=1, le=100)
    # The OpenAI key in SSM Parameter Store instead of Secrets Manager.
    openai_parameter_name: str | None = None

    @field_validator(
        "openai_api_key",
        "openai_base_url",
        "openai_secret_name",
        "openai_parameter_name",
        "state_machine_arn",
    )
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


_ENV = {
    "table_prefix": "TABLE_PREFIX",
    "region": "AWS_REGION",
    "state_machine_arn": "STATE_MACHINE_ARN",
    "openai_secret_name": "OPENAI_SECRET_NAME",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "default_model": "OPENAI_MODEL",
    "ai_timeout_seconds": "AI_TIMEOUT_SECONDS",
    "ai_max_retries": "AI_MAX_RETRIES",
    "log_retention_days": "LOG_RETENTION_DAYS",
    "max_item_concurrency": "MAX_ITEM_CONCURRENCY",
    "ai_call_budget_seconds": "AI_CALL_BUDGET_SECONDS",
    "ai_account_max_concurrency": "AI_ACCOUNT_MAX_CONCURRENCY",
    "openai_parameter_name": "OPENAI_PARAMETER_NAME",
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read and validate the settings once per process (cold start)."""
    raw = {field: os.environ[env] for field, env in _ENV.items() if os.environ.get(env)}
    if "region" not in raw:
        region = os.environ.get("AWS_DEFAULT_REGION") or _profile_region()
        if region:
            raw["region"] = region
    try:
        return Settings(**raw)
    except ValidationError as exc:
        missing = ", ".join(_ENV[str(e["loc"][0])] for e in exc.errors() if e["loc"])
        raise ConfigError(f"invalid or missing environment settings: {missing}") from exc


def _profile_region() -> str | None:
    """The region of the AWS profile (~/.aws/config), as the AWS CLI would use it."""
    import botocore.session

    return botocore.session.Session().get_config_variable("region") or None


def reset_settings() -> None:
    """Forget cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
