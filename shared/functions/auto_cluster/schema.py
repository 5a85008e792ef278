"""The answer model of auto_cluster (seed §2.5): its JSON schema goes to the provider, PARSE validates with it."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.ai.schemas import Name, ResponseModel, StrList


class ClusterAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name = Field(description="Short descriptive topic name, 2-5 words")
    description: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = Field(
        default="", description="One sentence describing the cluster"
    )
    keywords: StrList = Field(
        default_factory=list, description="Keywords of the cluster, copied exactly as given"
    )


class ClusteringResponse(ResponseModel):
    """{"clusters": [{"name", "description", "keywords": [...]}]}; a bare list is accepted (seed)."""

    schema_name: ClassVar[str] = "clustering_response"
    schema_description: ClassVar[str] = "Keyword clusters: each with a name, a description and its keywords"
    label: ClassVar[str] = "clustering"

    clusters: list[ClusterAnswer]

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"clusters": data} if isinstance(data, list) else data


class ClusterName(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    name: Name = Field(description="Short descriptive topic name, 2-5 words")
    description: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = Field(
        default="", description="One sentence describing the cluster"
    )


class NamingResponse(ResponseModel):
    """{"clusters": [{"id", "name", "description"}]}: names for the clusters of one naming call."""

    schema_name: ClassVar[str] = "cluster_naming_response"
    schema_description: ClassVar[str] = "A name and a description for each given cluster id"
    label: ClassVar[str] = "cluster naming"

    clusters: list[ClusterName]
