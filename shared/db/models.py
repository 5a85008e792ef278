"""Every record the engine stores: the one import point of the pynamodb models.

Each record belongs to one account: the account id is the hash key of every table (or the
first part of it), so a list read is always a Query scoped to the caller's account. The key
schema of each table is declared in template.yaml; the local stack creates the tables from
that declaration, and the models only name the attributes and indexes they use. The models
live by table family in ``accounts_tables``, ``planner_tables``, ``writer_tables``,
``engine_tables``, ``counter_tables`` and ``claim_tables``; import them from here.
"""

from __future__ import annotations

from shared.db.accounts_tables import (
    Account,
    AIPrompt,
    ApiKey,
    CreditEntry,
    IntegrationSettings,
    Sector,
    Site,
)
from shared.db.claim_tables import Claim, JobClaims
from shared.db.counter_tables import AISlots, Counter, MonthlySpend
from shared.db.engine_tables import AITaskLog, Job, JobItem, StageBlob
from shared.db.planner_tables import (
    Cluster,
    ClusterByName,
    ContentIdea,
    IdeaByCluster,
    Keyword,
    KeywordByCluster,
    SeedKeyword,
    scope_ref,
)
from shared.db.writer_tables import Content, WriterTask

__all__ = [
    "AIPrompt",
    "AISlots",
    "AITaskLog",
    "Account",
    "ApiKey",
    "Claim",
    "Cluster",
    "ClusterByName",
    "Content",
    "ContentIdea",
    "Counter",
    "CreditEntry",
    "IdeaByCluster",
    "IntegrationSettings",
    "Job",
    "JobClaims",
    "JobItem",
    "Keyword",
    "KeywordByCluster",
    "MonthlySpend",
    "Sector",
    "SeedKeyword",
    "StageBlob",
    "Site",
    "WriterTask",
    "scope_ref",
]
