"""Reviewing ideas before writing: edit the outline (PATCH), approve, reject."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

from shared.api.models import Text
from shared.api.resolver import current_account, route
from shared.services import idea_review
from shared.services.content_plan import idea_view

router = Router()

Heading = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Detail = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
#: JSON has one number type: 1200.0 is the integer 1200; 1200.5, "1200" and true are refused.
WordCount = Annotated[
    StrictInt,
    Field(ge=100, le=20_000),
    BeforeValidator(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v),
]


class OutlineBlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subheading: Heading
    content_type: Literal["paragraph", "list", "table"] = "paragraph"
    details: Detail = ""


class OutlineSectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heading: Heading
    subsections: list[OutlineBlockIn] = Field(default_factory=list, max_length=30)


class OutlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    introduction: Detail = ""
    sections: list[OutlineSectionIn] = Field(min_length=1, max_length=30)
    conclusion: Detail = ""


class IdeaChanges(BaseModel):
    """The fields to change; an idea that is already a writer task cannot change (409)."""

    model_config = ConfigDict(extra="forbid")

    title: Text | None = None
    outline: OutlineIn | None = None
    target_keywords: list[Text] | None = Field(default=None, max_length=50)
    estimated_word_count: WordCount | None = None
    content_type: Literal["blog_post", "article", "guide", "tutorial"] | None = None
    content_structure: Literal["cluster_hub", "landing_page", "pillar_page", "supporting_page"] | None = None
    status: Literal["new", "approved", "rejected"] | None = None


@route(router, "PATCH", "/v1/planner/ideas/<idea_id>/", also=(400, 409))
def update_idea(idea_id: int, body: IdeaChanges) -> dict[str, Any]:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return idea_view(idea_review.update_idea(current_account(router), idea_id, changes))


@route(router, "POST", "/v1/planner/ideas/<idea_id>/approve", also=(409,))
def approve_idea(idea_id: int) -> dict[str, Any]:
    return idea_view(idea_review.set_status(current_account(router), idea_id, "approved"))


@route(router, "POST", "/v1/planner/ideas/<idea_id>/reject", also=(409,))
def reject_idea(idea_id: int) -> dict[str, Any]:
    return idea_view(idea_review.set_status(current_account(router), idea_id, "rejected"))
