"""generate_content's on-page checks and its one revision call.

Every saved article is checked (``shared.domain.seo_checks``) against its task: the primary
keyword (the model's, else the task's first keyword), the secondary keywords, the idea's word
count, the site's language and host. An article that passes is a ``draft``; one that fails is
saved as ``review``. A model's article that fails gets one revision call in the job's second
stage (``revise``): the article and the failing checks, worded as instructions, go back to the
model; the corrected article is checked again and saved as ``draft`` or, if anything still
fails, ``review``: never silently. Offline drafts are not revised (no model to ask).
"""

from __future__ import annotations

from typing import Any

from shared.ai.prompts import PromptRegistry, data_block
from shared.db.models import Content
from shared.db.repo import batch_get
from shared.domain.outline import split_list
from shared.domain.seo_checks import SeoReport, check_article, describe_failures

WRITE_STAGE = "write"
REVISE_STAGE = "revise"

REVISION_PROMPT = """You are an expert SEO editor. The article below fails these on-page checks:
[IGNY8_FAILING_CHECKS]

The article:
[IGNY8_ARTICLE]

Keywords to cover:
[IGNY8_KEYWORDS]

Rewrite the complete article so that every check above passes, and keep what already works
(the outline, the facts, the HTML tags allowed: h2, h3, p, ul, ol, li, table, strong, em, a).
Return JSON with the same fields: {"content": "<h2>...</h2><p>...</p>", "title": "...",
"meta_title": "...", "meta_description": "...", "primary_keyword": "...",
"secondary_keywords": ["..."], "tags": ["..."], "categories": ["..."]}
"""


SECONDARY_LINE = "use more of the secondary keywords listed in MISSING_KEYWORDS below"


def task_keywords(data: dict[str, Any]) -> list[str]:
    task = data.get("task") or {}
    idea = data.get("idea") or {}
    return split_list(task.get("keywords") or idea.get("target_keywords") or "")


def article_report(content: Content, data: dict[str, Any]) -> SeoReport:
    """The on-page checks of ``content``, the article of the task in ``data`` (PREP's item data)."""
    keywords = task_keywords(data)
    primary = content.primary_keyword or (keywords[0] if keywords else None)
    secondary = list(content.secondary_keywords or []) or [k for k in keywords if k != primary]
    site = data.get("site") or {}
    return check_article(
        content.html_content or "",
        title=content.title,
        meta_title=content.meta_title,
        meta_description=content.meta_description,
        primary_keyword=primary,
        secondary_keywords=secondary,
        target_words=(data.get("idea") or {}).get("estimated_word_count"),
        lang=site.get("language") or "en",
        site_host=site.get("domain"),
        min_internal_links=int(data.get("min_internal_links") or 0),
    )


def revision_items(
    account_id: str, written: list[dict[str, Any]], task_data: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The revise stage's items: the written articles that need a revision, with their text now."""
    wanted = [int(r["task_id"]) for r in written if r.get("needs_revision")]
    items = []
    for content in batch_get(Content, account_id, wanted, consistent_read=True):
        data = task_data.get(int(content.task_id))
        if data is None:
            continue
        report = article_report(content, data)
        if not report.failing:
            continue
        items.append(
            {
                **data,
                "article": {
                    "title": content.title,
                    "meta_title": content.meta_title,
                    "meta_description": content.meta_description,
                    "primary_keyword": content.primary_keyword,
                    "secondary_keywords": list(content.secondary_keywords or []),
                    "tags": list(content.tags or []),
                    "categories": list(content.categories or []),
                    "content": content.html_content or "",
                },
                "failing_checks": report.failing,
                # Keyword text is data: the line of that check points at a data block instead.
                "instructions": [
                    SECONDARY_LINE if name == "secondary_keywords_used" else line
                    for name, line in zip(report.failing, describe_failures(report), strict=True)
                ],
                "missing_keywords": report.details["secondary_keywords_missing"],
            }
        )
    return items


def revision_prompt(data: dict[str, Any]) -> str:
    context = {
        "FAILING_CHECKS": "\n".join(f"- {line}" for line in data["instructions"]),
        "ARTICLE": data_block("ARTICLE", data["article"], "the article to revise"),
        "KEYWORDS": data_block("TARGET_KEYWORDS", task_keywords(data), "keywords to cover")
        + "\n"
        + data_block(
            "MISSING_KEYWORDS", data.get("missing_keywords") or [], "secondary keywords not used yet"
        ),
    }
    return PromptRegistry.ensure_json_instruction(PromptRegistry.render(REVISION_PROMPT, context))
