"""Every record the engine stores, one pynamodb model per table.

Each record belongs to one account: the account id is the hash key of every table (or the
first part of it), so a list read is always a Query scoped to the caller's account. The key
schema of each table is declared in template.yaml; the local stack creates the tables from
that declaration, and these models only name the attributes and indexes they use.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from shared.db.base import BaseModel, CompressedJSONAttribute, iso_now


# ---------------------------------------------------------------- accounts and access
class Account(BaseModel):
    table_suffix = "accounts"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    plan = UnicodeAttribute(default="standard")
    credits = NumberAttribute(default=0)
    monthly_budget_usd = NumberAttribute(null=True)
    max_clusters = NumberAttribute(null=True)  # plan limit; None = unlimited
    created_at = UnicodeAttribute(default_for_new=iso_now)


class ApiKey(BaseModel):
    """An API key, stored only as its SHA-256 hash, bound to exactly one account."""

    table_suffix = "api-keys"

    class Meta:
        table_name = "unbound"

    key_hash = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    label = UnicodeAttribute(default="default")
    created_at = UnicodeAttribute(default_for_new=iso_now)


class Site(BaseModel):
    table_suffix = "sites"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    domain = UnicodeAttribute(null=True)


class Sector(BaseModel):
    table_suffix = "sectors"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    site_id = NumberAttribute()
    name = UnicodeAttribute()


# ---------------------------------------------------------------- planner
class SeedKeyword(BaseModel):
    """The keyword as a research tool reports it: text, volume, difficulty, intent.

    Keyed by its normalised text, so bulk imports find existing ones with one BatchGet.
    ``keyword_ids`` maps ``"{site_id}:{sector_id}"`` to the account's Keyword row there.
    """

    table_suffix = "seed-keywords"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    keyword_norm = UnicodeAttribute(range_key=True)
    id = NumberAttribute()
    keyword = UnicodeAttribute()
    volume = NumberAttribute(default=0)
    difficulty = NumberAttribute(default=0)
    intent = UnicodeAttribute(default="informational")
    cpc = NumberAttribute(null=True)
    keyword_ids = JSONAttribute(default=dict)


class KeywordByCluster(GlobalSecondaryIndex["Keyword"]):
    """Sparse index: only mapped keywords carry ``cluster_ref`` (``{account}#{cluster_id}``)."""

    class Meta:
        index_name = "by_cluster"
        projection = AllProjection()

    cluster_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class Keyword(BaseModel):
    """An account's keyword in a site/sector; text and metrics come from its seed keyword."""

    table_suffix = "keywords"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    seed_keyword_id = NumberAttribute()
    # Denormalised copies of the seed keyword, so listing keywords needs no join.
    keyword = UnicodeAttribute()
    seed_volume = NumberAttribute(default=0)
    seed_difficulty = NumberAttribute(default=0)
    intent = UnicodeAttribute(default="informational")
    volume_override = NumberAttribute(null=True)
    difficulty_override = NumberAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    cluster_id = NumberAttribute(null=True)
    cluster_ref = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # active | pending | mapped | archived
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_cluster = KeywordByCluster()

    @property
    def volume(self) -> int:
        return int(self.volume_override if self.volume_override is not None else self.seed_volume or 0)

    @property
    def difficulty(self) -> int:
        value = self.difficulty_override if self.difficulty_override is not None else self.seed_difficulty
        return int(value or 0)


class ClusterByName(GlobalSecondaryIndex["Cluster"]):
    class Meta:
        index_name = "by_name"
        projection = KeysOnlyProjection()

    name_ref = UnicodeAttribute(hash_key=True)


class Cluster(BaseModel):
    table_suffix = "clusters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    name_ref = UnicodeAttribute()  # {account}#{site}#{sector}#{lower(name)}: get-or-create key
    description = UnicodeAttribute(default="")
    keywords_count = NumberAttribute(default=0)
    volume = NumberAttribute(default=0)
    status = UnicodeAttribute(default="active")
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_name = ClusterByName()


class IdeaByCluster(GlobalSecondaryIndex["ContentIdea"]):
    class Meta:
        index_name = "by_cluster"
        projection = AllProjection()

    cluster_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class ContentIdea(BaseModel):
    table_suffix = "ideas"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    idea_title = UnicodeAttribute()
    description = UnicodeAttribute(default="")  # JSON text when the outline is structured
    content_type = UnicodeAttribute(default="blog_post")
    content_structure = UnicodeAttribute(default="supporting_page")
    target_keywords = UnicodeAttribute(default="")
    keyword_cluster_id = NumberAttribute(null=True)
    cluster_ref = UnicodeAttribute(null=True)
    estimated_word_count = NumberAttribute(default=1500)
    status = UnicodeAttribute(default="new")  # new | scheduled | published
    task_id = NumberAttribute(null=True)  # the writer task made from this idea (one per idea)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_cluster = IdeaByCluster()


# ---------------------------------------------------------------- writer
class WriterTask(BaseModel):
    table_suffix = "tasks"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    keywords = UnicodeAttribute(default="")
    cluster_id = NumberAttribute(null=True)
    idea_id = NumberAttribute(null=True)
    content_structure = UnicodeAttribute(default="supporting_page")
    content_type = UnicodeAttribute(default="blog_post")
    status = UnicodeAttribute(default="queued")  # queued -> completed | failed (a failed task may be re-run)
    meta_title = UnicodeAttribute(null=True)
    meta_description = UnicodeAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class Content(BaseModel):
    """The article of one writer task (one-to-one: keyed by the task id)."""

    table_suffix = "content"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    task_id = NumberAttribute(range_key=True)
    html_content = CompressedJSONAttribute(null=True)
    word_count = NumberAttribute(default=0)
    title = UnicodeAttribute(null=True)
    meta_title = UnicodeAttribute(null=True)
    meta_description = UnicodeAttribute(null=True)
    primary_keyword = UnicodeAttribute(null=True)
    secondary_keywords = JSONAttribute(default=list)
    tags = JSONAttribute(default=list)
    categories = JSONAttribute(default=list)
    status = UnicodeAttribute(default="draft")  # draft | review | published
    metadata = JSONAttribute(default=dict)
    cluster_id = NumberAttribute(null=True)
    idea_id = NumberAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)


# ---------------------------------------------------------------- engine
class Job(BaseModel):
    """One AI job: what the API returns for GET /v1/jobs/{task_id}."""

    table_suffix = "jobs"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute(range_key=True)
    function_name = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | running | completed | failed
    phase = UnicodeAttribute(default="QUEUED")
    progress = NumberAttribute(default=0)
    message = UnicodeAttribute(default="Queued")
    mode = UnicodeAttribute(default="async")  # async (Step Functions) | sync (in process)
    payload = JSONAttribute(default=dict)
    result = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    error_type = UnicodeAttribute(null=True)
    history: ListAttribute[Any] = ListAttribute(default=list)  # [{phase, progress, message, at}]
    items_total = NumberAttribute(default=0)
    items_done = NumberAttribute(default=0)
    items_failed = NumberAttribute(default=0)
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost = NumberAttribute(default=0)
    credits = NumberAttribute(default=0)
    model = UnicodeAttribute(null=True)
    offline = BooleanAttribute(default=False)
    usage = JSONAttribute(null=True)  # token usage and cost per phase and model (set at DONE/failure)
    execution_arn = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)

    @property
    def tokens(self) -> int:
        return int(self.input_tokens or 0) + int(self.output_tokens or 0)


class JobItem(BaseModel):
    """One unit of AI work in a job; prompt, answer and parsed result live here, not in state."""

    table_suffix = "job-items"

    class Meta:
        table_name = "unbound"

    job_ref = UnicodeAttribute(hash_key=True)  # {account}#{task_id}
    item = UnicodeAttribute(range_key=True)
    position = NumberAttribute(default=0)
    status = UnicodeAttribute(default="pending")  # pending | ai_done | parsed | saved | failed
    phase = UnicodeAttribute(default="AI_CALL")  # the item phase running or last run
    data = CompressedJSONAttribute(null=True)
    prompt = CompressedJSONAttribute(null=True)
    response = CompressedJSONAttribute(null=True)
    parsed = CompressedJSONAttribute(null=True)
    result = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    error_type = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    finish_reason = UnicodeAttribute(null=True)
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost = NumberAttribute(default=0)
    offline = BooleanAttribute(default=False)
    usage = JSONAttribute(default=list)  # one record per provider answer: phase, model, tokens, cost
    request_steps = JSONAttribute(default=list)
    response_steps = JSONAttribute(default=list)
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class AITaskLog(BaseModel):
    """The seed's AITaskLog: one row per job run, written on success and on failure."""

    table_suffix = "task-logs"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute(range_key=True)
    function_name = UnicodeAttribute()
    phase = UnicodeAttribute()
    message = UnicodeAttribute(default="")
    status = UnicodeAttribute()  # success | error
    duration = NumberAttribute(default=0)  # seconds
    cost = NumberAttribute(default=0)
    tokens = NumberAttribute(default=0)
    credits = NumberAttribute(default=0)
    request_steps = JSONAttribute(default=list)
    response_steps = JSONAttribute(default=list)
    error = UnicodeAttribute(null=True)
    payload = JSONAttribute(default=dict)
    result = JSONAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    expires_at = TTLAttribute(null=True)


class AIPrompt(BaseModel):
    """An account's own prompt for one function (level 2 of prompt resolution)."""

    table_suffix = "prompts"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    function_name = UnicodeAttribute(range_key=True)
    prompt_value = UnicodeAttribute()
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class IntegrationSettings(BaseModel):
    """The seed's IntegrationSettings: per-account provider and model configuration."""

    table_suffix = "integration-settings"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    integration_type = UnicodeAttribute(range_key=True)  # "openai"
    config = JSONAttribute(default=dict)
    is_active = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute(default_for_new=iso_now)


class CreditEntry(BaseModel):
    """Credits ledger: one conditional put per (job, item) so a charge happens exactly once."""

    table_suffix = "credit-ledger"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # {task_id}#{item}
    function_name = UnicodeAttribute()
    credits = NumberAttribute()
    cost = NumberAttribute(default=0)
    created_at = UnicodeAttribute(default_for_new=iso_now)


# ---------------------------------------------------------------- counters table (besides Counter)
class MonthlySpend(BaseModel):
    """An account's spend in one calendar month (UTC): ``{account_id, "spend#YYYY-MM"}``."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    month = UnicodeAttribute(null=True)
    cost = NumberAttribute(default=0)  # USD, every provider answer
    credits = NumberAttribute(default=0)  # charged at SAVE
    calls = NumberAttribute(default=0)


class AISlots(BaseModel):
    """The leases of one account's provider calls in flight."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    leases = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)
