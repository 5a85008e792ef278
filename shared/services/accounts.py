"""Accounts and API keys. A key is shown once at creation; only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

from shared.db.models import Account, ApiKey
from shared.db.repo import get_account
from shared.errors import Unauthorized

KEY_PREFIX = "igy_"
_CACHE_SECONDS = 60.0
_cache: dict[str, tuple[str, float]] = {}


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_account(name: str, credits: int = 1000, account_id: str | None = None, **fields: Any) -> Account:
    account = Account(account_id or f"acct_{uuid.uuid4().hex[:12]}", name=name, credits=credits, **fields)
    account.save()
    return account


def create_api_key(account_id: str, label: str = "default", api_key: str | None = None) -> str:
    """A new key bound to ``account_id``; returns the key itself (never stored)."""
    if get_account(account_id) is None:
        raise ValueError(f"account {account_id} does not exist")
    key = api_key or KEY_PREFIX + secrets.token_urlsafe(32)
    ApiKey(hash_key(key), account_id=account_id, label=label).save()
    return key


def account_for_key(api_key: str | None) -> str:
    """The account bound to ``api_key`` (cached for a minute per warm Lambda)."""
    if not api_key:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
    digest = hash_key(api_key)
    cached = _cache.get(digest)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    try:
        account_id = ApiKey.get(digest).account_id
    except ApiKey.DoesNotExist:
        raise Unauthorized("unknown API key") from None
    _cache[digest] = (account_id, time.monotonic() + _CACHE_SECONDS)
    return account_id
