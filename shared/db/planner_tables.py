"""Tables of the content plan: seed keywords, keywords, clusters and ideas."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
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


class KeywordBySector(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one sector (``{account}#{sector_id}``), for selections and filtered lists."""

    class Meta:
        index_name = "by_sector"
        projection = AllProjection()

    sector_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordBySite(GlobalSecondaryIndex["Keyword"]):
    """Keywords of one site (``{account}#{site_id}``)."""

    class Meta:
        index_name = "by_site"
        projection = AllProjection()

    site_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class KeywordUnclustered(GlobalSecondaryIndex["Keyword"]):
    """Sparse index: only keywords without a cluster carry ``unclustered_ref`` (the account id)."""

    class Meta:
        index_name = "unclustered"
        projection = AllProjection()

    unclustered_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class Keyword(BaseModel):
    """An account's keyword in a site/sector; text and metrics come from its seed keyword.

    The index keys (``sector_ref``, ``site_ref``, ``unclustered_ref``, ``cluster_ref``) are derived
    from the record on every write (``serialize``), so they can never disagree with it. The
    keyword's embedding (``embedding``: float16 bytes, ``embedding_tag``: model#dimensions) is
    kept on the row: a re-run or a new clustering of the same keywords embeds nothing again.
    """

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
    sector_ref = UnicodeAttribute(null=True)
    site_ref = UnicodeAttribute(null=True)
    unclustered_ref = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # active | pending | mapped | archived
    # True when the seed keyword already existed at import (the text is in another site/sector
    # too): only then can another row hold a reusable embedding.
    seed_shared = BooleanAttribute(default=False)
    embedding = BinaryAttribute(null=True, legacy_encoding=False)
    embedding_tag = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_cluster = KeywordByCluster()
    by_sector = KeywordBySector()
    by_site = KeywordBySite()
    unclustered = KeywordUnclustered()

    def sync_refs(self) -> None:
        """Derive the index keys from the record."""
        account = self.account_id
        self.cluster_ref = f"{account}#{int(self.cluster_id)}" if self.cluster_id is not None else None
        self.sector_ref = f"{account}#{int(self.sector_id)}" if self.sector_id is not None else None
        self.site_ref = f"{account}#{int(self.site_id)}" if self.site_id is not None else None
        self.unclustered_ref = account if self.cluster_id is None else None

    def serialize(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.sync_refs()
        return super().serialize(*args, **kwargs)  # type: ignore[no-any-return]

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


class ClusterByScope(GlobalSecondaryIndex["Cluster"]):
    """Clusters of one site/sector scope (``{account}#{site_id or 0}#{sector_id or 0}``)."""

    class Meta:
        index_name = "by_scope"
        projection = AllProjection()

    scope_ref = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class Cluster(BaseModel):
    """A topic cluster. ``pillar_id`` is the id of the hub cluster of its pillar topic (itself for a
    hub); ``centroid`` (float16 bytes, ``centroid_tag``) lets later keywords join the nearest
    cluster; ``samples`` are its representative keywords (highest volume, most central)."""

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
    scope_ref = UnicodeAttribute(null=True)
    pillar_id = NumberAttribute(null=True)
    centroid = BinaryAttribute(null=True, legacy_encoding=False)
    centroid_tag = UnicodeAttribute(null=True)
    samples = JSONAttribute(default=list)
    created_at = UnicodeAttribute(default_for_new=iso_now)
    updated_at = UnicodeAttribute(default_for_new=iso_now)
    by_name = ClusterByName()
    by_scope = ClusterByScope()

    def serialize(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.scope_ref = scope_ref(self.account_id, self.site_id, self.sector_id)
        return super().serialize(*args, **kwargs)  # type: ignore[no-any-return]


def scope_ref(account_id: str, site_id: float | None, sector_id: float | None) -> str:
    """The key of a site/sector scope: clusters are unique by name within one."""
    return f"{account_id}#{int(site_id or 0)}#{int(sector_id or 0)}"


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
