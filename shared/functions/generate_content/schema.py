"""The answer model of generate_content (seed §4.5): its JSON schema goes to the provider, PARSE validates with it."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field, model_validator

from shared.ai.schemas import CONTENT_ALIASES, ListOrText, LooseInt, Name, ResponseModel, Text


class ArticleResponse(ResponseModel):
    """The article; extra fields are kept (the seed stores them as metadata). Plain text is allowed."""

    schema_name: ClassVar[str] = "article_response"
    schema_description: ClassVar[str] = "An SEO article as HTML with its title, meta data and keywords"
    label: ClassVar[str] = "article"
    allows_plain_text: ClassVar[bool] = True

    model_config = ConfigDict(extra="allow")

    content: Name = Field(description="The article as clean HTML")
    title: Text = None
    meta_title: Text = Field(default=None, description="At most 60 characters")
    meta_description: Text = Field(default=None, description="At most 160 characters")
    word_count: LooseInt = None
    primary_keyword: Text = None
    secondary_keywords: ListOrText = None
    tags: ListOrText = None
    categories: ListOrText = None

    @model_validator(mode="before")
    @classmethod
    def _content_alias(cls, data: Any) -> Any:
        """The article text may come as html_content, html, article or body (as the parser accepts)."""
        if isinstance(data, dict) and not (isinstance(data.get("content"), str) and data["content"].strip()):
            for alias in CONTENT_ALIASES:
                if isinstance(data.get(alias), str) and data[alias].strip():
                    return {**data, "content": data[alias]}
        return data
