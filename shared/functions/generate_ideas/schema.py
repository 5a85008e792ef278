"""The answer model of generate_ideas (seed §3.5): its JSON schema goes to the provider, PARSE validates with it."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.ai.schemas import ListOrText, LooseInt, Name, ResponseModel, Text


class IdeaAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Name
    description: str | dict[str, Any] | list[Any] | None = Field(
        default=None,
        description=(
            'An outline object {"introduction": "...", "sections": [{"heading": "H2", "subsections": '
            '[{"subheading": "H3", "content_type": "paragraph|list|table", "details": "..."}]}]} or text'
        ),
    )
    content_type: Text = Field(default="blog_post", description="blog_post, article, guide or tutorial")
    content_structure: Text = Field(
        default="supporting_page", description="cluster_hub, landing_page, pillar_page or supporting_page"
    )
    cluster_id: LooseInt = None
    cluster_name: Text = None
    estimated_word_count: LooseInt = None
    covered_keywords: ListOrText = Field(default=None, description="Comma-separated keywords")
    target_keywords: ListOrText = None

    @model_validator(mode="before")
    @classmethod
    def _title_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("title") and data.get("idea_title"):
            return {**data, "title": data["idea_title"]}
        return data


class IdeasResponse(ResponseModel):
    """{"ideas": [...]}: the seed requires the "ideas" key."""

    schema_name: ClassVar[str] = "ideas_response"
    schema_description: ClassVar[str] = "Content ideas for the given keyword clusters"
    label: ClassVar[str] = "ideas"

    ideas: list[IdeaAnswer]
