"""generate_content: one article per writer task (seed §4).

The seed builds the prompt and saves the article of the first task of a list only. Here every
task of the batch is its own item (``split_items``): the state machine's Map runs
AI_CALL -> PARSE -> SAVE per task with bounded concurrency, a task that fails is marked
``failed`` with its error (``on_item_failed``) while the others go on, and DONE reports each
task's outcome (``aggregate`` plus the engine's ``items.failures``).

The article HTML is sanitised (nh3 allow-list, ``shared.domain.content_html``) before it is stored.
"""

from __future__ import annotations

import json
from typing import Any

from shared.ai import validators
from shared.ai.ai_core import extract_json
from shared.ai.prompts import data_block
from shared.ai.tracker import StepTracker
from shared.db.base import iso_now
from shared.db.models import Account, Cluster, Content, ContentIdea, WriterTask
from shared.db.repo import batch_get, get_one, query_account
from shared.domain.clusters import keywords_of_cluster
from shared.domain.content_html import count_words, looks_like_html, normalize_content, sanitize_html
from shared.domain.outline import render_outline, split_list
from shared.errors import AIResponseInvalid, NotFound
from shared.functions.base import BaseAIFunction, ProgressReporter
from shared.functions.generate_content.offline import write_article
from shared.functions.generate_content.prompt import DEFAULT_PROMPT, PROMPT_TYPE

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
CONTENT_ALIASES = ("content", "html_content", "html", "article", "body")


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

    def estimate_calls(self, payload: dict[str, Any]) -> int:
        return max(1, self.records_requested(payload))  # one call per writer task

    def estimate_prompt_tokens(self, payload: dict[str, Any]) -> int:
        return self.prompt_tokens[0]

    def select_batch(self, account_id: str, limit: int) -> list[int]:
        """Writer tasks waiting to be written."""
        tasks = query_account(WriterTask, account_id, filter_condition=(WriterTask.status == "queued"))
        return [int(t.id) for t in tasks][:limit]

    # ------------------------------------------------------------ INIT
    def validate_records(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        return validators.validate_tasks_exist(payload["ids"], account.account_id)

    def init_message(self, payload: dict[str, Any], validation: dict[str, Any]) -> str:
        return "Validating task"

    # ------------------------------------------------------------ PREP
    def prepare(self, payload: dict[str, Any], account: Account) -> dict[str, Any]:
        account_id = account.account_id
        tasks = batch_get(WriterTask, account_id, payload["ids"])
        idea_ids = [int(t.idea_id) for t in tasks if t.idea_id is not None]
        cluster_ids = [int(t.cluster_id) for t in tasks if t.cluster_id is not None]
        ideas = {int(i.id): i for i in batch_get(ContentIdea, account_id, idea_ids)}
        clusters = {int(c.id): c for c in batch_get(Cluster, account_id, cluster_ids)}
        cluster_keywords = {
            cid: [
                k.keyword
                for k in sorted(keywords_of_cluster(account_id, cid), key=lambda k: (-k.volume, int(k.id)))
            ][:CLUSTER_KEYWORDS_LIMIT]
            for cid in clusters
        }
        items = []
        for task in tasks:
            idea = ideas.get(int(task.idea_id)) if task.idea_id is not None else None
            cluster = clusters.get(int(task.cluster_id)) if task.cluster_id is not None else None
            items.append(
                {
                    "task": {
                        "id": int(task.id),
                        "title": task.title,
                        "description": task.description or "",
                        "keywords": task.keywords or "",
                        "cluster_id": task.cluster_id,
                        "idea_id": task.idea_id,
                        "content_structure": task.content_structure,
                        "content_type": task.content_type,
                        "meta_title": task.meta_title,
                        "meta_description": task.meta_description,
                    },
                    "idea": None
                    if idea is None
                    else {
                        "id": int(idea.id),
                        "title": idea.idea_title,
                        "description": idea.description or "",
                        "content_structure": idea.content_structure,
                        "content_type": idea.content_type,
                        "estimated_word_count": int(idea.estimated_word_count or 0) or None,
                        "target_keywords": idea.target_keywords or "",
                    },
                    "cluster": None
                    if cluster is None
                    else {
                        "id": int(cluster.id),
                        "name": cluster.name,
                        "description": cluster.description or "",
                        "status": cluster.status,
                        "keywords": cluster_keywords.get(int(cluster.id), []),
                    },
                }
            )
        return {"tasks": items}

    def prep_message(self, data: dict[str, Any]) -> str:
        return "Preparing content idea"

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
        context = {
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
        answer = write_article(context)
        answer["offline_draft"] = True  # kept in Content.metadata: the article was not written by a model
        return answer

    # ------------------------------------------------------------ PARSE
    def parse_response(self, response: str, step_tracker: StepTracker | None = None) -> dict[str, Any]:
        """JSON with a "content" field, or plain text normalised to HTML (seed §4.3).

        An answer that starts like JSON but does not parse is rejected: treating a broken JSON
        answer as prose would store the model's syntax as the article.
        """
        text = (response or "").strip()
        if not text:
            raise AIResponseInvalid("the article answer is empty")
        looks_json = text.startswith("{") or (
            text.startswith("```") and text[3:].lstrip(" jsonJSON\n").startswith("{")
        )
        value: Any = None
        try:
            value = json.loads(text)
        except ValueError:
            found = extract_json(text) if looks_json or "```" in text else None
            if looks_json and found is None:
                raise AIResponseInvalid(
                    "the article answer looks like JSON but is not valid JSON; nothing was saved"
                ) from None
            if looks_json or (isinstance(found, dict) and any(k in found for k in CONTENT_ALIASES)):
                value = found
        if value is None:
            html = normalize_content(text)
            if not html:
                raise AIResponseInvalid("the article answer has no text")
            parsed: dict[str, Any] = {"content": html}
        elif isinstance(value, dict):
            content = next(
                (value[k] for k in CONTENT_ALIASES if isinstance(value.get(k), str) and value[k].strip()),
                None,
            )
            if content is None:
                raise AIResponseInvalid('the article answer has no "content" text')
            parsed = {k: v for k, v in value.items() if k not in CONTENT_ALIASES}
            parsed["content"] = content
        else:
            raise AIResponseInvalid(f"the article answer is a JSON {type(value).__name__}, not an object")
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
        content.primary_keyword = _text(parsed.get("primary_keyword"))
        content.secondary_keywords = split_list(parsed.get("secondary_keywords"))
        content.tags = split_list(parsed.get("tags"))
        content.categories = split_list(parsed.get("categories"))
        content.status = "draft"
        content.metadata = metadata
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
            step_tracker.add_response_step("SAVE", message=f"task {task_id}: {word_count} words")
        return {
            "count": 1,
            "tasks_updated": 1,
            "word_count": word_count,
            "task_id": task_id,
            "title": title,
            "content_created": created,
        }

    def on_item_failed(self, item: str, error: str, account: Account) -> None:
        """The task is marked failed with its error; its earlier article (if any) is left as it was."""
        try:
            task_id = int(item)
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
        articles = [
            {
                "task_id": r.get("task_id"),
                "title": r.get("title"),
                "word_count": int(r.get("word_count") or 0),
                "content_created": bool(r.get("content_created")),
            }
            for r in results
        ]
        return {
            "count": len(articles),
            "tasks_updated": len(articles),
            "word_count": sum(a["word_count"] for a in articles),
            "articles": articles,
        }

    def done_message(self, result: dict[str, Any]) -> str:
        message = f"{result.get('tasks_updated', 0)} article(s) saved"
        failed = int((result.get("items") or {}).get("failed") or 0)
        if failed:
            message += f", {failed} task(s) failed"
        return message
