"""Corrections by hand of the content plan: rename, merge and delete clusters.

Every function takes the caller's account id: records are read by key in that account only, so
another account's ids are "not found" and never touched. Lists are Queries on an index (a
cluster's keywords, ideas, writer tasks and articles on each table's ``by_cluster``, a scope's
clusters on ``by_scope``), never Scans; bulk reads and writes go through the batch helpers of
``shared.db.repo``. A correction that touches a record claimed by a running job is refused
(``shared.engine.claims.ensure_free``: a 409 naming the job) before anything is written.

A merge recomputes the target's ``keywords_count`` and ``volume`` from its members (those it had,
read by a Query, and those moved in). Keywords are moved and deleted in
``shared.services.keyword_corrections``; ideas, tasks and articles deleted in
``shared.services.corrections_writer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from shared.db.base import iso_now
from shared.db.claim_tables import cluster_claim, scope_claim, task_claim
from shared.db.models import Cluster, Content, ContentIdea, Keyword, WriterTask, scope_ref
from shared.db.repo import batch_delete, batch_get, batch_save, get_one
from shared.domain.cluster_merge import combined_centroid, combined_samples
from shared.domain.clusters import cluster_name_ref, keywords_of_cluster
from shared.engine.claims import ensure_free
from shared.errors import NotFound, StateConflict

#: Sources of one merge.
MAX_MERGE_SOURCES = 50


def id_list(ids: Sequence[int], limit: int = 20) -> str:
    return ", ".join(str(i) for i in list(ids)[:limit]) + (" ..." if len(ids) > limit else "")


def same_scope(a: Cluster | Keyword, b: Cluster | Keyword) -> bool:
    return (int(a.site_id or 0), int(a.sector_id or 0)) == (int(b.site_id or 0), int(b.sector_id or 0))


def scope_text(record: Cluster | Keyword) -> str:
    return f"site {int(record.site_id or 0) or '-'} / sector {int(record.sector_id or 0) or '-'}"


def get_cluster_or_404(account_id: str, cluster_id: int) -> Cluster:
    cluster = get_one(Cluster, account_id, cluster_id)
    if cluster is None:
        raise NotFound(f"cluster {cluster_id} not found")
    return cluster


@dataclass
class ClusterWork:
    """The ideas, writer tasks and articles of some clusters (read consistently by key)."""

    ideas: list[ContentIdea] = field(default_factory=list)
    tasks: list[WriterTask] = field(default_factory=list)
    articles: list[Content] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ideas or self.tasks or self.articles)

    def describe(self) -> str:
        return (
            f"{len(self.ideas)} idea(s), {len(self.tasks)} writer task(s) and {len(self.articles)} article(s)"
        )

    def reassign(self, cluster_id: int | None, now: str) -> None:
        """Point every record at ``cluster_id`` (None: no cluster), in batches of puts."""
        for idea in self.ideas:
            idea.keyword_cluster_id = cluster_id
            idea.cluster_ref = f"{idea.account_id}#{cluster_id}" if cluster_id is not None else None
            idea.updated_at = now
        for task in self.tasks:
            task.cluster_id, task.updated_at = cluster_id, now
        for article in self.articles:
            article.cluster_id, article.updated_at = cluster_id, now
        batch_save([*self.ideas, *self.tasks, *self.articles])


def work_of(account_id: str, cluster_ids: Sequence[int]) -> ClusterWork:
    """The ideas, tasks and articles of the clusters: ids from each one's ``by_cluster`` index
    (the ideas' tasks too, and the tasks' articles), then the records by key, consistently."""
    refs = [f"{account_id}#{int(c)}" for c in cluster_ids]
    keys = ["account_id", "id"]
    idea_ids = {int(i.id) for r in refs for i in ContentIdea.by_cluster.query(r, attributes_to_get=keys)}
    ideas = batch_get(ContentIdea, account_id, sorted(idea_ids), consistent_read=True)
    task_ids = {int(t.id) for r in refs for t in WriterTask.by_cluster.query(r, attributes_to_get=keys)}
    task_ids |= {int(i.task_id) for i in ideas if i.task_id is not None}
    tasks = batch_get(WriterTask, account_id, sorted(task_ids), consistent_read=True)
    content_keys = ["account_id", "task_id"]
    article_ids = {
        int(c.task_id) for r in refs for c in Content.by_cluster.query(r, attributes_to_get=content_keys)
    }
    article_ids |= {int(t.id) for t in tasks}
    articles = batch_get(Content, account_id, sorted(article_ids), consistent_read=True)
    return ClusterWork(ideas, tasks, articles)


# ---------------------------------------------------------------- rename
def update_cluster(
    account_id: str,
    cluster_id: int,
    name: str,
    description: str | None = None,
    status: str | None = None,
) -> Cluster:
    """Rename a cluster (and optionally set its description and status), keeping ``name_ref`` in sync.

    The name is unique within the cluster's site/sector scope (case-insensitive, as get-or-create
    sees it): a name another cluster of the scope has is a 409 naming that cluster.
    """
    cluster = get_cluster_or_404(account_id, cluster_id)
    ensure_free(account_id, cluster_refs(cluster))
    name = name.strip()
    site_id = int(cluster.site_id) if cluster.site_id is not None else None
    sector_id = int(cluster.sector_id) if cluster.sector_id is not None else None
    ref = cluster_name_ref(account_id, site_id, sector_id, name)
    for other in Cluster.by_name.query(ref):
        if other.account_id == account_id and int(other.id) != cluster_id:
            raise StateConflict(
                f'cluster {int(other.id)} of this site/sector is already named "{name}": choose '
                f"another name, or merge the two (POST /v1/planner/clusters/merge/)"
            )
    actions: list[Action] = [
        Cluster.name.set(name),
        Cluster.name_ref.set(ref),
        Cluster.updated_at.set(iso_now()),
    ]
    if description is not None:
        actions.append(Cluster.description.set(description))
    if status is not None:
        actions.append(Cluster.status.set(status))
    try:
        cluster.update(actions=actions, condition=Cluster.id.exists())
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise NotFound(f"cluster {cluster_id} not found") from None
        raise
    return cluster


def cluster_refs(cluster: Cluster) -> list[str]:
    """The claim refs a change of ``cluster`` must find free: the cluster and its scope."""
    return [cluster_claim(int(cluster.id)), scope_claim(cluster.site_id, cluster.sector_id)]


# ---------------------------------------------------------------- merge
@dataclass
class MergeResult:
    target: Cluster
    merged: list[int]
    keywords_moved: int = 0
    ideas_moved: int = 0


def merge_clusters(account_id: str, source_ids: Sequence[int], target_id: int) -> MergeResult:
    """Merge clusters into ``target_id``: their keywords and ideas move to it, the sources are deleted.

    Ideas move with their cluster (their writer tasks and articles follow), so no idea is left
    pointing at a deleted cluster. The target's count and volume are recomputed from its members,
    its representative keywords and (when all share one embedding model) its centroid combine
    the sources', and clusters whose pillar was a source join the target's pillar.
    """
    sources_wanted = list(dict.fromkeys(int(i) for i in source_ids))
    if target_id in sources_wanted:
        raise StateConflict(f"cluster {target_id} is the target and cannot be one of source_ids too")
    found = {
        int(c.id): c
        for c in batch_get(Cluster, account_id, [target_id, *sources_wanted], consistent_read=True)
    }
    missing = [i for i in [target_id, *sources_wanted] if i not in found]
    if missing:
        raise NotFound(f"clusters not found in this account: {id_list(missing)}")
    target = found[target_id]
    sources = [found[i] for i in sources_wanted]
    elsewhere = [int(s.id) for s in sources if not same_scope(s, target)]
    if elsewhere:
        raise StateConflict(
            f"clusters {id_list(elsewhere)} are not in the target's {scope_text(target)}: only clusters "
            "of one site/sector can be merged"
        )
    refs = {ref for cluster in [target, *sources] for ref in cluster_refs(cluster)}
    work = work_of(account_id, sources_wanted)
    refs |= {task_claim(int(t.id)) for t in work.tasks}
    ensure_free(account_id, sorted(refs))

    now = iso_now()
    members = {int(k.id): k for k in keywords_of_cluster(account_id, target_id)}
    moved: list[Keyword] = []
    for source in sources:
        for keyword in keywords_of_cluster(account_id, int(source.id)):
            keyword.cluster_id, keyword.status, keyword.updated_at = target_id, "mapped", now
            moved.append(keyword)
            members[int(keyword.id)] = keyword
    batch_save(moved)
    work.reassign(target_id, now)

    source_set = set(sources_wanted)
    pillar = int(target.pillar_id) if target.pillar_id is not None else None
    hub = pillar if pillar is not None and pillar not in source_set else None
    rejoined = _repoint_pillars(target, source_set, hub if hub is not None else target_id, now)
    actions: list[Action] = [
        Cluster.keywords_count.set(len(members)),
        Cluster.volume.set(sum(k.volume for k in members.values())),
        Cluster.samples.set(combined_samples([target, *sources])),
        Cluster.updated_at.set(now),
    ]
    if (pillar is not None and pillar in source_set) or (hub is None and rejoined):
        # Its pillar was merged into it, or clusters now hang on it: it is a hub.
        actions.append(Cluster.pillar_id.set(target_id))
    centroid = combined_centroid(target, sources)
    if centroid is not None:
        actions += [Cluster.centroid.set(centroid[0]), Cluster.centroid_tag.set(centroid[1])]
    target.update(actions=actions)  # fields, not the record: a concurrent rename is kept
    batch_delete(Cluster, [(account_id, i) for i in sources_wanted])
    return MergeResult(target, sources_wanted, keywords_moved=len(moved), ideas_moved=len(work.ideas))


def _repoint_pillars(target: Cluster, old: set[int], hub: int, now: str) -> int:
    """Clusters of the target's scope whose pillar was one of ``old`` now have pillar ``hub``."""
    changed = 0
    scope = scope_ref(target.account_id, target.site_id, target.sector_id)
    for cluster in Cluster.by_scope.query(scope, attributes_to_get=["account_id", "id", "pillar_id"]):
        if cluster.pillar_id is None or int(cluster.pillar_id) not in old or int(cluster.id) in old:
            continue
        if int(cluster.id) == int(target.id):
            continue
        cluster.update(actions=[Cluster.pillar_id.set(hub), Cluster.updated_at.set(now)])
        changed += 1
    return changed


# ---------------------------------------------------------------- delete a cluster
@dataclass
class ClusterDeletion:
    cluster_id: int
    keywords_unclustered: int = 0
    ideas_detached: int = 0
    tasks_detached: int = 0
    articles_detached: int = 0


def delete_cluster(account_id: str, cluster_id: int, force: bool = False) -> ClusterDeletion:
    """Delete a cluster: its keywords become unclustered and ``active``.

    A cluster with ideas, writer tasks or articles is refused (409) unless ``force``: then they are
    kept without a cluster (written work is never deleted with a cluster). Clusters whose pillar
    it was lose their pillar.
    """
    cluster = get_cluster_or_404(account_id, cluster_id)
    work = work_of(account_id, [cluster_id])
    if work and not force:
        raise StateConflict(
            f"cluster {cluster_id} has {work.describe()}: delete them first, or add ?force=true "
            "to keep them without a cluster"
        )
    refs = [*cluster_refs(cluster), *(task_claim(int(t.id)) for t in work.tasks)]
    ensure_free(account_id, refs)
    now = iso_now()
    keywords = keywords_of_cluster(account_id, cluster_id)
    for keyword in keywords:
        keyword.cluster_id, keyword.status, keyword.updated_at = None, "active", now
    batch_save(keywords)
    work.reassign(None, now)
    scope = scope_ref(account_id, cluster.site_id, cluster.sector_id)
    for other in Cluster.by_scope.query(scope, attributes_to_get=["account_id", "id", "pillar_id"]):
        if other.pillar_id is not None and int(other.pillar_id) == cluster_id and int(other.id) != cluster_id:
            other.update(actions=[Cluster.pillar_id.remove(), Cluster.updated_at.set(now)])
    cluster.delete()
    return ClusterDeletion(
        cluster_id,
        keywords_unclustered=len(keywords),
        ideas_detached=len(work.ideas),
        tasks_detached=len(work.tasks),
        articles_detached=len(work.articles),
    )
