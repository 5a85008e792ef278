"""Publishing articles to a site's WordPress through its REST API (``/wp-json/wp/v2``).

A site connects with its address, a user and an application password (WordPress 5.6+: Users >
Profile > Application Passwords). ``connect`` checks the address under the outbound rules for
account URLs (``shared.services.account_http``), checks the credentials with one
``GET /users/me``, and keeps the password in Secrets Manager (never in DynamoDB, never returned or
logged); the site row keeps the address, the user and the secret's name.

``publish`` sends an article as a draft post: title, content (with its JSON-LD), excerpt (the
meta description), slug, and categories and tags found by name or created. The post's id and
link are stored on the content; publishing again updates that post instead of making another
(a post deleted in WordPress meanwhile is created anew). A lease on the content row (a
conditional write) keeps two concurrent publishes of one article from making two posts.
"""

from __future__ import annotations

import base64
import json
import time
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from pynamodb.exceptions import UpdateError

from shared.ai.outbound import EndpointRefused
from shared.config import get_settings
from shared.db.base import iso_now
from shared.db.models import Content, Site
from shared.db.repo import get_one
from shared.domain.internal_links import slugify
from shared.domain.structured_data import jsonld_script
from shared.errors import InputInvalid, NotFound, StateConflict, UpstreamFailed
from shared.observability import logger
from shared.services.account_http import Answer, Target, check_account_url, send
from shared.services.sites import get_site

REST = "/wp-json/wp/v2"
TIMEOUT_SECONDS = 15.0
#: A publish holds its article for at most this long (a crashed one frees it then).
LEASE_SECONDS = 120
TERM_LIMIT = 20


@lru_cache(maxsize=1)
def _secrets() -> Any:
    import boto3

    return boto3.client("secretsmanager", region_name=get_settings().region)


def _check(url: str) -> Target:
    settings = get_settings()
    try:
        return check_account_url(
            url,
            allow_loopback=settings.wordpress_allow_loopback,
            allowed_hosts=settings.wordpress_allowed_hosts,
            label="url",
            example="https://coffee.example",
            setting="WORDPRESS_ALLOWED_HOSTS",
        )
    except EndpointRefused as exc:
        raise InputInvalid(str(exc)) from None  # 400, as for an AI base_url or a webhook URL


def _root(url: str) -> str:
    """The site's root as stored: scheme://host[:port][/path], no trailing slash, no query."""
    parts = urlsplit(url.strip())
    root = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    return root.removesuffix("/wp-json").removesuffix("/wp-json/wp/v2")


def secret_name(account_id: str, site_id: int) -> str:
    return f"{get_settings().table_prefix}/wordpress/{account_id}/{site_id}"


class _Client:
    """Requests to one site's REST API, each to the address checked just before."""

    def __init__(self, root: str, username: str, password: str) -> None:
        self.target = _check(root)
        self.base_path = urlsplit(root).path.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": "igny8-publisher/1.0",
        }

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        answer: Answer = send(
            self.target.at(f"{self.base_path}{REST}{path}"), method, data, headers, TIMEOUT_SECONDS
        )
        if answer.status is None:
            raise UpstreamFailed(f"WordPress at {self.target.host} did not answer: {answer.error}")
        try:
            value = json.loads(answer.body) if answer.body else None
        except ValueError:
            value = None
        if answer.status in (401, 403):
            code = value.get("code") if isinstance(value, dict) else None
            raise UpstreamFailed(
                f"WordPress refused the credentials ({answer.status}{', ' + str(code) if code else ''}): "
                "check the user and the application password (PUT /v1/planner/sites/{id}/wordpress)"
            )
        if answer.status >= 500 or (answer.status >= 300 and answer.status < 400):
            raise UpstreamFailed(f"WordPress answered {answer.status} to {method} {REST}{path}")
        return answer.status, value


# ---------------------------------------------------------------- connection
def connect(account_id: str, site_id: int, url: str, username: str, password: str) -> dict[str, Any]:
    site = get_site(account_id, site_id)
    root = _root(url)
    status, _ = _Client(root, username, password).call("GET", "/users/me?context=edit")
    if status != 200:
        raise UpstreamFailed(
            f"WordPress answered {status} to GET {REST}/users/me: is {root} a WordPress site?"
        )
    name = secret_name(account_id, site_id)
    try:
        _secrets().put_secret_value(SecretId=name, SecretString=password)
    except _secrets().exceptions.ResourceNotFoundException:
        _secrets().create_secret(
            Name=name, SecretString=password, Description="WordPress application password"
        )
    site.update(
        actions=[Site.wp_url.set(root), Site.wp_username.set(username), Site.wp_secret_name.set(name)]
    )
    return connection_view(account_id, site_id)


def connection_view(account_id: str, site_id: int) -> dict[str, Any]:
    site = get_site(account_id, site_id)
    return {
        "site_id": int(site.id),
        "connected": bool(site.wp_url),
        "url": site.wp_url,
        "username": site.wp_username,
        "application_password": "stored" if site.wp_secret_name else None,
    }


def disconnect(account_id: str, site_id: int) -> dict[str, Any]:
    site = get_site(account_id, site_id)
    if site.wp_secret_name:
        try:
            _secrets().delete_secret(SecretId=site.wp_secret_name, ForceDeleteWithoutRecovery=True)
        except _secrets().exceptions.ResourceNotFoundException:
            pass
    site.update(actions=[Site.wp_url.remove(), Site.wp_username.remove(), Site.wp_secret_name.remove()])
    return connection_view(account_id, site_id)


# ---------------------------------------------------------------- publishing
def _lease(content: Content) -> None:
    now = time.time()
    try:
        content.update(
            actions=[Content.publish_lease.set(int(now) + LEASE_SECONDS)],
            condition=Content.publish_lease.does_not_exist() | (Content.publish_lease < int(now)),
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise StateConflict(
                f"article {int(content.task_id)} is being published by another request; try again in a minute"
            ) from None
        raise


def _term_ids(client: _Client, kind: str, names: list[str]) -> list[int]:
    """The ids of the terms named ``names`` (found case-insensitively, else created)."""
    ids: list[int] = []
    for name in list(dict.fromkeys(n.strip() for n in names if n and n.strip()))[:TERM_LIMIT]:
        _, found = client.call("GET", f"/{kind}?search={quote(name)}&per_page=100")
        match = next(
            (
                t
                for t in found or []
                if isinstance(t, dict) and str(t.get("name", "")).lower() == name.lower()
            ),
            None,
        )
        if match is None:
            status, created = client.call("POST", f"/{kind}", {"name": name})
            if status == 400 and isinstance(created, dict) and created.get("code") == "term_exists":
                match = {"id": (created.get("data") or {}).get("term_id")}
            elif status in (200, 201) and isinstance(created, dict):
                match = created
            else:
                raise UpstreamFailed(f"WordPress would not create the {kind[:-1]} {name[:60]!r} ({status})")
        if match.get("id") is not None:
            ids.append(int(match["id"]))
    return ids


def _post_body(content: Content, site: Site, client: _Client) -> dict[str, Any]:
    structured = list(content.structured_data or [])
    body_html = (content.html_content or "") + ("\n" + jsonld_script(structured) if structured else "")
    return {
        "title": content.title or content.meta_title or f"Article {int(content.task_id)}",
        "content": body_html,
        "excerpt": content.meta_description or "",
        "slug": content.slug or slugify(content.title or ""),
        "status": "draft",
        "categories": _term_ids(client, "categories", list(content.categories or [])),
        "tags": _term_ids(client, "tags", list(content.tags or [])),
    }


def publish(account_id: str, task_id: int) -> dict[str, Any]:
    """Create (or update) the article's draft post on its site's WordPress; returns the post."""
    content = get_one(Content, account_id, task_id)
    if content is None:
        raise NotFound(f"no article for writer task {task_id}")
    site = get_one(Site, account_id, int(content.site_id)) if content.site_id is not None else None
    if site is None or not site.wp_url or not site.wp_secret_name:
        where = f"site {int(site.id)}" if site is not None else "its site (the task has none)"
        raise StateConflict(
            f"article {task_id} cannot be published: connect {where} to WordPress first "
            "(PUT /v1/planner/sites/{site_id}/wordpress)"
        )
    password = _secrets().get_secret_value(SecretId=site.wp_secret_name)["SecretString"]
    _lease(content)
    try:
        client = _Client(site.wp_url, site.wp_username or "", password)
        body = _post_body(content, site, client)
        post: Any = None
        if content.wp_post_id is not None:
            status, post = client.call("POST", f"/posts/{int(content.wp_post_id)}", body)
            if status == 404:
                post = None  # deleted in WordPress: published anew below
            elif status != 200:
                raise UpstreamFailed(
                    f"WordPress answered {status} to the update of post {int(content.wp_post_id)}"
                )
        created = post is None
        if created:
            status, post = client.call("POST", "/posts", body)
            if status not in (200, 201) or not isinstance(post, dict) or "id" not in post:
                raise UpstreamFailed(f"WordPress answered {status} to the new post")
        now = iso_now()
        content.update(
            actions=[
                Content.wp_post_id.set(int(post["id"])),
                Content.wp_link.set(str(post.get("link") or "")),
                Content.published_at.set(now),
                Content.publish_lease.remove(),
                Content.updated_at.set(now),
            ]
        )
    except BaseException:
        content.update(actions=[Content.publish_lease.remove()])
        raise
    logger.info("article published", task_id=task_id, post_id=int(post["id"]), new_post=created)
    return {
        "task_id": task_id,
        "created": created,
        "post_id": int(post["id"]),
        "link": post.get("link"),
        "status": post.get("status"),
        "slug": post.get("slug"),
        "categories": body["categories"],
        "tags": body["tags"],
        "published_at": now,
    }
