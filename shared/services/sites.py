"""Site settings: what a site's articles are written in (language, country), how (style guide),
whether ideas need approval, and where the articles live (domain and path, for their URLs)."""

from __future__ import annotations

import re
from typing import Any

from shared.db.models import Sector, Site
from shared.db.repo import get_one
from shared.errors import InputInvalid, NotFound

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def get_site(account_id: str, site_id: int) -> Site:
    site = get_one(Site, account_id, site_id)
    if site is None:
        raise NotFound(f"site {site_id} not found in this account")
    return site


def check_scope(account_id: str, site_id: int | None, sector_id: int | None) -> None:
    """NotFound for a site or sector not in the account; InputInvalid for a sector of another site."""
    if site_id is not None and get_one(Site, account_id, site_id) is None:
        raise NotFound(f"site {site_id} not found in this account")
    if sector_id is not None:
        sector = get_one(Sector, account_id, sector_id)
        if sector is None:
            raise NotFound(f"sector {sector_id} not found in this account")
        if site_id is not None and int(sector.site_id) != site_id:
            raise InputInvalid(f"sector {sector_id} does not belong to site {site_id}")


def normalize_domain(value: str | None) -> str | None:
    """``https://www.Coffee.example/`` -> ``www.coffee.example``; a value that is no host name is refused."""
    if value is None or not value.strip():
        return None
    host = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/", 1)[0]
    if not _HOSTNAME.match(host):
        raise InputInvalid(f"domain must be a host name such as coffee.example, got {value[:100]!r}")
    return host


def update_site(account_id: str, site_id: int, changes: dict[str, Any]) -> Site:
    """Apply ``changes`` (the fields sent; ``None`` clears an optional one) and save the site."""
    site = get_site(account_id, site_id)
    if "name" in changes:
        if not changes["name"]:
            raise InputInvalid("name cannot be empty")
        site.name = changes["name"]
    if "domain" in changes:
        site.domain = normalize_domain(changes["domain"])
    if "language" in changes:
        site.language = (changes["language"] or "en").lower()
    if "country" in changes:
        site.country = changes["country"].upper() if changes["country"] else None
    if "style_guide" in changes:
        guide = changes["style_guide"]
        site.style_guide = {k: v for k, v in guide.items() if v} if guide else None
    if "require_approval" in changes:
        site.require_approval = bool(changes["require_approval"])
    if "path_prefix" in changes:
        prefix = (changes["path_prefix"] or "").strip("/")
        site.path_prefix = f"/{prefix}" if prefix else None
    site.save()
    return site


def site_view(site: Site) -> dict[str, Any]:
    return {
        "id": int(site.id),
        "name": site.name,
        "domain": site.domain,
        "language": site.language or "en",
        "country": site.country,
        "style_guide": site.style_guide,
        "require_approval": bool(site.require_approval),
        "path_prefix": site.path_prefix,
        "wordpress": {"url": site.wp_url, "username": site.wp_username} if site.wp_url else None,
    }
