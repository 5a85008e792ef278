"""generate_ideas: content ideas (outlines) for keyword clusters (seed §3).

One AI call for the whole batch (at most 10 clusters). Each idea is matched to its cluster by
``cluster_id``, then by ``cluster_name``, then by position, and stored as a ``ContentIdea``
with status ``new``; a structured description (the outline) is stored as JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from shared.ai import validators
from shared.ai.ai_core import extract_json
from shared.ai.prompts import data_block
from shared.ai.tracker import StepTracker
from shared.db.base import iso_now
from shared.db.claim_tables import CLUSTER
from shared.db.derived import index_key
from shared.db.models import Account, Cluster, ContentIdea, Site, scope_ref
from shared.db.repo import allocate_ids, batch_get, save_all
from shared.domain.clusters import keywords_of_cluster
from shared.domain.internal_links import slugify, unique_slug
from shared.domain.languages import language_name
from shared.domain.outline import join_list
from shared.errors import AIResponseInvalid, InputInvalid
from shared.functions.base import BaseAIFunction, ProgressReporter
from shared.functions.generate_ideas.offline import write_ideas
from shared.functions.generate_ideas.prompt import DEFAULT_PROMPT, PROMPT_TYPE

MAX_CLUSTERS = 10
DEFAULT_CONTENT_TYPE = "blog_post"
DEFAULT_CONTENT_STRUCTURE = "supporting_page"
DEFAULT_WORD_COUNT = 1500
TITLE_LIMIT = 300


def _norm(text: Any) -> str:
    return " ".join(str(text or "").lower().split())


def _as_int(value: Any) -> int | None:
    """An int from an int or a digit string (the model sometimes quotes numbers); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def description_text(description: Any) -> str:
    """The seed's rule: a dict (structured outline) becomes JSON text, anything else a string."""
    if description is None:
        return ""
    if isinstance(description, dict | list):
        return json.dumps(description, ensure_ascii=False)
    return description if isinstance(description, str) else str(description)


def _titles_of_clusters(
    account_id: str, cluster_ids: set[int], exclude: set[int]
) -> tuple[set[tuple[int, str]], set[str]]:
    """``(cluster id, normalised title)`` of the clusters' stored ideas, and their slugs (one
    index Query per cluster)."""
    taken: set[tuple[int, str]] = set()
    slugs: set[str] = set()
    for cluster_id in cluster_ids:
        for idea in ContentIdea.by_cluster.query(f"{account_id}#{cluster_id}"):
            if idea.account_id == account_id and int(idea.id) not in exclude:
                taken.add((cluster_id, _norm(idea.idea_title)))
                if idea.slug:
                    slugs.add(idea.slug)
    return taken, slugs


def _pillar_members(account_id: str, clusters: list[Cluster]) -> dict[int, list[str]]:
    """For each requested cluster that is the hub of a pillar: the names of the pillar's other clusters."""
    members: dict[int, list[str]] = {}
    for hub in clusters:
        if hub.pillar_id is None or int(hub.pillar_id) != int(hub.id):
            continue
        scope = scope_ref(account_id, hub.site_id, hub.sector_id)
        names = [
            c.name
            for c in Cluster.by_scope.query(scope, filter_condition=Cluster.pillar_id == int(hub.id))
            if int(c.id) != int(hub.id)
        ]
        if names:
            members[int(hub.id)] = names[:12]
    return members


def cluster_has_ideas(account_id: str, cluster_id: int) -> bool:
    """Whether an idea of the cluster is stored (one Query of the ideas' ``by_cluster`` index)."""
    ideas = ContentIdea.by_cluster.query(index_key(account_id, cluster_id), limit=1)
    return next(iter(ideas), None) is not None


class GenerateIdeasFunction(BaseAIFunction):
    name = "generate_ideas"
    display_name = "Generate Ideas"
    description = "Content ideas with outlines for keyword clusters"
    model_defaults = {"max_tokens": 6000, "temperature": 0.7, "response_format": "json_object"}
    prompt_type = PROMPT_TYPE
    default_prompt = DEFAULT_PROMPT
    answer_model = "shared.functions.generate_ideas.schema:IdeasResponse"
    item_label = "clusters"
    max_items = MAX_CLUSTERS
    batch_selector = "clusters_without_ideas"
    prompt_tokens = (700, 300)
    records_per_credit = 1  # one credit per cluster
    claim_kind = CLUSTER  # a job claims its clusters while it runs

    def records_saved(self, data: dict[str, Any], result: dict[str, Any]) -> int:
        return len(data.get("cluster_data") or [])

    def select_batch(self, account_id: str, limit: int) -> list[int]:
        """Active clusters that have no idea yet, by id: a Query of the sparse ``needs_ideas``
        index, each candidate checked by one Query of the ideas' ``by_cluster`` index; a cluster
        still marked although it has ideas loses its mark (``has_ideas``) here."""
        selected: list[int] = []
        for cluster in Cluster.needs_ideas.query(account_id, page_size=min(max(limit, 10), 500)):
            if cluster_has_ideas(account_id, int(cluster.id)):
                cluster.update(actions=[Cluster.has_ideas.set(True)])
                continue
            selected.append(int(cluster.id))
            if len(selected) >= limit:
                break
        return selected

    # ------------------------------------------------------------ INIT
    def validate_records(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        # The seed checks the first cluster only; every cluster of the request is checked here.
        result = validators.validate_clusters_exist(payload["ids"], account.account_id)
        if not result["valid"]:
            return result
        # Plan limits: off unless the account has ``max_clusters`` set.
        return validators.validate_cluster_limits(account)

    def init_message(self, payload: dict[str, Any], validation: dict[str, Any]) -> str:
        return "Verifying cluster integrity"

    # ------------------------------------------------------------ PREP
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        clusters = batch_get(Cluster, account.account_id, payload["ids"])
        if not clusters:
            raise InputInvalid("none of the clusters exist in this account")
        cluster_data = []
        pillars = _pillar_members(account.account_id, clusters)
        for cluster in clusters:
            keywords = sorted(
                keywords_of_cluster(account.account_id, int(cluster.id)), key=lambda k: (-k.volume, int(k.id))
            )
            cluster_data.append(
                {
                    "id": int(cluster.id),
                    "name": cluster.name,
                    "description": cluster.description or "",
                    "keywords": [k.keyword for k in keywords],
                    "site_id": cluster.site_id,
                    "sector_id": cluster.sector_id,
                    "pillar_hub": int(cluster.id) in pillars,
                    "pillar_clusters": pillars.get(int(cluster.id), []),
                }
            )
        site_ids = sorted({int(c.site_id) for c in clusters if c.site_id is not None})
        sites = batch_get(Site, account.account_id, site_ids)
        languages = {(s.language or "en") for s in sites} or {"en"}
        guides = [s.style_guide for s in sites if s.style_guide]
        return {
            "cluster_data": cluster_data,
            # One job's clusters are of one scope in practice; with several sites, the first's.
            "language": sorted(languages)[0] if len(languages) == 1 else (sites[0].language or "en"),
            "style_guide": guides[0] if guides else None,
        }

    def prep_message(self, data: dict[str, Any]) -> str:
        return "Loading cluster keywords"

    def build_prompt(self, data: dict[str, Any], account: Account, prompt_override: str | None = None) -> str:
        clusters = data["cluster_data"]
        # The seed's lines (cluster id, name, description; id, name, keywords) as data blocks.
        context = {
            "LANGUAGE": language_name(data.get("language")),
            "STYLE_GUIDE": data_block(
                "STYLE_GUIDE", data.get("style_guide"), "the site's voice, audience, words to avoid"
            ),
            "CLUSTERS": data_block(
                "CLUSTER_DETAILS",
                [
                    {
                        "cluster_id": c["id"],
                        "name": c["name"],
                        "description": c["description"],
                        **({"pillar_hub_of": c["pillar_clusters"]} if c.get("pillar_clusters") else {}),
                    }
                    for c in clusters
                ],
                "clusters",
            ),
            "CLUSTER_KEYWORDS": data_block(
                "CLUSTER_KEYWORDS",
                [
                    {"cluster_id": c["id"], "name": c["name"], "keywords": list(c["keywords"])}
                    for c in clusters
                ],
                "keywords of each cluster",
            ),
        }
        return self.get_prompt(account.account_id, context, prompt_override)

    # ------------------------------------------------------------ AI_CALL
    def ai_call_message(self) -> str:
        return "Generating ideas with Igny8 Semantic AI"

    def offline_answer(self, data: dict[str, Any]) -> Any:
        return write_ideas(data["cluster_data"])

    # ------------------------------------------------------------ PARSE
    def parse_response(self, response: str, step_tracker: StepTracker | None = None) -> list[dict[str, Any]]:
        value = extract_json(response)
        if value is None:
            raise AIResponseInvalid("the ideas answer contains no JSON")
        if not isinstance(value, dict) or "ideas" not in value:
            raise AIResponseInvalid('the ideas answer has no "ideas" key')
        raw = value["ideas"]
        if not isinstance(raw, list):
            raise AIResponseInvalid('"ideas" in the answer is not a list')
        ideas = []
        for entry in raw:
            if not isinstance(entry, dict):
                continue
            title = " ".join(str(entry.get("title") or entry.get("idea_title") or "").split())
            if not title:
                continue
            word_count = _as_int(entry.get("estimated_word_count"))
            ideas.append(
                {
                    "title": title[:TITLE_LIMIT],
                    "description": entry.get("description"),
                    "content_type": str(entry.get("content_type") or "").strip() or DEFAULT_CONTENT_TYPE,
                    "content_structure": str(entry.get("content_structure") or "").strip()
                    or DEFAULT_CONTENT_STRUCTURE,
                    "cluster_id": _as_int(entry.get("cluster_id")),
                    "cluster_name": str(entry.get("cluster_name") or "").strip() or None,
                    "estimated_word_count": word_count
                    if word_count and word_count > 0
                    else DEFAULT_WORD_COUNT,
                    "target_keywords": join_list(
                        entry.get("covered_keywords")
                        if entry.get("covered_keywords")
                        else entry.get("target_keywords")
                    ),
                }
            )
        if not ideas:
            raise AIResponseInvalid("the ideas answer contains no idea with a title")
        if step_tracker is not None:
            step_tracker.add_response_step("PARSE", message=f"{len(ideas)} idea(s) in the answer")
        return ideas

    def parse_message(self, parsed: Any) -> str:
        return f"{len(parsed)} high-opportunity idea(s) generated"

    # ------------------------------------------------------------ SAVE
    def save_message(self, parsed: Any) -> str:
        return "Content Outline for Ideas generated"

    @staticmethod
    def match_cluster(idea: dict[str, Any], position: int, clusters: list[Cluster]) -> Cluster | None:
        """The seed's order: cluster_id from the answer, then cluster_name, then position.

        Position matching maps the n-th idea to the n-th cluster; with a single cluster in the
        request every idea belongs to it. An idea matched by none of the three is not saved.
        """
        by_id = {int(c.id): c for c in clusters}
        if idea.get("cluster_id") is not None and int(idea["cluster_id"]) in by_id:
            return by_id[int(idea["cluster_id"])]
        if idea.get("cluster_name"):
            wanted = _norm(idea["cluster_name"])
            for cluster in clusters:
                if _norm(cluster.name) == wanted:
                    return cluster
        if len(clusters) == 1:
            return clusters[0]
        if position < len(clusters):
            return clusters[position]
        return None

    def save_output(
        self,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        progress_tracker: ProgressReporter | None = None,
        step_tracker: StepTracker | None = None,
    ) -> dict[str, Any]:
        account_id = account.account_id
        clusters = batch_get(Cluster, account_id, [c["id"] for c in original_data["cluster_data"]])
        if not clusters:
            raise InputInvalid("the clusters of this job no longer exist")
        matched: list[tuple[dict[str, Any], Cluster]] = []
        unmatched: list[str] = []
        for position, idea in enumerate(parsed):
            cluster = self.match_cluster(idea, position, clusters)
            if cluster is None:
                unmatched.append(idea["title"])
            else:
                matched.append((idea, cluster))
        # The same ids on a retried SAVE: the ideas are overwritten, never duplicated.
        ids = allocate_ids(account_id, "idea", len(matched), once_key=original_data.get("_save_key"))
        # A re-run adds only new titles: an idea whose title its cluster already has (from an
        # earlier job, or twice in this answer) is skipped. The ideas of this SAVE's own ids (a
        # retried SAVE) are not "earlier": they are overwritten as before.
        taken, slugs = _titles_of_clusters(account_id, {int(c.id) for _, c in matched}, exclude=set(ids))
        fresh: list[tuple[int, tuple[dict[str, Any], Cluster], str]] = []
        repeated: list[str] = []
        for idea_id, (idea, cluster) in zip(ids, matched, strict=True):
            key = (int(cluster.id), _norm(idea["title"]))
            if key in taken:
                repeated.append(idea["title"])
                continue
            taken.add(key)
            slug = unique_slug(slugify(idea["title"]), slugs)  # planned URL of the article
            slugs.add(slug)
            fresh.append((idea_id, (idea, cluster), slug))
        now = iso_now()
        records = [
            ContentIdea(
                account_id,
                idea_id,
                idea_title=idea["title"],
                description=description_text(idea.get("description")),
                content_type=idea.get("content_type") or DEFAULT_CONTENT_TYPE,
                content_structure=idea.get("content_structure") or DEFAULT_CONTENT_STRUCTURE,
                target_keywords=idea.get("target_keywords") or "",
                keyword_cluster_id=int(cluster.id),
                cluster_ref=f"{account_id}#{cluster.id}",
                estimated_word_count=int(idea.get("estimated_word_count") or DEFAULT_WORD_COUNT),
                slug=slug,
                status="new",
                site_id=cluster.site_id,
                sector_id=cluster.sector_id,
                created_at=now,
                updated_at=now,
            )
            for idea_id, (idea, cluster), slug in fresh
        ]
        save_all(records)
        # The clusters leave the scheduled "needs ideas" selection (its sparse index) now.
        saved = {int(r.keyword_cluster_id) for r in records}
        for cluster in clusters:
            if int(cluster.id) in saved and not cluster.has_ideas:
                cluster.update(actions=[Cluster.has_ideas.set(True)])
        if step_tracker is not None:
            step_tracker.add_response_step("SAVE", message=f"{len(records)} idea(s) saved")
        return {
            "count": len(records),
            "ideas_created": len(records),
            "ideas": [
                {"id": int(r.id), "title": r.idea_title, "cluster_id": int(r.keyword_cluster_id or 0)}
                for r in records
            ],
            "unmatched_ideas": unmatched,
            "existing_titles_skipped": repeated,
        }

    def done_message(self, result: dict[str, Any]) -> str:
        message = f"{result.get('ideas_created', 0)} idea(s) created"
        unmatched = len(result.get("unmatched_ideas") or [])
        if unmatched:
            message += f", {unmatched} idea(s) matched no cluster and were skipped"
        repeated = len(result.get("existing_titles_skipped") or [])
        if repeated:
            message += f", {repeated} idea(s) repeated a title the cluster already has and were skipped"
        return message
