"""Request bodies of the API (pydantic, strict where lax coercion would be wrong)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

Id = Annotated[StrictInt, Field(gt=0)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdsRequest(Body):
    ids: list[Id] = Field(min_length=1, max_length=10_000, description="Record ids")

    @field_validator("ids")
    @classmethod
    def _unique(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("ids contains duplicates")
        return ids


class AutoClusterRequest(Body):
    """Keywords by ``ids`` (the seed's form) or by a selection; the strategy and granularity."""

    ids: list[Id] | None = Field(default=None, min_length=1, max_length=10_000, description="Keyword ids")
    sector_id: Id | None = Field(default=None, description="Cluster this sector's keywords")
    site_id: Id | None = Field(default=None, description="Cluster this site's keywords")
    unclustered: StrictBool | None = Field(default=None, description="Only keywords without a cluster")
    strategy: Literal["auto", "prompt", "semantic"] | None = Field(
        default=None,
        description="auto (default): the seed's prompt for a few hundred keywords, semantic above",
    )
    threshold: Annotated[StrictFloat | StrictInt, Field(ge=0.05, le=0.95)] | None = Field(
        default=None, description="Similarity two keywords need to share a cluster (granularity)"
    )
    recluster: StrictBool | None = Field(default=None, description="Rebuild the clusters of the selection")

    @field_validator("ids")
    @classmethod
    def _unique(cls, ids: list[int] | None) -> list[int] | None:
        if ids is not None and len(set(ids)) != len(ids):
            raise ValueError("ids contains duplicates")
        return ids

    @model_validator(mode="after")
    def _selected(self) -> AutoClusterRequest:
        if not self.ids and self.sector_id is None and self.site_id is None and not self.unclustered:
            raise ValueError('give "ids" or a selection: "sector_id", "site_id" and/or "unclustered": true')
        return self


class KeywordIn(Body):
    keyword: Text
    volume: Annotated[StrictInt, Field(ge=0)] = 0
    difficulty: Annotated[StrictInt, Field(ge=0, le=100)] = 0
    intent: Annotated[str, StringConstraints(max_length=60)] | None = None
    cpc: Annotated[StrictFloat | StrictInt, Field(ge=0)] | None = None
    volume_override: Annotated[StrictInt, Field(ge=0)] | None = None
    difficulty_override: Annotated[StrictInt, Field(ge=0, le=100)] | None = None


class CreateKeywordsRequest(Body):
    keywords: list[KeywordIn] = Field(min_length=1, max_length=5_000)
    site_id: Id | None = None
    sector_id: Id | None = None


class SiteIn(Body):
    name: Text
    domain: Annotated[str, StringConstraints(strip_whitespace=True, max_length=253)] | None = None


class SectorIn(Body):
    name: Text
    site_id: Id


class PromptIn(Body):
    prompt_value: Annotated[str, StringConstraints(min_length=20, max_length=50_000)]


class FunctionAISettingsIn(Body):
    """One function's model settings (shape and types; the service checks the values in context)."""

    model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    temperature: Annotated[StrictFloat | StrictInt, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    response_format: Literal["json_object", "text"] | None = None
    structured_outputs: StrictBool | None = None


class AISettingsIn(FunctionAISettingsIn):
    """The account's AI settings; merged into the stored ones (PATCH semantics)."""

    #: Per function: the model settings above and the function's own options (checked by the service).
    functions: dict[Annotated[str, StringConstraints(max_length=100)], dict[str, Any] | None] | None = Field(
        default=None, max_length=20
    )
    base_url: Annotated[str, StringConstraints(max_length=500)] | None = None
    api_key: Annotated[str, StringConstraints(max_length=1024)] | None = None
    allowed_models: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=50
    )
    max_concurrency: Annotated[StrictInt, Field(ge=1, le=20)] | None = None
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    embedding_dimensions: Annotated[StrictInt, Field(ge=1, le=8192)] | None = None

    def as_patch(self) -> dict[str, Any]:
        """Only the settings the request sent (null included: it removes a setting)."""
        return self.model_dump(exclude_unset=True)
