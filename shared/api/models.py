"""Request bodies of the API (pydantic, strict where lax coercion would be wrong)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints, field_validator

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


class AutoClusterRequest(IdsRequest):
    sector_id: Id | None = None


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


class AISettingsIn(BaseModel):
    """Passed through to shared.ai.model_settings.save_account_ai_settings, which validates it."""

    model_config = ConfigDict(extra="allow")

    def as_config(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
