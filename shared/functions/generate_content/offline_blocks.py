"""The offline article writer's building blocks: slots, sections and the text written into them.

Every paragraph, list and table comes from templates filled with the task's own keywords; choices
that need variety use a CRC-32 of the text, never ``hash()`` or randomness.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.ai.local.text import (
    COMMERCIAL,
    COMPARISON,
    HOW_TO,
    QUESTION,
    TOPIC,
    and_list,
    classify,
    comparison_sides,
    significant_terms,
    title_case,
    unique,
)


@dataclass
class Slot:
    """One H3 (or a bare H2 body) of the article and the text written for it."""

    heading: str
    content_type: str
    details: str
    keyword: str
    blocks: list[str] = field(default_factory=list)


@dataclass
class Section:
    heading: str
    slots: list[Slot] = field(default_factory=list)


def pick(options: Sequence[str], seed: str, round_: int) -> str:
    return options[(zlib.crc32(seed.encode("utf-8")) + round_) % len(options)]


def _usable(templates: Sequence[str], keyword: str, primary: str, related: Sequence[str]) -> list[str]:
    """Templates that will not repeat the keyword to itself (no related list, or it is the primary)."""
    others = [r for r in related if r.casefold() != keyword.casefold()]
    usable = [
        t
        for t in templates
        if (others or "{related}" not in t)
        and (keyword.casefold() != primary.casefold() or "{primary}" not in t)
    ]
    return usable or [t for t in templates if "{related}" not in t] or list(templates)


PARAGRAPHS = (
    "Readers who search for {kw} usually want a clear, practical answer they can act on. This part of "
    "the guide to {primary} gives that answer first and then the reasoning behind it.",
    "This section breaks {kw} into small decisions. Each one looks at the subject from a slightly "
    "different angle, so readers can pick what fits their own situation.",
    "It helps to read {kw} alongside {related}. These searches come from the same readers, so answering "
    "them together keeps the page useful and keeps related ideas in one place.",
    "A common follow-up to {kw} is what changes the overall result. The honest answer depends on the "
    "reader's goals, so this section lays out the trade-offs rather than a single rule.",
    "Before going further with {kw}, it is worth pausing on the basics: what it is, when it matters and "
    "what people usually get wrong about it. That context makes the rest of {primary} clearer.",
    "Anyone weighing options for {kw} should look at effort, cost and the result they care about most. "
    "Writing those three down makes the choices around {primary} far less confusing.",
    "Many readers arrive from a specific search such as {kw} and then look for the next step. Pointing "
    "them to {related} keeps the path through {primary} natural.",
    "What matters most with {kw} is consistency: once readers find an approach that works for them, "
    "repeating it the same way is what makes the outcome predictable.",
    "Beginners and experienced readers look at {kw} differently. Beginners need the essentials in plain "
    "words; experienced readers want the finer points. A good page on {primary} serves both.",
    "The quickest way to make sense of {kw} is to start from the goal. Once the goal is clear, the "
    "options narrow down and the next step becomes obvious.",
    "Questions about {kw} often come up together with {related}. Treating them as one subject avoids "
    "repeating the same ground and makes the answers easier to compare.",
    "Small details decide a lot when it comes to {kw}. Noting them down and checking them one at a time "
    "is the simplest way to see what actually makes a difference.",
)
_LIST_ITEMS = (
    "<strong>{Kw}</strong>: what it means in practice and when it matters.",
    "<strong>{Kw}</strong>: the questions readers ask first and where they are answered.",
    "<strong>{Kw}</strong>: how it connects to {primary}.",
)
_GENERIC_ITEMS = (
    "Start with the basics of {kw} before changing anything else.",
    "Change one thing at a time so you can tell what made the difference.",
    "Write down what you tried and what happened.",
    "Compare the result with what you expected from {primary}.",
)


def fill(template: str, keyword: str, primary: str, related: Sequence[str]) -> str:
    """Fill a text template; every inserted value is HTML-escaped."""
    return template.format(
        kw=f"<em>{html.escape(keyword)}</em>",
        Kw=html.escape(title_case(keyword)),
        primary=f"<strong>{html.escape(primary)}</strong>",
        related=html.escape(and_list(list(related)) or primary),
    )


def words_of(fragment: str) -> str:
    """The words of an HTML fragment, lower-cased: two paragraphs with the same words are one."""
    return " ".join(re.findall(r"\w+", html.unescape(re.sub(r"<[^>]+>", " ", fragment)).lower()))


def paragraph(
    slot: Slot, topic: str, primary: str, related: Sequence[str], round_: int, used: set[str] | None = None
) -> str:
    """A paragraph for ``slot``; with ``used`` (the article's paragraphs so far), never one of them
    (the next unused template is taken; "" when every template is used for this keyword)."""
    # The slot's keyword first; once its templates are used up, its related keywords in turn,
    # then the slot's own heading as the subject.
    pool = unique([slot.keyword, *related, topic.lower()]) if used is not None else [slot.keyword]
    for keyword in pool:
        others = [r for r in unique([slot.keyword, *related]) if r != keyword] or list(related)
        templates = _usable(PARAGRAPHS, keyword, primary, others)
        start = (zlib.crc32(f"{topic}|{keyword}".encode()) + round_) % len(templates)
        for offset in range(len(templates)):
            text = f"<p>{fill(templates[(start + offset) % len(templates)], keyword, primary, others)}</p>"
            key = words_of(text)
            if used is None or key not in used:
                if used is not None:
                    used.add(key)
                return text
    return ""


def _list_block(slot: Slot, primary: str, related: Sequence[str]) -> str:
    items = []
    for index, keyword in enumerate(unique([slot.keyword, *related])[:6]):
        templates = _usable(_LIST_ITEMS, keyword, primary, [])
        items.append(fill(pick(templates, keyword, index), keyword, primary, related))
    if len(items) < 3:
        items += [fill(t, slot.keyword, primary, related) for t in _GENERIC_ITEMS[: 4 - len(items)]]
    tag = "ol" if classify(slot.keyword) == HOW_TO or "step" in slot.heading.lower() else "ul"
    return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"


def _table_block(slot: Slot, keywords: Sequence[str]) -> str:
    """A comparison of the two sides of an "x vs y" keyword, else a keyword map of the article."""
    left, right = comparison_sides(slot.keyword)
    if right:
        sides = (left, right)
        side_stems = [{s for s, _ in significant_terms(side)} for side in sides]
        searches = [
            [k for k in keywords if stems & {s for s, _ in significant_terms(k)} and k != slot.keyword][:3]
            for stems in side_stems
        ]
        rows = [
            ("Related searches", *(", ".join(found) or "none in this list" for found in searches)),
            ("Keywords mentioning it", *(str(len(found)) for found in searches)),
        ]
        header = ("Aspect", title_case(left), title_case(right))
    else:
        header = ("Keyword", "Search type", "What the reader wants")
        wants = {
            HOW_TO: "Steps to follow",
            COMPARISON: "A side-by-side comparison",
            COMMERCIAL: "Options to choose from",
            QUESTION: "A direct answer",
            TOPIC: "An explanation",
        }
        rows = [
            (k, classify(k).replace("_", "-"), wants[classify(k)])
            for k in unique([slot.keyword, *keywords])[:6]
        ]
    head_html = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body_html = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head_html}</tr></thead><tbody>{body_html}</tbody></table>"


def related_to(keyword: str, keywords: Sequence[str], limit: int = 3) -> list[str]:
    stems = {s for s, _ in significant_terms(keyword)}
    scored = [
        (-len(stems & {s for s, _ in significant_terms(k)}), i, k)
        for i, k in enumerate(keywords)
        if k != keyword
    ]
    return [k for score, _, k in sorted(scored) if score < 0][:limit] or [
        k for k in keywords if k != keyword
    ][:limit]


def base_blocks(
    slot: Slot, topic: str, primary: str, keywords: Sequence[str], used: set[str] | None = None
) -> list[str]:
    related = related_to(slot.keyword, keywords)
    blocks = []
    if slot.details:
        # The brief's details as a sentence of the text (never a "Section brief:" label).
        detail = slot.details.strip().rstrip(".")
        blocks.append(f"<p>Here the focus is on {html.escape(detail[:1].lower() + detail[1:])}.</p>")
    blocks.append(paragraph(slot, topic, primary, related, 0, used))
    if slot.content_type == "list":
        blocks.append(_list_block(slot, primary, related))
    elif slot.content_type == "table":
        blocks.append(_table_block(slot, keywords))
    return [b for b in blocks if b]
