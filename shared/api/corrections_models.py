"""Request bodies of the corrections: rename and merge clusters, move and delete keywords."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from shared.api.models import UNIQUE, Body, Id
from shared.db.planner_tables import ClusterStatus
from shared.services.corrections import MAX_MERGE_SOURCES
from shared.services.keyword_corrections import MAX_KEYWORDS_PER_REQUEST

#: A cluster name: at least one non-space character, as long as the clustering names them.
ClusterName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(json_schema_extra={"pattern": r"\S"}),
]


def _no_duplicates(ids: list[int], name: str) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name} contains duplicates")
    return ids


class ClusterPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Cold brew ratios", "description": "Water to coffee"}]}
    )

    name: ClusterName = Field(description="Unique (case-insensitive) within the cluster's site/sector")
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    status: ClusterStatus | None = None


class MergeClustersRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"source_ids": [4, 7], "target_id": 3}]})

    source_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_MERGE_SOURCES,
        description="Clusters merged into the target and then deleted (not the target itself)",
        json_schema_extra=UNIQUE,
    )
    target_id: Id = Field(description="The cluster that receives the sources' keywords and ideas")

    @field_validator("source_ids")
    @classmethod
    def _unique(cls, ids: list[int]) -> list[int]:
        return _no_duplicates(ids, "source_ids")


class KeywordIds(Body):
    ids: list[Id] = Field(
        min_length=1, max_length=MAX_KEYWORDS_PER_REQUEST, description="Keyword ids", json_schema_extra=UNIQUE
    )

    @field_validator("ids")
    @classmethod
    def _unique(cls, ids: list[int]) -> list[int]:
        return _no_duplicates(ids, "ids")


class MoveKeywordsRequest(KeywordIds):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ids": [11, 12], "cluster_id": 3}, {"ids": [13], "cluster_id": None}]
        }
    )

    cluster_id: Id | None = Field(description="The cluster to move them to; null: out of any cluster")
