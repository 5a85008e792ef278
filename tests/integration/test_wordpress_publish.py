"""Publishing to WordPress against a fake WordPress REST server on 127.0.0.1.

The fake checks the Basic authentication header of every request. A site connects (the password
goes to Secrets Manager, never back out), an article becomes a draft post with its categories
and tags found or created, a second publish updates the same post, concurrent publishes make one
post, and the outbound rules for account URLs apply to the WordPress address.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.config import reset_settings
from shared.db.models import Content, Site
from shared.db.repo import get_one
from shared.errors import StateConflict
from shared.services import wordpress as wordpress_service
from tests.fakes.wordpress_server import FakeWordPress
from tests.helpers import api

pytestmark = pytest.mark.integration


@pytest.fixture
def wordpress(monkeypatch) -> Iterator[FakeWordPress]:
    monkeypatch.setenv("WORDPRESS_ALLOW_LOOPBACK", "true")
    reset_settings()
    fake = FakeWordPress().start()
    yield fake
    fake.stop()
    reset_settings()


def _site(key: str, name: str = "Coffee blog") -> int:
    status, body = api("POST", "/v1/planner/sites/", key, {"name": name, "domain": "coffee.example"})
    assert status == 201, body
    return int(body["id"])


def _article(account_id: str, task_id: int, site_id: int | None, **extra) -> None:
    Content(
        account_id,
        task_id,
        html_content="<h2>Ratios</h2><p>Use one part coffee to eight parts water.</p>",
        title="Cold brew ratios",
        meta_title="Cold brew ratios",
        meta_description="The coffee to water ratio for cold brew, and why it matters.",
        primary_keyword="cold brew ratio",
        tags=["cold brew", "ratios"],
        categories=["Brewing"],
        site_id=site_id,
        slug="cold-brew-ratios",
        structured_data=[
            {"@context": "https://schema.org", "@type": "Article", "headline": "Cold brew ratios"}
        ],
        **extra,
    ).save()


def _connect(key: str, site_id: int, fake: FakeWordPress, password: str | None = None) -> tuple[int, dict]:
    body = {"url": fake.url, "username": fake.user, "application_password": password or fake.password}
    return api("PUT", f"/v1/planner/sites/{site_id}/wordpress", key, body)


def test_connect_publish_and_publish_again(stack, account, wordpress):
    key = account.api_key
    site_id = _site(key)
    status, body = _connect(key, site_id, wordpress)
    assert status == 200, body
    assert body == {
        "site_id": site_id,
        "connected": True,
        "url": wordpress.url,
        "username": "editor",
        "application_password": "stored",
    }
    site = get_one(Site, account.account_id, site_id)
    assert wordpress.password not in json.dumps(site.attribute_values)
    assert wordpress.password not in json.dumps(api("GET", f"/v1/planner/sites/{site_id}/wordpress", key)[1])
    assert wordpress.password not in stack.client("secretsmanager").list_secrets().__repr__()
    _article(account.account_id, 7, site_id)

    status, first = api("POST", "/v1/writer/content/7/publish", key)
    assert status == 201, first
    assert first["created"] is True and first["status"] == "draft" and first["slug"] == "cold-brew-ratios"
    (post,) = wordpress.posts.values()
    assert post["id"] == first["post_id"] and post["title"]["raw"] == "Cold brew ratios"
    assert post["excerpt"]["raw"].startswith("The coffee to water ratio")
    assert '<script type="application/ld+json">' in post["content"]["raw"]
    assert sorted(wordpress.terms["tags"].values()) == ["cold brew", "ratios"]
    assert list(wordpress.terms["categories"].values()) == ["Brewing"]
    assert post["categories"] == first["categories"] and len(post["tags"]) == 2
    stored = get_one(Content, account.account_id, 7)
    assert (stored.wp_post_id, stored.wp_link) == (first["post_id"], first["link"])
    assert stored.publish_lease is None
    assert all(r.authorization and r.authorization.startswith("Basic ") for r in wordpress.requests)

    # Edited, published again: the same post is updated and existing terms are reused.
    stored.update(actions=[Content.title.set("Cold brew ratios, revised")])
    status, second = api("POST", "/v1/writer/content/7/publish", key)
    assert status == 200, second
    assert second["created"] is False and second["post_id"] == first["post_id"]
    assert (
        len(wordpress.posts) == 1
        and wordpress.posts[first["post_id"]]["title"]["raw"] == "Cold brew ratios, revised"
    )
    assert len(wordpress.terms["tags"]) == 2

    # Deleted in WordPress meanwhile: published anew.
    wordpress.posts.clear()
    status, third = api("POST", "/v1/writer/content/7/publish", key)
    assert status == 201 and third["created"] is True and len(wordpress.posts) == 1


def test_concurrent_publishes_make_one_post(stack, account, wordpress):
    key = account.api_key
    site_id = _site(key)
    assert _connect(key, site_id, wordpress)[0] == 200
    _article(account.account_id, 9, site_id)
    barrier = threading.Barrier(5)

    # As five Lambda instances would run the route: the service, concurrently, in threads.
    def attempt(_: int) -> dict | StateConflict:
        barrier.wait()
        try:
            return wordpress_service.publish(account.account_id, 9)
        except StateConflict as exc:
            return exc

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(attempt, range(5)))
    published = [a for a in answers if isinstance(a, dict)]
    busy = [a for a in answers if isinstance(a, StateConflict)]
    assert sum(1 for a in published if a["created"]) == 1, answers
    assert len(published) + len(busy) == 5
    assert all("is being published by another request" in str(b) for b in busy)
    assert len(wordpress.posts) == 1
    assert get_one(Content, account.account_id, 9).publish_lease is None


def test_refusals(stack, account, wordpress):
    key = account.api_key
    site_id = _site(key)
    _article(account.account_id, 11, site_id)
    status, body = api("POST", "/v1/writer/content/11/publish", key)
    assert status == 409 and f"connect site {site_id} to WordPress first" in body["message"]

    status, body = _connect(key, site_id, wordpress, password="wrong password here")
    assert status == 502 and "WordPress refused the credentials (401, incorrect_password)" in body["message"]
    assert get_one(Site, account.account_id, site_id).wp_url is None

    for url, why in [
        ("http://169.254.169.254/latest", "169.254.169.254, a link-local address"),
        ("https://10.0.0.7", "10.0.0.7, a private address"),
        ("ftp://coffee.example", "url must be an https URL"),
    ]:
        status, body = api(
            "PUT",
            f"/v1/planner/sites/{site_id}/wordpress",
            key,
            {"url": url, "username": "editor", "application_password": "abcd efgh ijkl"},
        )
        assert status == 400 and why in body["message"], (url, body)

    # Another account sees none of it.
    from shared.services.accounts import create_account, create_api_key

    other = create_account("Other agency", credits=10)
    other_key = create_api_key(other.account_id)
    assert api("POST", "/v1/writer/content/11/publish", other_key)[0] == 404
    assert api("GET", f"/v1/planner/sites/{site_id}/wordpress", other_key)[0] == 404
    assert _connect(other_key, site_id, wordpress)[0] == 404


def test_site_settings(stack, account):
    key = account.api_key
    site_id = _site(key)
    status, body = api(
        "PATCH",
        f"/v1/planner/sites/{site_id}/",
        key,
        {
            "language": "de",
            "country": "de",
            "style_guide": {"voice": "freundlich", "audience": "Kaffeeliebhaber", "avoid": ["billig"]},
            "require_approval": True,
            "path_prefix": "/ratgeber/",
            "domain": "https://www.Kaffee.example/",
        },
    )
    assert status == 200, body
    assert (body["language"], body["country"], body["path_prefix"], body["domain"]) == (
        "de",
        "DE",
        "/ratgeber",
        "www.kaffee.example",
    )
    assert body["require_approval"] is True and body["style_guide"]["avoid"] == ["billig"]
    for bad in ({"language": "german!"}, {"country": "DEU"}, {"require_approval": "yes"}, {"colour": "red"}):
        status, body = api("PATCH", f"/v1/planner/sites/{site_id}/", key, bad)
        assert status == 422, (bad, body)
    status, body = api("PATCH", f"/v1/planner/sites/{site_id}/", key, {"domain": "not a host"})
    assert status == 400 and "domain must be a host name" in body["message"]
    assert api("PATCH", "/v1/planner/sites/999999/", key, {"language": "en"})[0] == 404
