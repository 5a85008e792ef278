"""Tables of the writer: writer tasks and their articles."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.db.base import BaseModel, CompressedJSONAttribute, iso_now


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
    # The on-page checks at SAVE: {score, checks: {name: bool}, details} (shared.domain.seo_checks).
    seo = JSONAttribute(null=True)
    cluster_id = NumberAttribute(null=True)
    idea_id = NumberAttribute(null=True)
    site_id = NumberAttribute(null=True)
    sector_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
