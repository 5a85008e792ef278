"""Tables of the writer: writer tasks and their articles."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from shared.db.base import CompressedJSONAttribute, iso_now
from shared.db.derived import DerivedKeysModel, ref

TaskStatus = Literal["queued", "completed", "failed"]
ContentStatus = Literal["draft", "review", "published"]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
CONTENT_STATUSES: tuple[str, ...] = get_args(ContentStatus)


class TaskByStatus(GlobalSecondaryIndex["WriterTask"]):
    """Writer tasks of one status (``{account}#{status}``): lists, and the queued tasks of
    generate_content's scheduled batches."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class TaskByCluster(GlobalSecondaryIndex["WriterTask"]):
    """Sparse index: writer tasks of one cluster (``{account}#{cluster_id}``)."""

    class Meta:
        index_name = "by_cluster"
        projection = AllProjection()

    cluster_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class TaskByClusterStatus(GlobalSecondaryIndex["WriterTask"]):
    """Writer tasks of one status for one cluster (``{account}#{cluster_id}#{status}``)."""

    class Meta:
        index_name = "by_cluster_status"
        projection = AllProjection()

    cluster_status_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class WriterTask(DerivedKeysModel):
    """A writer task (one per idea). Index keys: ``shared.db.derived``."""

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
    status_ref = UnicodeAttribute(null=True)
    cluster_ref = UnicodeAttribute(null=True)
    cluster_status_ref = UnicodeAttribute(null=True)
    meta_title = UnicodeAttribute(null=True)
    meta_description = UnicodeAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_status = TaskByStatus()
    by_cluster = TaskByCluster()
    by_cluster_status = TaskByClusterStatus()

    derived_keys = {
        "status_ref": ("status",),
        "cluster_ref": ("cluster_id",),
        "cluster_status_ref": ("cluster_id", "status"),
    }

    def derive_keys(self) -> dict[str, Any]:
        account = self.account_id
        return {
            "status_ref": ref(account, self.status),
            "cluster_ref": ref(account, self.cluster_id),
            "cluster_status_ref": ref(account, self.cluster_id, self.status),
        }


class ContentByStatus(GlobalSecondaryIndex["Content"]):
    """Articles of one status (``{account}#{status}``)."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_ref = UnicodeAttribute(hash_key=True)
    task_id = NumberAttribute(range_key=True)


class ContentByCluster(GlobalSecondaryIndex["Content"]):
    """Sparse index: articles of one cluster (``{account}#{cluster_id}``)."""

    class Meta:
        index_name = "by_cluster"
        projection = AllProjection()

    cluster_ref = UnicodeAttribute(hash_key=True)
    task_id = NumberAttribute(range_key=True)


class ContentByClusterStatus(GlobalSecondaryIndex["Content"]):
    """Articles of one status for one cluster (``{account}#{cluster_id}#{status}``)."""

    class Meta:
        index_name = "by_cluster_status"
        projection = AllProjection()

    cluster_status_ref = UnicodeAttribute(hash_key=True)
    task_id = NumberAttribute(range_key=True)


class Content(DerivedKeysModel):
    """The article of one writer task (one-to-one: keyed by the task id). Index keys:
    ``shared.db.derived``."""

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
    status = UnicodeAttribute(default="draft")  # ContentStatus
    status_ref = UnicodeAttribute(null=True)
    cluster_ref = UnicodeAttribute(null=True)
    cluster_status_ref = UnicodeAttribute(null=True)
    metadata = JSONAttribute(default=dict)
    # The on-page checks at SAVE: {score, checks: {name: bool}, details} (shared.domain.seo_checks).
    seo = JSONAttribute(null=True)
    # The article's language (its site's), slug and planned URL, the internal links it holds, and
    # its JSON-LD (Article, and FAQPage for a question-and-answer part).
    lang = UnicodeAttribute(null=True)
    slug = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    links = JSONAttribute(null=True)
    structured_data = JSONAttribute(null=True)
    # WordPress: the draft post made from the article, its link, when; a publish's lease (epoch s).
    wp_post_id = NumberAttribute(null=True)
    wp_link = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    publish_lease = NumberAttribute(null=True)
    cluster_id = NumberAttribute(null=True)
    idea_id = NumberAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_status = ContentByStatus()
    by_cluster = ContentByCluster()
    by_cluster_status = ContentByClusterStatus()

    derived_keys = {
        "status_ref": ("status",),
        "cluster_ref": ("cluster_id",),
        "cluster_status_ref": ("cluster_id", "status"),
    }

    def derive_keys(self) -> dict[str, Any]:
        account = self.account_id
        return {
            "status_ref": ref(account, self.status),
            "cluster_ref": ref(account, self.cluster_id),
            "cluster_status_ref": ref(account, self.cluster_id, self.status),
        }
