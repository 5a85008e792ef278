"""Request bodies of the API (pydantic, strict where lax coercion would be wrong)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict

from shared.services.ai_settings import MAX_MAX_TOKENS, MIN_MAX_TOKENS
from shared.services.keywords import INTENTS


def _integral(value: Any) -> Any:
    """JSON has one number type: ``5.0`` is the integer 5 (as JSON Schema says); ``5.5``, ``"5"``
    and ``true`` stay refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_WHOLE = BeforeValidator(_integral)
Id = Annotated[StrictInt, Field(gt=0, le=2**53 - 1), _WHOLE]
#: Text with at least one non-space character (the pattern documents the strip).
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    Field(json_schema_extra={"pattern": r"\S"}),
]
UNIQUE: JsonDict = {"uniqueItems": True}
#: Search volumes up to a trillion; cost per click up to a million, with at most 4 decimals.
MAX_VOLUME = 10**12
MAX_CPC = 1_000_000
CPC_DECIMALS = 4
Volume = Annotated[StrictInt, Field(ge=0, le=MAX_VOLUME), _WHOLE]
Cpc = Annotated[
    StrictFloat,
    Field(
        ge=0,
        le=MAX_CPC,
        allow_inf_nan=False,
        description=f"0, or {10**-CPC_DECIMALS:g} to {MAX_CPC:g}; stored rounded to {CPC_DECIMALS} decimals",
        json_schema_extra={"not": {"exclusiveMinimum": 0, "exclusiveMaximum": 10**-CPC_DECIMALS}},
    ),
]
INTENT_CHOICES = ("informational", "navigational", "commercial", "transactional")


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in word)


#: ``known_intent`` as a pattern (for the document): empty, or a part starting with a known prefix.
INTENT_PATTERN = rf"^\s*$|^(.*[,/])?\s*({'|'.join(_any_case(i[:4]) for i in INTENTS)})"


def known_intent(raw: str) -> bool:
    """An intent the import understands: a known one (any case, or its first four letters, as
    keyword tools write them), or a list of them like "Commercial, Transactional"."""
    parts = [p.strip().lower() for p in raw.replace("/", ",").split(",")]
    return any(part.startswith(intent[:4]) for part in parts for intent in INTENTS)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdsRequest(Body):
    ids: list[Id] = Field(min_length=1, max_length=10_000, description="Record ids", json_schema_extra=UNIQUE)

    @field_validator("ids")
    @classmethod
    def _unique(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("ids contains duplicates")
        return ids


class AutoClusterRequest(Body):
    """Keywords by ``ids`` (the seed's form) or by a selection; the strategy and granularity."""

    model_config = ConfigDict(
        json_schema_extra={
            # At least one selection (the model validator below): ids, sector_id, site_id or unclustered.
            "anyOf": [
                {"required": ["ids"], "properties": {"ids": {"type": "array"}}},
                {"required": ["sector_id"], "properties": {"sector_id": {"type": "integer"}}},
                {"required": ["site_id"], "properties": {"site_id": {"type": "integer"}}},
                {"required": ["unclustered"], "properties": {"unclustered": {"const": True}}},
            ],
            "examples": [{"ids": [1, 2, 3]}, {"sector_id": 4, "unclustered": True, "strategy": "semantic"}],
        }
    )

    ids: list[Id] | None = Field(
        default=None, min_length=1, max_length=10_000, description="Keyword ids", json_schema_extra=UNIQUE
    )
    sector_id: Id | None = Field(default=None, description="Cluster this sector's keywords")
    site_id: Id | None = Field(default=None, description="Cluster this site's keywords")
    unclustered: StrictBool | None = Field(default=None, description="Only keywords without a cluster")
    strategy: Literal["auto", "prompt", "semantic"] | None = Field(
        default=None,
        description="auto (default): the seed's prompt for a few hundred keywords, semantic above",
    )
    threshold: Annotated[StrictFloat, Field(ge=0.05, le=0.95, allow_inf_nan=False)] | None = Field(
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"keyword": "cold brew ratio", "volume": 1900, "difficulty": 22, "intent": "informational"},
                {
                    "keyword": "burr grinder",
                    "volume": 4400,
                    "intent": "Commercial, Transactional",
                    "cpc": 1.25,
                },
            ]
        }
    )

    keyword: Text
    volume: Volume = 0
    difficulty: Annotated[StrictInt, Field(ge=0, le=100), _WHOLE] = 0
    intent: (
        Annotated[
            str,
            StringConstraints(max_length=60),
            Field(
                description=f"One of {', '.join(INTENT_CHOICES)} (any case, or its first 4 letters; "
                "a list like 'Commercial, Transactional' keeps the first known one)",
                json_schema_extra={"pattern": INTENT_PATTERN},
            ),
        ]
        | None
    ) = None
    cpc: Cpc | None = None
    volume_override: Volume | None = None
    difficulty_override: Annotated[StrictInt, Field(ge=0, le=100), _WHOLE] | None = None

    @field_validator("intent")
    @classmethod
    def _intent(cls, intent: str | None) -> str | None:
        if intent and intent.strip() and not known_intent(intent):
            raise ValueError(f"unknown intent: use one of {', '.join(INTENT_CHOICES)}")
        return intent

    @field_validator("cpc")
    @classmethod
    def _cpc(cls, cpc: float | None) -> float | None:
        if cpc is None:
            return None
        if 0 < cpc < 10**-CPC_DECIMALS:
            raise ValueError(f"cpc must be 0 or at least {10**-CPC_DECIMALS:g}")
        return round(cpc, CPC_DECIMALS)


class CreateKeywordsRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "keywords": [
                        {"keyword": "cold brew ratio", "volume": 1900, "difficulty": 22},
                        {"keyword": "how to make cold brew", "volume": 5400, "intent": "informational"},
                    ]
                }
            ]
        }
    )

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
    temperature: Annotated[StrictFloat, Field(ge=0, le=2, allow_inf_nan=False)] | None = None
    max_tokens: Annotated[StrictInt, Field(ge=MIN_MAX_TOKENS, le=MAX_MAX_TOKENS), _WHOLE] | None = None
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
    max_concurrency: Annotated[StrictInt, Field(ge=1, le=20), _WHOLE] | None = None
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    embedding_dimensions: Annotated[StrictInt, Field(ge=1, le=8192), _WHOLE] | None = None

    def as_patch(self) -> dict[str, Any]:
        """Only the settings the request sent (null included: it removes a setting)."""
        return self.model_dump(exclude_unset=True)
