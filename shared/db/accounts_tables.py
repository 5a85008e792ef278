"""Tables of accounts and their access, settings and credits ledger.

Account, ApiKey (stored as a hash), Site and Sector; the account's own prompts (AIPrompt) and
provider settings (IntegrationSettings, the seed's); the credits ledger (CreditEntry).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.db.base import BaseModel, iso_now


class Account(BaseModel):
    table_suffix = "accounts"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    plan = UnicodeAttribute(default="standard")
    credits = NumberAttribute(default=0)
    monthly_budget_usd = NumberAttribute(null=True)
    max_clusters = NumberAttribute(null=True)  # plan limit; None = unlimited
    created_at = UnicodeAttribute(default_for_new=iso_now)
    # The account's webhook (shared.services.webhooks): where job events are POSTed, the
    # signing secret (shown once when set, never returned or logged again), when it was set,
    # and the outcome of the last delivery ({task_id, event, status, attempts, at, ...}).
    webhook_url = UnicodeAttribute(null=True)
    webhook_secret = UnicodeAttribute(null=True)
    webhook_updated_at = UnicodeAttribute(null=True)
    webhook_last_delivery = JSONAttribute(null=True)


class ApiKey(BaseModel):
    """An API key, stored only as its SHA-256 hash, bound to exactly one account."""

    table_suffix = "api-keys"

    class Meta:
        table_name = "unbound"

    key_hash = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    label = UnicodeAttribute(default="default")
    created_at = UnicodeAttribute(default_for_new=iso_now)


class Site(BaseModel):
    table_suffix = "sites"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    domain = UnicodeAttribute(null=True)
    # What the site's articles are written in and for (prompts, checks, lang attribute).
    language = UnicodeAttribute(default="en")  # BCP 47 primary tag: en, de, fr...
    country = UnicodeAttribute(null=True)  # ISO 3166 alpha-2, e.g. DE
    # {voice, audience, avoid: [words]}: enters the prompts through [IGNY8_STYLE_GUIDE].
    style_guide = JSONAttribute(null=True)
    # Ideas need approval before they become writer tasks.
    require_approval = BooleanAttribute(default=False)
    # Articles' URLs: https://{domain}{path_prefix}/{slug}/ (internal links).
    path_prefix = UnicodeAttribute(null=True)
    # WordPress publishing: the site's REST root and user; the application password is kept in
    # Secrets Manager under ``wp_secret_name`` (never in this row, never returned).
    wp_url = UnicodeAttribute(null=True)
    wp_username = UnicodeAttribute(null=True)
    wp_secret_name = UnicodeAttribute(null=True)


class Sector(BaseModel):
    table_suffix = "sectors"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    site_id = NumberAttribute()
    name = UnicodeAttribute()


class AIPrompt(BaseModel):
    """An account's own prompt for one function (level 2 of prompt resolution)."""

    table_suffix = "prompts"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    function_name = UnicodeAttribute(range_key=True)
    prompt_value = UnicodeAttribute()
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class IntegrationSettings(BaseModel):
    """The seed's IntegrationSettings: per-account provider and model configuration."""

    table_suffix = "integration-settings"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    integration_type = UnicodeAttribute(range_key=True)  # "openai"
    config = JSONAttribute(default=dict)
    is_active = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class CreditEntry(BaseModel):
    """Credits ledger: one conditional put per (job, item) so a charge happens exactly once."""

    table_suffix = "credit-ledger"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # {task_id}#{item}
    function_name = UnicodeAttribute()
    credits = NumberAttribute()
    cost = NumberAttribute(default=0)
    created_at = UnicodeAttribute(default_for_new=iso_now)
