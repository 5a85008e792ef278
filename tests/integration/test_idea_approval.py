"""Approval before writing: a site that requires it has only approved ideas become writer tasks."""

from __future__ import annotations

import pytest

from shared.db.models import ContentIdea
from shared.db.repo import allocate_ids, save_all
from tests.helpers import api

pytestmark = pytest.mark.integration

OUTLINE = {
    "introduction": "Why cold brew",
    "sections": [
        {
            "heading": "Ratios",
            "subsections": [{"subheading": "1:8", "content_type": "table", "details": "grams"}],
        },
        {"heading": "Steeping"},
    ],
}


def _site(key: str, require_approval: bool) -> int:
    status, body = api("POST", "/v1/planner/sites/", key, {"name": "Coffee", "domain": "coffee.example"})
    assert status == 201
    status, body = api(
        "PATCH", f"/v1/planner/sites/{body['id']}/", key, {"require_approval": require_approval}
    )
    assert status == 200 and body["require_approval"] is require_approval
    return int(body["id"])


def _ideas(account_id: str, site_id: int, titles: list[str]) -> list[int]:
    ids = allocate_ids(account_id, "idea", len(titles))
    save_all(
        ContentIdea(account_id, i, idea_title=t, description="Plain brief", site_id=site_id, status="new")
        for i, t in zip(ids, titles, strict=True)
    )
    return ids


def test_only_approved_ideas_become_tasks(stack, account):
    key = account.api_key
    site_id = _site(key, require_approval=True)
    first, second = _ideas(account.account_id, site_id, ["Cold brew ratios", "Cold brew gear"])

    status, body = api("POST", "/v1/writer/tasks/", key, {"idea_ids": [first]})
    assert status == 409 and f"ideas {first} need approval first" in body["message"]

    status, body = api(
        "PATCH",
        f"/v1/planner/ideas/{first}/",
        key,
        {
            "title": "Cold brew ratios, measured",
            "outline": OUTLINE,
            "estimated_word_count": 1200,
            "target_keywords": ["cold brew ratio", "cold brew grams"],
        },
    )
    assert status == 200, body
    assert body["title"] == "Cold brew ratios, measured" and body["estimated_word_count"] == 1200
    assert [s["heading"] for s in body["outline"]["sections"]] == ["Ratios", "Steeping"]
    assert body["target_keywords"] == ["cold brew ratio", "cold brew grams"] and body["status"] == "new"

    status, body = api("POST", f"/v1/planner/ideas/{first}/approve", key)
    assert status == 200 and body["status"] == "approved"
    status, body = api("POST", "/v1/writer/tasks/", key, {"idea_ids": [first]})
    assert status == 201 and body["created"] == 1
    task = body["results"][0]
    assert task["title"] == "Cold brew ratios, measured" and task["keywords"] == [
        "cold brew ratio",
        "cold brew grams",
    ]

    # An idea that is a task now cannot be edited; a rejected idea is never written.
    status, body = api("PATCH", f"/v1/planner/ideas/{first}/", key, {"title": "Changed"})
    assert status == 409 and f"is already writer task {task['id']}" in body["message"]
    assert api("POST", f"/v1/planner/ideas/{second}/reject", key)[1]["status"] == "rejected"
    status, body = api("POST", "/v1/writer/tasks/", key, {"idea_ids": [second]})
    assert status == 409 and "rejected ideas are not written" in body["message"]


def test_without_approval_new_ideas_are_queued(stack, account):
    key = account.api_key
    site_id = _site(key, require_approval=False)
    (idea,) = _ideas(account.account_id, site_id, ["Cold brew at home"])
    status, body = api("POST", "/v1/writer/tasks/", key, {"idea_ids": [idea]})
    assert status == 201 and body["created"] == 1


def test_bad_edits_are_refused(stack, account):
    key = account.api_key
    site_id = _site(key, require_approval=True)
    (idea,) = _ideas(account.account_id, site_id, ["Cold brew at home"])
    for bad in (
        {"outline": {"sections": []}},
        {"outline": {"sections": [{"heading": ""}]}},
        {"estimated_word_count": 5},
        {"status": "published"},
        {"content_type": "poem"},
        {"colour": "red"},
    ):
        status, body = api("PATCH", f"/v1/planner/ideas/{idea}/", key, bad)
        assert status == 422, (bad, body)
    stored = ContentIdea.get(account.account_id, idea)
    assert (stored.idea_title, stored.description, stored.status) == (
        "Cold brew at home",
        "Plain brief",
        "new",
    )
    assert api("PATCH", "/v1/planner/ideas/999999/", key, {"title": "x"})[0] == 404
