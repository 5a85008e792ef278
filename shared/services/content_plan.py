"""Writer flow: ideas become writer tasks, tasks become articles; reads and views of all three.

Service functions (used by the API in shared/api and by scripts):

- ``create_tasks_from_ideas(account_id, idea_ids) -> list[WriterTask]``: one task per idea,
  status ``queued``; the idea becomes ``scheduled``. An idea already turned into a task is not
  duplicated: its existing task is returned as it is (whatever its status), so the call is
  idempotent and safe to retry. The task row and the idea's ``task_id`` are written in one
  conditional transaction, so two concurrent calls cannot both create a task for the same idea,
  and each reports as ``created`` only the tasks it wrote.
- ``list_ideas`` / ``get_idea``, ``list_tasks`` / ``get_task``, ``list_content`` / ``get_content``:
  account-scoped pages: one Query of the account, or of the one index a filter names.
- ``idea_view`` / ``task_view`` / ``content_view``: the JSON shapes the API returns.
- ``article_document(content)`` and ``article_filename(content)``: a stand-alone HTML page of an
  article (title, meta description, keywords, the sanitised body) and a file name for it.
"""

from __future__ import annotations

import html
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.db.base import connection, iso_now
from shared.db.derived import index_key
from shared.db.models import Content, ContentIdea, Site, WriterTask
from shared.db.repo import allocate_ids, batch_get, get_one, page, save_all
from shared.domain.outline import outline_json, outline_summary, split_list
from shared.domain.structured_data import jsonld_script
from shared.errors import InputInvalid, NotFound, StateConflict

MAX_IDEAS_PER_REQUEST = 100
TASK_TITLE_LIMIT = 300
#: Attempts of one idea's task transaction when concurrent calls conflict on it.
TRANSACTION_ATTEMPTS = 5


# ---------------------------------------------------------------- ideas -> tasks
@dataclass
class TaskCreation:
    """The tasks of the requested ideas, in request order, and which of them this call created."""

    tasks: list[WriterTask] = field(default_factory=list)
    created: list[int] = field(default_factory=list)

    @property
    def existing(self) -> list[int]:
        created = set(self.created)
        return [int(t.id) for t in self.tasks if int(t.id) not in created]


def _task_for(idea: ContentIdea, task_id: int, now: str) -> WriterTask:
    return WriterTask(
        idea.account_id,
        task_id,
        title=(idea.idea_title or f"Idea {idea.id}")[:TASK_TITLE_LIMIT],
        description=outline_summary(idea.description),
        keywords=idea.target_keywords or "",
        cluster_id=idea.keyword_cluster_id,
        idea_id=int(idea.id),
        content_structure=idea.content_structure or "supporting_page",
        content_type=idea.content_type or "blog_post",
        status="queued",
        site_id=idea.site_id,
        sector_id=idea.sector_id,
        created_at=now,
        updated_at=now,
    )


def _create_task(idea: ContentIdea, task_id: int, now: str) -> WriterTask | None:
    """Write the idea's task and record it on the idea in one transaction.

    None when the idea already has a task (another call won: the idea is re-read). The task row
    and the idea's ``task_id`` are written together, so no idea ever points at a missing task and
    each call counts exactly the tasks it wrote.
    """
    task = _task_for(idea, task_id, now)
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(task, condition=WriterTask.id.does_not_exist())
                transaction.update(
                    idea,
                    actions=[
                        ContentIdea.task_id.set(task_id),
                        ContentIdea.status.set("scheduled"),
                        ContentIdea.updated_at.set(now),
                    ],
                    condition=ContentIdea.id.exists() & ContentIdea.task_id.does_not_exist(),
                )
        except TransactWriteError as exc:
            codes = [r.code if r is not None else None for r in exc.cancellation_reasons or []]
            if "ConditionalCheckFailed" in codes:
                idea.refresh(consistent_read=True)
                return None
            if "TransactionConflict" in codes and attempt < TRANSACTION_ATTEMPTS:
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
                continue
            raise
        idea.task_id = task_id
        return task
    return None  # pragma: no cover - the loop returns or raises


def queue_ideas(account_id: str, idea_ids: Sequence[int]) -> TaskCreation:
    """``create_tasks_from_ideas`` with the ids of the tasks this call created."""
    unique = list(dict.fromkeys(int(i) for i in idea_ids))
    if not unique:
        raise InputInvalid("idea_ids is required: a non-empty list of idea ids")
    if len(unique) > MAX_IDEAS_PER_REQUEST:
        raise InputInvalid(f"at most {MAX_IDEAS_PER_REQUEST} ideas per request (got {len(unique)})")
    ideas = batch_get(ContentIdea, account_id, unique, consistent_read=True)
    found = {int(i.id) for i in ideas}
    missing = [i for i in unique if i not in found]
    if missing:
        raise NotFound(f"ideas not found in this account: {', '.join(map(str, missing[:20]))}")
    check_queueable(account_id, ideas)

    # Ids are allocated for the ideas without a task; one that a concurrent call takes first
    # leaves its id unused (ids are unique, not dense).
    new_ids = iter(allocate_ids(account_id, "task", sum(1 for i in ideas if i.task_id is None)))
    now = iso_now()
    tasks: dict[int, WriterTask] = {}
    created: list[int] = []
    for idea in ideas:
        if idea.task_id is None:
            task = _create_task(idea, next(new_ids), now)
            if task is not None:
                tasks[int(idea.id)] = task
                created.append(int(task.id))
    have_task = {int(i.id): int(i.task_id) for i in ideas if int(i.id) not in tasks}
    stored = {
        int(t.id): t
        for t in batch_get(WriterTask, account_id, list(have_task.values()), consistent_read=True)
    }
    repaired: list[WriterTask] = []
    for idea in ideas:
        idea_id = int(idea.id)
        if idea_id in tasks:
            continue
        task_id = have_task[idea_id]
        if task_id not in stored:  # an idea recorded before tasks were written in one transaction
            stored[task_id] = _task_for(idea, task_id, now)
            repaired.append(stored[task_id])
        tasks[idea_id] = stored[task_id]
    save_all(repaired)
    created.extend(int(t.id) for t in repaired)
    return TaskCreation(tasks=[tasks[i] for i in unique], created=created)


def check_queueable(account_id: str, ideas: list[ContentIdea]) -> None:
    """Refuse (409) ideas without a task that are rejected, or not approved on a site requiring it."""
    pending = [i for i in ideas if i.task_id is None]
    rejected = [int(i.id) for i in pending if i.status == "rejected"]
    if rejected:
        raise StateConflict(f"rejected ideas are not written: {', '.join(map(str, rejected[:20]))}")
    site_ids = {int(i.site_id) for i in pending if i.site_id is not None and i.status != "approved"}
    strict = {int(s.id) for s in batch_get(Site, account_id, sorted(site_ids)) if s.require_approval}
    waiting = [
        int(i.id)
        for i in pending
        if i.site_id is not None and int(i.site_id) in strict and i.status != "approved"
    ]
    if waiting:
        raise StateConflict(
            f"ideas {', '.join(map(str, waiting[:20]))} need approval first (their site requires it): "
            "POST /v1/planner/ideas/{id}/approve"
        )


def create_tasks_from_ideas(account_id: str, idea_ids: list[int]) -> list[WriterTask]:
    """One writer task per idea (status ``queued``; the idea becomes ``scheduled``), in request order.

    An idea that already has a task is not duplicated: its task is returned unchanged.
    Raises ``NotFound`` when an idea is not in the account, ``InputInvalid`` for an empty list.
    """
    return queue_ideas(account_id, idea_ids).tasks


# ---------------------------------------------------------------- reads
def _list_source(model: Any, account_id: str, status: str | None, cluster_id: int | None) -> tuple[Any, str]:
    """The table or index (and its partition) holding exactly the records of the filters: the
    model's ``by_status``, ``by_cluster`` or ``by_cluster_status`` index, else the account."""
    if cluster_id is not None and status is not None:
        return model.by_cluster_status, index_key(account_id, cluster_id, status)
    if cluster_id is not None:
        return model.by_cluster, index_key(account_id, cluster_id)
    if status is not None:
        return model.by_status, index_key(account_id, status)
    return model, account_id


def get_idea(account_id: str, idea_id: int) -> ContentIdea:
    idea = get_one(ContentIdea, account_id, idea_id)
    if idea is None:
        raise NotFound(f"idea {idea_id} not found")
    return idea


def list_ideas(
    account_id: str,
    cluster_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    after: int | None = None,
) -> tuple[list[ContentIdea], int | None]:
    """A page of the account's ideas by id after ``after``, and the id to continue after (None:
    no more); a cluster and/or a status is one index."""
    source, key = _list_source(ContentIdea, account_id, status, cluster_id)
    return page(source, key, account_id, limit=limit, after=after)


def get_task(account_id: str, task_id: int) -> WriterTask:
    task = get_one(WriterTask, account_id, task_id)
    if task is None:
        raise NotFound(f"writer task {task_id} not found")
    return task


def list_tasks(
    account_id: str,
    status: str | None = None,
    cluster_id: int | None = None,
    limit: int = 100,
    after: int | None = None,
) -> tuple[list[WriterTask], int | None]:
    """A page of the account's writer tasks by id (as ``list_ideas``)."""
    source, key = _list_source(WriterTask, account_id, status, cluster_id)
    return page(source, key, account_id, limit=limit, after=after)


def get_content(account_id: str, task_id: int) -> Content:
    content = get_one(Content, account_id, task_id)
    if content is None:
        raise NotFound(f"no article for writer task {task_id}")
    return content


def list_content(
    account_id: str,
    status: str | None = None,
    cluster_id: int | None = None,
    limit: int = 100,
    after: int | None = None,
) -> tuple[list[Content], int | None]:
    """A page of the account's articles by task id (as ``list_ideas``; the indexes project
    everything but the HTML, which ``get_content`` reads)."""
    source, key = _list_source(Content, account_id, status, cluster_id)
    return page(source, key, account_id, limit=limit, after=after)


# ---------------------------------------------------------------- views
def idea_view(idea: ContentIdea) -> dict[str, Any]:
    return {
        "id": int(idea.id),
        "title": idea.idea_title,
        "description": idea.description,
        "outline": outline_json(idea.description),
        "content_type": idea.content_type,
        "content_structure": idea.content_structure,
        "target_keywords": split_list(idea.target_keywords),
        "cluster_id": idea.keyword_cluster_id,
        "estimated_word_count": int(idea.estimated_word_count or 0),
        "status": idea.status,
        "task_id": idea.task_id,
        "slug": idea.slug,
        "site_id": idea.site_id,
        "sector_id": idea.sector_id,
        "created_at": idea.created_at,
        "updated_at": idea.updated_at,
    }


def task_view(task: WriterTask) -> dict[str, Any]:
    return {
        "id": int(task.id),
        "title": task.title,
        "description": task.description,
        "keywords": split_list(task.keywords),
        "cluster_id": task.cluster_id,
        "idea_id": task.idea_id,
        "content_structure": task.content_structure,
        "content_type": task.content_type,
        "status": task.status,
        "error": task.error,
        "meta_title": task.meta_title,
        "meta_description": task.meta_description,
        "site_id": task.site_id,
        "sector_id": task.sector_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def content_view(content: Content, with_html: bool = False) -> dict[str, Any]:
    metadata = dict(content.metadata or {})
    view: dict[str, Any] = {
        "task_id": int(content.task_id),
        "title": content.title,
        "meta_title": content.meta_title,
        "meta_description": content.meta_description,
        "word_count": int(content.word_count or 0),
        "primary_keyword": content.primary_keyword,
        "secondary_keywords": list(content.secondary_keywords or []),
        "tags": list(content.tags or []),
        "categories": list(content.categories or []),
        "status": content.status,
        "offline_draft": bool(metadata.get("offline_draft")),
        "seo": content_seo(content),
        "lang": content.lang or "en",
        "slug": content.slug,
        "url": content.url,
        "links": list(content.links or []),
        "structured_data": list(content.structured_data or []),
        "wordpress": {
            "post_id": int(content.wp_post_id),
            "link": content.wp_link,
            "published_at": content.published_at,
        }
        if content.wp_post_id is not None
        else None,
        "metadata": metadata,
        "cluster_id": content.cluster_id,
        "idea_id": content.idea_id,
        "site_id": content.site_id,
        "sector_id": content.sector_id,
        "created_at": content.created_at,
        "updated_at": content.updated_at,
    }
    if with_html:
        view["html"] = content.html_content or ""
    return view


def content_seo(content: Content) -> dict[str, Any] | None:
    """``{score, checks}`` of the article's on-page checks (None for one saved before them)."""
    seo = dict(content.seo or {})
    if not seo:
        return None
    return {
        "score": seo.get("score"),
        "checks": dict(seo.get("checks") or {}),
        "details": seo.get("details") or {},
    }


# ---------------------------------------------------------------- article files
def article_filename(content: Content) -> str:
    """``0007-cold-brew-coffee-guide.html``: the task id, then a slug of the title."""
    slug = re.sub(r"[^a-z0-9]+", "-", (content.title or "").lower()).strip("-")[:60].rstrip("-")
    return f"{int(content.task_id):04d}-{slug or 'article'}.html"


def article_document(content: Content) -> str:
    """A stand-alone HTML page of the article: head with title and meta, the stored (sanitised) body."""
    title = html.escape(content.title or content.meta_title or f"Article {content.task_id}")
    meta_title = html.escape(content.meta_title or content.title or "")
    description = html.escape(content.meta_description or "", quote=True)
    keywords = [content.primary_keyword or "", *(content.secondary_keywords or [])]
    keywords_meta = html.escape(", ".join(k for k in keywords if k), quote=True)
    offline = bool((content.metadata or {}).get("offline_draft"))
    generator = "igny8 local writer (offline draft, no AI model)" if offline else "igny8"
    lang = html.escape(content.lang or "en", quote=True)
    canonical = (
        f'<link rel="canonical" href="{html.escape(content.url, quote=True)}">\n'
        if content.url and "//" in content.url
        else ""
    )
    structured = jsonld_script(list(content.structured_data or []))
    return (
        "<!doctype html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{meta_title or title}</title>\n"
        f'<meta name="description" content="{description}">\n'
        f'<meta name="keywords" content="{keywords_meta}">\n'
        f'<meta name="generator" content="{html.escape(generator, quote=True)}">\n'
        f"{canonical}"
        f"{structured + chr(10) if structured else ''}"
        "</head>\n<body>\n<article>\n"
        f"<h1>{title}</h1>\n"
        f"{content.html_content or ''}\n"
        "</article>\n</body>\n</html>\n"
    )
