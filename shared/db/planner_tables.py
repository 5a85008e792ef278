"""Tables of the content plan: seed keywords, keywords, clusters and ideas."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from shared.db.base import BaseModel, iso_now


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
