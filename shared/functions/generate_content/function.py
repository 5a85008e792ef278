"""generate_content: one article per writer task (seed §4).

The seed builds the prompt and saves the article of the first task of a list only. Here every
task of the batch is its own item (``split_items``): the state machine's Map runs
AI_CALL -> PARSE -> SAVE per task with bounded concurrency, a task that fails is marked
``failed`` with its error (``on_item_failed``) while the others go on, and DONE reports each
task's outcome (``aggregate`` plus the engine's ``items.failures``).

The article HTML is sanitised (nh3 allow-list, ``shared.domain.content_html``) before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.ai import validators
from shared.ai.prompts import data_block
from shared.ai.tracker import StepTracker
from shared.db.base import iso_now
from shared.db.claim_tables import TASK
from shared.db.derived import index_key
from shared.db.models import Account, Content, WriterTask
from shared.db.repo import get_one, page
from shared.domain.content_html import count_words, looks_like_html, normalize_content, sanitize_html
from shared.domain.languages import language_name
from shared.domain.outline import render_outline, split_list
from shared.errors import AIResponseInvalid, NotFound
from shared.functions.base import BaseAIFunction, ProgressReporter
from shared.functions.generate_content.answer import parse_article
from shared.functions.generate_content.offline import write_article
from shared.functions.generate_content.page import finish_page, load_tasks, siblings_for
from shared.functions.generate_content.prompt import DEFAULT_PROMPT, PROMPT_TYPE
from shared.functions.generate_content.revision import (
    REVISE_STAGE,
    WRITE_STAGE,
    article_report,
    revision_items,
    revision_prompt,
)

MAX_TASKS = 50
CLUSTER_KEYWORDS_LIMIT = 50
ERROR_LIMIT = 1000
# Fields of the answer stored in their own Content attributes; everything else goes to metadata.
STANDARD_FIELDS = frozenset(
    {
        "content",
        "title",
        "meta_title",
        "meta_description",
        "word_count",
        "primary_keyword",
        "secondary_keywords",
        "tags",
        "categories",
    }
)


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().replace(",", "").isdigit():
        number = int(value.strip().replace(",", ""))
        return number if number > 0 else None
    return None


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def idea_context(data: dict[str, Any]) -> dict[str, Any]:
    """The idea data of one task (seed §4.3): title, description, outline, structure, type, words."""
    task = data["task"]
    idea = data.get("idea") or {}
    cluster = data.get("cluster") or {}
    keywords = task.get("keywords") or idea.get("target_keywords") or ""
    return {
        "title": task["title"],
        "description": task.get("description") or "",
        "outline": render_outline(idea.get("description")),
        "content_structure": idea.get("content_structure") or task.get("content_structure") or "",
        "content_type": idea.get("content_type") or task.get("content_type") or "",
        "estimated_word_count": idea.get("estimated_word_count"),
        "keywords": keywords,
        "cluster_name": cluster.get("name") or "",
    }


class GenerateContentFunction(BaseAIFunction):
    name = "generate_content"
    display_name = "Generate Content"
    description = "One article per writer task"
    model_defaults = {"max_tokens": 8000, "temperature": 0.7, "response_format": "json_object"}
    prompt_type = PROMPT_TYPE
    default_prompt = DEFAULT_PROMPT
    answer_model = "shared.functions.generate_content.schema:ArticleResponse"
    item_label = "tasks"
    max_items = MAX_TASKS
    batch_selector = "queued_tasks"
    prompt_tokens = (2000, 0)
    records_per_credit = 1  # one credit per article
    isolate_item_failures = True
    claim_kind = TASK  # a job claims its writer tasks while it runs

    def estimate_calls(self, payload: dict[str, Any]) -> int:
        # One call per writer task, and at most one revision each.
        return 2 * max(1, self.records_requested(payload))

    def estimate_prompt_tokens(self, payload: dict[str, Any]) -> int:
        return self.prompt_tokens[0]

    def select_batch(self, account_id: str, limit: int) -> list[int]:
        """Writer tasks waiting to be written, by id: one Query of the ``by_status`` index."""
        tasks, _ = page(WriterTask.by_status, index_key(account_id, "queued"), account_id, limit=limit)
        return [int(t.id) for t in tasks]

    # ------------------------------------------------------------ INIT
    def validate_records(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        return validators.validate_tasks_exist(payload["ids"], account.account_id)

    def init_message(self, payload: dict[str, Any], validation: dict[str, Any]) -> str:
        return "Validating task"

    # ------------------------------------------------------------ PREP
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        return load_tasks(account.account_id, payload["ids"])

    def prep_message(self, data: dict[str, Any]) -> str:
        return "Preparing content idea"

    # ------------------------------------------------------------ stages: write, then revise
    def stages(self, payload: dict[str, Any]) -> tuple[str, ...]:
        return (WRITE_STAGE, REVISE_STAGE)

    def stage_prepare(
        self,
        stage: str,
        payload: dict[str, Any],
        account: Account,
        earlier: Mapping[str, list[dict[str, Any]]],
    ) -> dict[str, Any]:
        if stage == WRITE_STAGE:
            return self.prepare(payload, account)
        written = earlier.get(WRITE_STAGE, [])
        wanted = [int(r["task_id"]) for r in written if r.get("needs_revision")]
        if not wanted:
            return {"tasks": []}
        data = self.prepare({**payload, "ids": wanted}, account)
        by_task = {int(item["task"]["id"]): item for item in data["tasks"]}
        return {"tasks": revision_items(account.account_id, written, by_task)}

    def stage_build_prompt(
        self, stage: str, data: dict[str, Any], account: Account, prompt_override: str | None = None
    ) -> str:
        if stage == REVISE_STAGE:
            return revision_prompt(data)
        return self.build_prompt(data, account, prompt_override)

    def stage_save_output(
        self,
        stage: str,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        progress_tracker: ProgressReporter | None = None,
        step_tracker: StepTracker | None = None,
    ) -> dict[str, Any]:
        return self.save_article(parsed, original_data, account, step_tracker, revised=stage == REVISE_STAGE)

    def stage_credits_for(self, stage: str, data: dict[str, Any], result: dict[str, Any]) -> int:
        return 0 if stage == REVISE_STAGE else self.credits_for(data, result)  # a revision is free

    def stage_message(self, stage: str, phase: str, value: Any = None) -> str:
        if stage != REVISE_STAGE:
            return super().stage_message(stage, phase, value)
        if phase == "PREP":
            count = len((value or {}).get("tasks") or [])
            if not count:
                return "No article needs a revision"
            return f"Revising {count} article(s) that failed on-page checks"
        if phase == "AI_CALL":
            return "Revising article against the on-page checks"
        if phase == "PARSE":
            return "1 article(s) revised" if value else "0 article(s) revised"
        if phase == "SAVE":
            return "Saving revised article"
        return self.done_message(value)

    def split_items(self, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """One item per task, keyed by the task id."""
        return [(str(item["task"]["id"]), item) for item in data["tasks"]]

    def build_prompt(self, data: dict[str, Any], account: Account, prompt_override: str | None = None) -> str:
        idea = idea_context(data)
        cluster = data.get("cluster") or {}
        # The seed's idea and cluster lines as JSON objects (data); empty fields left out.
        idea_fields = {
            "title": idea["title"],
            "description": idea["description"],
            "structure": idea["content_structure"],
            "type": idea["content_type"],
            "estimated_word_count": idea["estimated_word_count"],
            "outline": idea["outline"],
        }
        cluster_fields = (
            {
                "cluster_name": cluster.get("name", ""),
                "description": cluster.get("description", ""),
                "status": cluster.get("status", ""),
            }
            if cluster
            else None
        )
        site = data.get("site") or {}
        related = [{"title": s["title"], "url": s["url"]} for s in siblings_for(data)]
        context = {
            "LANGUAGE": language_name(site.get("language")),
            "STYLE_GUIDE": data_block(
                "STYLE_GUIDE", site.get("style_guide"), "the site's voice, audience, words to avoid"
            ),
            "LINKS": data_block("RELATED_ARTICLES", related, "articles of the same topic to link to"),
            "IDEA": data_block("IDEA", {k: v for k, v in idea_fields.items() if v}, "idea"),
            "CLUSTER": data_block("CLUSTER", cluster_fields, "cluster (null: none)"),
            "KEYWORDS": data_block("TARGET_KEYWORDS", split_list(idea["keywords"]), "keywords to cover"),
        }
        return self.get_prompt(account.account_id, context, prompt_override)

    # ------------------------------------------------------------ AI_CALL
    def ai_call_message(self) -> str:
        return "Writing article with Igny8 Semantic AI"

    def offline_answer(self, data: dict[str, Any]) -> Any:
        context = idea_context(data)
        if not context["keywords"]:
            context["keywords"] = (data.get("cluster") or {}).get("keywords") or []
        context["related"] = [{"title": r["title"], "url": r["url"]} for r in siblings_for(data)]
        answer = write_article(context)
        answer["offline_draft"] = True  # kept in Content.metadata: the article was not written by a model
        return answer

    # ------------------------------------------------------------ PARSE
    def parse_response(self, response: str, step_tracker: StepTracker | None = None) -> dict[str, Any]:
        parsed = parse_article(response)
        if step_tracker is not None:
            step_tracker.add_response_step("PARSE", message=f"article of {len(parsed['content'])} characters")
        return parsed

    def parse_message(self, parsed: Any) -> str:
        count = 1 if parsed else 0  # one article per item (task)
        return f"{count} article(s) created"

    # ------------------------------------------------------------ SAVE
    def save_message(self, parsed: Any) -> str:
        return "Saving article"

    def save_output(
        self,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        progress_tracker: ProgressReporter | None = None,
        step_tracker: StepTracker | None = None,
    ) -> dict[str, Any]:
        return self.save_article(parsed, original_data, account, step_tracker)

    def save_article(
        self,
        parsed: Any,
        original_data: dict[str, Any],
        account: Account,
        step_tracker: StepTracker | None = None,
        revised: bool = False,
    ) -> dict[str, Any]:
        """Store the article with its on-page checks: ``draft`` when they pass, else ``review``."""
        account_id = account.account_id
        task_id = int(original_data["task"]["id"])
        task = get_one(WriterTask, account_id, task_id)
        if task is None:
            raise NotFound(f"writer task {task_id} no longer exists")
        raw = str(parsed.get("content") or "")
        html = sanitize_html(raw if looks_like_html(raw) else normalize_content(raw))
        if not html:
            raise AIResponseInvalid("the article is empty once its HTML is sanitised")
        word_count = _positive_int(parsed.get("word_count")) or count_words(html)
        title = _text(parsed.get("title")) or task.title
        meta_title = _text(parsed.get("meta_title")) or task.meta_title or task.title
        meta_description = (
            _text(parsed.get("meta_description")) or task.meta_description or _text(task.description) or None
        )
        metadata = {k: v for k, v in parsed.items() if k not in STANDARD_FIELDS}

        now = iso_now()
        content = get_one(Content, account_id, task_id)
        created = content is None
        if content is None:
            content = Content(account_id, task_id, created_at=now)
        content.html_content = html
        content.word_count = word_count
        content.title = title
        content.meta_title = meta_title
        content.meta_description = meta_description
        keywords = split_list(original_data["task"].get("keywords") or "")
        # A revision keeps what its answer leaves out (keywords, tags, the model's extra fields).
        before = content if revised and not created else None
        content.primary_keyword = (
            _text(parsed.get("primary_keyword"))
            or (before.primary_keyword if before else None)
            or (keywords[0] if keywords else None)
        )
        for name in ("secondary_keywords", "tags", "categories"):
            value = split_list(parsed.get(name))
            setattr(content, name, value or (list(getattr(before, name) or []) if before else []))
        content.metadata = (
            {**dict(before.metadata or {}), **metadata, "revised": True} if before else metadata
        )
        finish_page(content, original_data, now)
        report = article_report(content, original_data)
        content.seo = report.as_dict()
        content.status = "review" if report.failing else "draft"
        content.cluster_id = task.cluster_id
        content.idea_id = task.idea_id
        content.site_id = task.site_id
        content.sector_id = task.sector_id
        content.updated_at = now
        content.save()
        task.update(
            actions=[
                WriterTask.status.set("completed"),
                WriterTask.error.remove(),
                WriterTask.updated_at.set(now),
            ]
        )
        if step_tracker is not None:
            step_tracker.add_response_step(
                "SAVE", message=f"task {task_id}: {word_count} words, on-page score {report.score}"
            )
        offline = bool(metadata.get("offline_draft"))
        return {
            "count": 1,
            "tasks_updated": 1,
            "word_count": word_count,
            "task_id": task_id,
            "title": title,
            "content_created": created,
            "status": content.status,
            "seo_score": report.score,
            "failing_checks": report.failing,
            "revised": revised,
            # One revision for a model's article that fails its checks (never for an offline draft).
            "needs_revision": bool(report.failing) and not revised and not offline,
        }

    def on_item_failed(self, item: str, error: str, account: Account) -> None:
        """The task is marked failed with its error; its earlier article (if any) is left as it was."""
        stage, _, key = item.rpartition("#")
        if stage == REVISE_STAGE:
            return  # the written article stays, in review: a failed revision loses nothing
        try:
            task_id = int(key)
        except ValueError:
            return
        task = get_one(WriterTask, account.account_id, task_id)
        if task is None:
            return
        task.update(
            actions=[
                WriterTask.status.set("failed"),
                WriterTask.error.set((error or "unknown error")[:ERROR_LIMIT]),
                WriterTask.updated_at.set(iso_now()),
            ]
        )

    def aggregate(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """One entry per task: a revision's result replaces the written one (stage order)."""
        latest: dict[Any, dict[str, Any]] = {}
        created: dict[Any, bool] = {}
        for r in results:
            created[r.get("task_id")] = created.get(r.get("task_id"), False) or bool(r.get("content_created"))
            latest[r.get("task_id")] = r
        articles = [
            {
                "task_id": task_id,
                "title": r.get("title"),
                "word_count": int(r.get("word_count") or 0),
                "content_created": created[task_id],
                "status": r.get("status"),
                "seo_score": r.get("seo_score"),
                "failing_checks": list(r.get("failing_checks") or []),
                "revised": bool(r.get("revised")),
            }
            for task_id, r in latest.items()
        ]
        return {
            "count": len(articles),
            "tasks_updated": len(articles),
            "word_count": sum(a["word_count"] for a in articles),
            "revised": sum(1 for a in articles if a["revised"]),
            "in_review": sum(1 for a in articles if a["status"] == "review"),
            "articles": articles,
        }

    def done_message(self, result: dict[str, Any]) -> str:
        message = f"{result.get('tasks_updated', 0)} article(s) saved"
        if result.get("revised"):
            message += f", {result['revised']} revised"
        if result.get("in_review"):
            message += f", {result['in_review']} in review (failing on-page checks)"
        items = result.get("items") or {}
        failed = int(items.get("failed") or 0)
        revisions = sum(
            1 for f in items.get("failures") or [] if str(f.get("item", "")).startswith(f"{REVISE_STAGE}#")
        )
        if failed - revisions:
            message += f", {failed - revisions} task(s) failed"
        if revisions:
            message += f", {revisions} revision(s) failed (the written article is kept, in review)"
        return message
