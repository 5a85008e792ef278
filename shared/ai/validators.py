"""Validators (the seed's validators.py). Each returns ``{"valid": bool, "error"?: str}``."""

from __future__ import annotations

from typing import Any, TypeVar

from shared.ai.catalogue import supported_chat_models
from shared.db.models import Cluster, Keyword, WriterTask
from shared.db.repo import batch_get, get_one, query_account
from shared.errors import InputInvalid, NotFound

M = TypeVar("M", Keyword, Cluster, WriterTask)

SUPPORTED_MODELS: tuple[str, ...] = supported_chat_models()
IMAGE_SIZES: dict[str, tuple[str, ...]] = {
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "gpt-image-1": ("1024x1024", "1536x1024", "1024x1536"),
}


def ok(**extra: Any) -> dict[str, Any]:
    return {"valid": True, **extra}


def fail(error: str, not_found: bool = False) -> dict[str, Any]:
    """An invalid result; ``not_found`` marks records missing from the account (HTTP 404)."""
    return {"valid": False, "error": error, "not_found": not_found}


def raise_if_invalid(validation: dict[str, Any]) -> None:
    """Raise the typed error a failed validation stands for (one mapping for the API and INIT)."""
    if validation.get("valid"):
        return
    error = validation.get("error") or "invalid input"
    raise NotFound(error) if validation.get("not_found") else InputInvalid(error)


def validate_ids(payload: dict[str, Any], max_items: int | None = None, label: str = "ids") -> dict[str, Any]:
    """``ids`` is a non-empty list of positive integers, at most ``max_items`` (of ``label``) long."""
    ids = payload.get("ids")
    if not isinstance(ids, list) or not ids:
        return fail("ids is required: a non-empty list of record ids")
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        return fail("ids must contain positive integers only")
    if len(set(ids)) != len(ids):
        return fail("ids contains duplicates")
    if max_items is not None and len(ids) > max_items:
        return fail(f"at most {max_items} {label} per request (got {len(ids)})")
    return ok()


def _find_all(
    model: type[M], ids: list[int], account_id: str, label: str
) -> tuple[list[M], dict[str, Any] | None]:
    """The account's ``model`` records named by ``ids`` (in order), and the failure naming the
    missing ones as ``label`` (first 20; HTTP 404), or None when every id was found."""
    found = batch_get(model, account_id, ids)
    have = {int(record.id) for record in found}
    missing = [i for i in ids if i not in have]
    if missing:
        return found, fail(
            f"{label} not found in this account: {', '.join(map(str, missing[:20]))}", not_found=True
        )
    return found, None


def validate_keywords_exist(ids: list[int], account_id: str) -> dict[str, Any]:
    """Every keyword id exists in this account; returns the keyword texts in order."""
    found, failure = _find_all(Keyword, ids, account_id, "keywords")
    return failure or ok(keywords=[k.keyword for k in found])


def validate_cluster_exists(cluster_id: int, account_id: str) -> dict[str, Any]:
    if get_one(Cluster, account_id, cluster_id) is None:
        return fail(f"cluster {cluster_id} not found in this account", not_found=True)
    return ok()


def validate_clusters_exist(ids: list[int], account_id: str) -> dict[str, Any]:
    return _find_all(Cluster, ids, account_id, "clusters")[1] or ok()


def validate_tasks_exist(ids: list[int], account_id: str) -> dict[str, Any]:
    return _find_all(WriterTask, ids, account_id, "writer tasks")[1] or ok()


def validate_cluster_limits(account: Any, new_clusters: int = 0) -> dict[str, Any]:
    """Plan limit on clusters; off unless the account has ``max_clusters`` set."""
    limit = getattr(account, "max_clusters", None)
    if limit is None:
        return ok()

    existing = sum(1 for _ in query_account(Cluster, account.account_id))
    if existing + new_clusters > int(limit):
        return fail(f"plan limit reached: {existing} clusters of {int(limit)} allowed on this plan")
    return ok()


def validate_api_key(api_key: str | None, offline_allowed: bool = True) -> dict[str, Any]:
    """An OpenAI key is configured, unless the offline provider may answer."""
    if api_key or offline_allowed:
        return ok()
    return fail("no OpenAI API key is configured for this account")


def validate_model(model: str, supported: tuple[str, ...] = SUPPORTED_MODELS) -> dict[str, Any]:
    if model in supported:
        return ok()
    return fail(f"model {model!r} is not supported; choose one of: {', '.join(supported)}")


def validate_image_size(model: str, size: str) -> dict[str, Any]:
    sizes = IMAGE_SIZES.get(model)
    if sizes is None:
        return fail(f"image model {model!r} is not supported")
    if size not in sizes:
        return fail(f"size {size!r} is not valid for {model}; choose one of: {', '.join(sizes)}")
    return ok()
