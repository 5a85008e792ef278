"""Reviewing ideas before they are written: edit the outline, approve or reject.

A site may require approval (``Site.require_approval``): its ideas start as ``new`` (as every
idea does) and only ``approved`` ones become writer tasks (``content_plan.check_queueable``).
Without approval an idea can be queued from ``new`` as before; a ``rejected`` idea is never
queued. An idea that already has a writer task is not edited here (its task holds the brief
now): delete the task first, or edit the task.
"""

from __future__ import annotations

import json
from typing import Any

from shared.db.base import iso_now
from shared.db.models import ContentIdea
from shared.domain.outline import join_list, parse_outline
from shared.errors import InputInvalid, StateConflict
from shared.services.content_plan import get_idea

REVIEW_STATUSES = ("new", "approved", "rejected")


def _editable(idea: ContentIdea) -> None:
    if idea.task_id is not None:
        raise StateConflict(
            f"idea {int(idea.id)} is already writer task {int(idea.task_id)}: edit or delete the task instead"
        )


def update_idea(account_id: str, idea_id: int, changes: dict[str, Any]) -> ContentIdea:
    """Apply the fields sent (title, outline, target keywords, word count, type, structure, status)."""
    idea = get_idea(account_id, idea_id)
    _editable(idea)
    if "title" in changes:
        idea.idea_title = changes["title"]
    if "outline" in changes:
        text = json.dumps(changes["outline"], ensure_ascii=False)
        if not parse_outline(text).structured:
            raise InputInvalid('outline needs at least one section: {"sections": [{"heading": "..."}]}')
        idea.description = text
    if "target_keywords" in changes:
        idea.target_keywords = join_list(changes["target_keywords"])
    for name in ("estimated_word_count", "content_type", "content_structure"):
        if name in changes:
            setattr(idea, name, changes[name])
    if "status" in changes:
        idea.status = changes["status"]
    idea.updated_at = iso_now()
    idea.save()
    return idea


def set_status(account_id: str, idea_id: int, status: str) -> ContentIdea:
    return update_idea(account_id, idea_id, {"status": status})
