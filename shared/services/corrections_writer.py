"""Corrections by hand on the writer side: delete an idea, a writer task or an article.

Each delete writes its record and the records that point at it in one DynamoDB transaction, so
no idea is left pointing at a deleted task (``create_tasks`` would write that task again) and no
task at a deleted idea. A delete that would take written work with it is refused (409) unless
``force``:

- an idea with a writer task: with ``force`` the idea goes, the task and its article stay (their
  ``idea_id`` is cleared);
- a writer task with an article: with ``force`` the article goes too (it is keyed by the task).
  The task's idea goes back to ``new`` without a task, so it can be queued again;
- an article: its task goes back to ``queued`` (it can be written again).

Records are read by key in the caller's account only: another account's ids are 404.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shared.db.base import connection, iso_now
from shared.db.claim_tables import cluster_claim, task_claim
from shared.db.models import Content, ContentIdea, WriterTask
from shared.db.repo import get_one
from shared.engine.claims import ensure_free
from shared.errors import NotFound, StateConflict

#: Attempts of one delete's transaction when a concurrent write conflicts with it.
TRANSACTION_ATTEMPTS = 4


def _transact(write: Callable[[TransactWrite], None], what: str) -> None:
    """Run one transaction; a failed condition means a record changed meanwhile: 409, try again."""
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with TransactWrite(connection=connection()) as transaction:
                write(transaction)
            return
        except TransactWriteError as exc:
            codes = [r.code if r is not None else None for r in exc.cancellation_reasons or []]
            if "TransactionConflict" in codes and attempt < TRANSACTION_ATTEMPTS:
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
                continue
            if "ConditionalCheckFailed" in codes:
                raise StateConflict(f"{what} changed while it was being deleted: try again") from None
            raise


def delete_idea(account_id: str, idea_id: int, force: bool = False) -> ContentIdea:
    """Delete an idea; one with a writer task only with ``force`` (the task and article stay)."""
    idea = get_one(ContentIdea, account_id, idea_id)
    if idea is None:
        raise NotFound(f"idea {idea_id} not found")
    task = get_one(WriterTask, account_id, int(idea.task_id)) if idea.task_id is not None else None
    if task is not None and not force:
        raise StateConflict(
            f"idea {idea_id} has writer task {int(task.id)}: delete the task first "
            f"(DELETE /v1/writer/tasks/{int(task.id)}/), or add ?force=true to keep it without its idea"
        )
    refs = [cluster_claim(int(idea.keyword_cluster_id))] if idea.keyword_cluster_id is not None else []
    if task is not None:
        refs.append(task_claim(int(task.id)))
    ensure_free(account_id, refs)
    article = get_one(Content, account_id, int(task.id)) if task is not None else None
    now = iso_now()

    def write(transaction: TransactWrite) -> None:
        if idea.task_id is None:
            transaction.delete(idea, condition=ContentIdea.task_id.does_not_exist())
        else:
            transaction.delete(idea, condition=ContentIdea.task_id == int(idea.task_id))
        if task is not None:
            detach: list[Action] = [WriterTask.idea_id.remove(), WriterTask.updated_at.set(now)]
            transaction.update(task, actions=detach, condition=WriterTask.id.exists())
        if article is not None:
            actions: list[Action] = [Content.idea_id.remove(), Content.updated_at.set(now)]
            transaction.update(article, actions=actions, condition=Content.task_id.exists())

    _transact(write, f"idea {idea_id}")
    return idea


def delete_task(account_id: str, task_id: int, force: bool = False) -> tuple[WriterTask, bool]:
    """Delete a writer task (its article too with ``force``); its idea goes back to ``new``.

    Returns the task and whether an article was deleted with it.
    """
    task = get_one(WriterTask, account_id, task_id)
    if task is None:
        raise NotFound(f"writer task {task_id} not found")
    article = get_one(Content, account_id, task_id)
    if article is not None and not force:
        raise StateConflict(
            f"writer task {task_id} has an article: delete it first (DELETE /v1/writer/content/"
            f"{task_id}/), or add ?force=true to delete it with the task"
        )
    refs = [task_claim(task_id)]
    if task.cluster_id is not None:
        refs.append(cluster_claim(int(task.cluster_id)))
    ensure_free(account_id, refs)
    idea = get_one(ContentIdea, account_id, int(task.idea_id)) if task.idea_id is not None else None
    if idea is not None and (idea.task_id is None or int(idea.task_id) != task_id):
        idea = None  # the idea points at another task: it stays as it is
    now = iso_now()

    def write(transaction: TransactWrite) -> None:
        transaction.delete(task, condition=WriterTask.id.exists())
        if article is not None:
            transaction.delete(article)
        if idea is not None:
            # A put of the record, not an update: its index keys (of the status) are derived
            # from the record when it is serialised, and a transaction's update would skip that.
            idea.task_id, idea.status, idea.updated_at = None, "new", now
            transaction.save(idea, condition=ContentIdea.task_id == task_id)

    _transact(write, f"writer task {task_id}")
    return task, article is not None


def delete_content(account_id: str, task_id: int) -> Content:
    """Delete the article of a writer task; the task goes back to ``queued``."""
    article = get_one(Content, account_id, task_id)
    if article is None:
        raise NotFound(f"no article for writer task {task_id}")
    ensure_free(account_id, [task_claim(task_id)])
    task = get_one(WriterTask, account_id, task_id)
    now = iso_now()

    def write(transaction: TransactWrite) -> None:
        transaction.delete(article, condition=Content.task_id.exists())
        if task is not None:
            task.status, task.error, task.updated_at = "queued", None, now  # a put: see delete_task
            transaction.save(task, condition=WriterTask.id.exists())

    _transact(write, f"the article of writer task {task_id}")
    return article
