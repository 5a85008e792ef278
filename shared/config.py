"""Runtime configuration, read once from the environment and validated.

Every Lambda reads the same settings; template.yaml sets them in production and the local
stack (local_stack/) sets them for the demo and the tests. This is the only module that reads
these variables: the table prefix, the region and the DynamoDB endpoint included.

``Settings`` is a frozen dataclass with explicit checks rather than a pydantic model: pydantic
costs ~40 ms of every cold start, and a handler that validates no request body never needs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Validated environment of every function."""

    table_prefix: str  # prefix of every DynamoDB table name
    region: str = "us-east-1"
    # DynamoDB endpoint: None on AWS; the moto server locally.
    dynamodb_endpoint: str | None = None
    state_machine_arn: str | None = None
    # The API's idempotency table (shared.api.idempotency); unset: "<table_prefix>-idempotency",
    # the name template.yaml gives it (see ``idempotency_table_name``).
    idempotency_table: str | None = None
    # Where the OpenAI key comes from: a Secrets Manager secret (deployed) or the env (local).
    openai_secret_name: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    default_model: str = "gpt-4o-mini"
    ai_timeout_seconds: float = 60.0
    ai_max_retries: int = 2
    log_retention_days: int = 90
    # Bounded concurrency of per-item AI calls (Map state) and of calls per account.
    max_item_concurrency: int = 4
    # Seconds one AI_CALL may spend on the provider, retries included (< the Lambda's timeout).
    ai_call_budget_seconds: float = 240.0
    # Provider calls in flight per account (default: max_item_concurrency).
    ai_account_max_concurrency: int | None = None
    # The OpenAI key in SSM Parameter Store instead of Secrets Manager.
    openai_parameter_name: str | None = None
    # The deployment's default embedding model (an account's AI settings may choose another).
    default_embedding_model: str = "text-embedding-3-small"
    # Overrides of the catalogue's prices, JSON (shared.ai.pricing reads and checks it).
    price_table_json: str | None = None
    # Hosts an account's own endpoint (base_url) may use although they resolve to private
    # addresses, e.g. a self-hosted vLLM (shared.ai.outbound); still https only.
    ai_allowed_hosts: tuple[str, ...] = ()
    # Local development only: an account's base_url may be http(s) on loopback (127.0.0.1, ::1).
    ai_allow_loopback: bool = False
    # The same two rules for the WordPress sites accounts connect (shared.services.wordpress).
    wordpress_allowed_hosts: tuple[str, ...] = ()
    wordpress_allow_loopback: bool = False
    # The stack's EventBridge bus for job events (shared.engine.events); None: no events.
    event_bus_name: str | None = None
    # Webhook delivery (shared.services.webhooks): per-attempt timeout, attempts, first backoff.
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 5
    webhook_backoff_seconds: float = 1.0
    # The outbound rules of shared.ai.outbound for account webhook URLs: hosts the operator
    # vouches for, and (local development only) http(s) to loopback.
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_allow_loopback: bool = False

    @property
    def idempotency_table_name(self) -> str:
        """The idempotency table: ``IDEMPOTENCY_TABLE``, else the template's ``<prefix>-idempotency``."""
        return self.idempotency_table or f"{self.table_prefix}-idempotency"


def _number(
    kind: Callable[[str], Any], low: float | None = None, high: float | None = None, *, above: bool = False
) -> Callable[[str], Any]:
    """A parser of a number within bounds (``above``: strictly greater than ``low``)."""

    def parse(text: str) -> Any:
        value = kind(text.strip())
        if low is not None and (value <= low if above else value < low):
            raise ValueError(f"must be {'>' if above else '>='} {low}")
        if high is not None and value > high:
            raise ValueError(f"must be <= {high}")
        return value

    return parse


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _hosts(text: str) -> tuple[str, ...]:
    """A comma-separated list of host names or IP addresses, lower-cased, without brackets."""
    hosts = tuple(h.strip().strip("[]").rstrip(".").lower() for h in text.split(","))
    if any(not h or "/" in h or " " in h for h in hosts):
        raise ValueError("must be host names or IP addresses separated by commas")
    return hosts


#: field -> (environment variable, parser of its text); unset or empty variables keep the default.
_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "table_prefix": ("TABLE_PREFIX", str),
    "region": ("AWS_REGION", str),
    "state_machine_arn": ("STATE_MACHINE_ARN", str),
    "idempotency_table": ("IDEMPOTENCY_TABLE", str),
    "openai_secret_name": ("OPENAI_SECRET_NAME", str),
    "openai_api_key": ("OPENAI_API_KEY", str),
    "openai_base_url": ("OPENAI_BASE_URL", str),
    "default_model": ("OPENAI_MODEL", str),
    "ai_timeout_seconds": ("AI_TIMEOUT_SECONDS", _number(float, 0, above=True)),
    "ai_max_retries": ("AI_MAX_RETRIES", _number(int, 0, 5)),
    "log_retention_days": ("LOG_RETENTION_DAYS", _number(int, 1)),
    "max_item_concurrency": ("MAX_ITEM_CONCURRENCY", _number(int, 1, 40)),
    "ai_call_budget_seconds": ("AI_CALL_BUDGET_SECONDS", _number(float, 0, 900, above=True)),
    "ai_account_max_concurrency": ("AI_ACCOUNT_MAX_CONCURRENCY", _number(int, 1, 100)),
    "openai_parameter_name": ("OPENAI_PARAMETER_NAME", str),
    "default_embedding_model": ("OPENAI_EMBEDDING_MODEL", str),
    "price_table_json": ("PRICE_TABLE_JSON", str),
    "ai_allowed_hosts": ("AI_ALLOWED_HOSTS", _hosts),
    "ai_allow_loopback": ("AI_ALLOW_LOOPBACK", _flag),
    "wordpress_allowed_hosts": ("WORDPRESS_ALLOWED_HOSTS", _hosts),
    "wordpress_allow_loopback": ("WORDPRESS_ALLOW_LOOPBACK", _flag),
    "event_bus_name": ("EVENT_BUS_NAME", str),
    "webhook_timeout_seconds": ("WEBHOOK_TIMEOUT_SECONDS", _number(float, 0, 30, above=True)),
    "webhook_max_attempts": ("WEBHOOK_MAX_ATTEMPTS", _number(int, 1, 10)),
    "webhook_backoff_seconds": ("WEBHOOK_BACKOFF_SECONDS", _number(float, 0, 60)),
    "webhook_allowed_hosts": ("WEBHOOK_ALLOWED_HOSTS", _hosts),
    "webhook_allow_loopback": ("WEBHOOK_ALLOW_LOOPBACK", _flag),
}
_REQUIRED = ("table_prefix",)


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from an environment mapping; ConfigError names every variable that is wrong."""
    raw: dict[str, Any] = {}
    bad: list[str] = []
    for field, (variable, parse) in _ENV.items():
        text = environ.get(variable)
        if not text:
            continue
        try:
            raw[field] = parse(text)
        except ValueError:
            bad.append(variable)
    bad.extend(_ENV[field][0] for field in _REQUIRED if field not in raw)
    if bad:
        raise ConfigError(f"invalid or missing environment settings: {', '.join(bad)}")
    if "region" not in raw:
        region = environ.get("AWS_DEFAULT_REGION") or _profile_region()
        if region:
            raw["region"] = region
    # boto3's own rule: the service-specific endpoint first, then the global one.
    endpoint = environ.get("AWS_ENDPOINT_URL_DYNAMODB") or environ.get("AWS_ENDPOINT_URL")
    return Settings(dynamodb_endpoint=endpoint or None, **raw)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read and validate the settings once per process (cold start)."""
    return read_settings(os.environ)


def _profile_region() -> str | None:
    """The region of the AWS profile (~/.aws/config), as the AWS CLI would use it.

    Only reached without AWS_REGION/AWS_DEFAULT_REGION (never on Lambda), so botocore's
    session module is imported here rather than by every handler's import of this module.
    """
    import botocore.session

    return botocore.session.Session().get_config_variable("region") or None


def reset_settings() -> None:
    """Forget cached settings (tests and the local stack change the environment).

    The data layer rebinds its tables on its next use when the settings object changes.
    """
    get_settings.cache_clear()
