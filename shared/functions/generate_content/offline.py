"""Offline article drafts from a writer task's title, outline and keywords, without an AI model.

The local provider answers ``generate_content`` with this module when no AI model is configured:
the draft follows the idea's outline (``shared.domain.outline``) or sections built from the
keywords, adds a FAQ from question keywords, and says plainly that it is an offline draft.
Choices that need variety use a CRC-32 of the text, never ``hash()`` or randomness.
"""

from __future__ import annotations

import html
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shared.ai.local.text import (
    COMMERCIAL,
    COMPARISON,
    DEFAULT_WORD_COUNT,
    HOW_TO,
    MAX_FAQ,
    MAX_KEYWORD_SECTIONS,
    MAX_WORD_COUNT,
    META_DESCRIPTION_LIMIT,
    META_TITLE_LIMIT,
    MIN_WORD_COUNT,
    OFFLINE_TAG,
    QUESTION,
    TOPIC,
    analyse,
    and_list,
    classify,
    clean,
    comparison_sides,
    content_type_for,
    headline,
    significant_terms,
    title_case,
    unique,
)
from shared.domain.content_html import count_words
from shared.domain.outline import Outline, parse_outline


@dataclass
class _Slot:
    """One H3 (or a bare H2 body) of the article and the text written for it."""

    heading: str
    content_type: str
    details: str
    keyword: str
    blocks: list[str] = field(default_factory=list)


@dataclass
class _Section:
    heading: str
    slots: list[_Slot] = field(default_factory=list)


def _keyword_list(value: object) -> list[str]:
    if isinstance(value, str):
        return unique(value.split(","))
    if isinstance(value, Iterable):
        return unique(str(v) for v in value)
    return []


def _sections(outline: Outline) -> list[_Section]:
    """The writer's sections from an idea outline (``shared.domain.outline``)."""
    sections = []
    for part in outline.sections:
        heading = part.heading or (part.blocks[0].subheading if part.blocks else "")
        if not heading:
            continue
        slots = [_Slot(b.subheading, b.kind, b.details, "") for b in part.blocks]
        sections.append(_Section(heading, slots or [_Slot("", "paragraph", "", "")]))
    return sections


def _sections_from_keywords(primary: str, secondary: Sequence[str]) -> list[_Section]:
    """Sections when no outline exists: the basics, then one H2 per non-question keyword."""
    basics = _Section(
        f"{title_case(primary)}: The Basics",
        [_Slot(f"What {title_case(primary)} Means", "paragraph", "", primary)],
    )
    sections = [basics]
    for keyword in secondary:
        if classify(keyword) == QUESTION or len(sections) > MAX_KEYWORD_SECTIONS:
            continue
        kind = content_type_for(analyse([keyword])[0])
        sections.append(_Section(headline(keyword), [_Slot("", kind, "", keyword)]))
    if len(sections) == 1:
        sections.append(
            _Section(f"Getting Started with {title_case(primary)}", [_Slot("", "list", "", primary)])
        )
    return sections


def _best_match(
    pool: Sequence[str], stems: dict[str, set[str]], slot_terms: set[str], section_terms: set[str]
) -> str:
    """Keyword sharing most terms with the H3 and details, then with the H2; fewer extras, then earliest."""

    def score(item: tuple[int, str]) -> tuple[int, int, int, int]:
        index, keyword = item
        mine = stems[keyword]
        return (len(mine & slot_terms), len(mine & section_terms), -len(mine - slot_terms), -index)

    return max(enumerate(pool), key=score)[1]


def _assign_keywords(sections: Sequence[_Section], primary: str, keywords: Sequence[str]) -> None:
    """Give every slot the keyword its own heading names, else the best term overlap, else rotate.

    Overlap with the H3 and its details counts before overlap with the H2; fewer unmatched terms and
    an earlier position break ties.
    """
    pool = list(keywords) or [primary]
    stems = {k: {s for s, _ in significant_terms(k)} for k in pool}
    named = {headline(k).casefold().rstrip("?"): k for k in reversed(pool)}
    position = 0
    for section in sections:
        section_terms = {s for s, _ in significant_terms(section.heading)}
        for slot in section.slots:
            if slot.keyword:
                continue
            own = slot.heading.casefold().rstrip("?") or section.heading.casefold().rstrip("?")
            if own in named:
                slot.keyword = named[own]
                continue
            slot_terms = {s for s, _ in significant_terms(f"{slot.heading} {slot.details}")}
            best = _best_match(pool, stems, slot_terms, section_terms)
            if stems[best] & (slot_terms | section_terms):
                slot.keyword = best
            else:
                slot.keyword = pool[position % len(pool)]
                position += 1


def _pick(options: Sequence[str], seed: str, round_: int) -> str:
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


_PARAGRAPHS = (
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


def _fill(template: str, keyword: str, primary: str, related: Sequence[str]) -> str:
    """Fill a text template; every inserted value is HTML-escaped."""
    return template.format(
        kw=f"<em>{html.escape(keyword)}</em>",
        Kw=html.escape(title_case(keyword)),
        primary=f"<strong>{html.escape(primary)}</strong>",
        related=html.escape(and_list(list(related)) or primary),
    )


def _paragraph(slot: _Slot, topic: str, primary: str, related: Sequence[str], round_: int) -> str:
    templates = _usable(_PARAGRAPHS, slot.keyword, primary, related)
    text = _fill(_pick(templates, f"{topic}|{slot.keyword}", round_), slot.keyword, primary, related)
    return f"<p>{text}</p>"


def _list_block(slot: _Slot, primary: str, related: Sequence[str]) -> str:
    items = []
    for index, keyword in enumerate(unique([slot.keyword, *related])[:6]):
        templates = _usable(_LIST_ITEMS, keyword, primary, [])
        items.append(_fill(_pick(templates, keyword, index), keyword, primary, related))
    if len(items) < 3:
        items += [_fill(t, slot.keyword, primary, related) for t in _GENERIC_ITEMS[: 4 - len(items)]]
    tag = "ol" if classify(slot.keyword) == HOW_TO or "step" in slot.heading.lower() else "ul"
    return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"


def _table_block(slot: _Slot, keywords: Sequence[str]) -> str:
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


def _related_to(keyword: str, keywords: Sequence[str], limit: int = 3) -> list[str]:
    stems = {s for s, _ in significant_terms(keyword)}
    scored = [
        (-len(stems & {s for s, _ in significant_terms(k)}), i, k)
        for i, k in enumerate(keywords)
        if k != keyword
    ]
    return [k for score, _, k in sorted(scored) if score < 0][:limit] or [
        k for k in keywords if k != keyword
    ][:limit]


def _base_blocks(slot: _Slot, topic: str, primary: str, keywords: Sequence[str]) -> list[str]:
    related = _related_to(slot.keyword, keywords)
    blocks = []
    if slot.details:
        blocks.append(f"<p><em>Section brief:</em> {html.escape(slot.details)}</p>")
    if slot.content_type == "list":
        blocks.append(_paragraph(slot, topic, primary, related, 0))
        blocks.append(_list_block(slot, primary, related))
    elif slot.content_type == "table":
        blocks.append(_paragraph(slot, topic, primary, related, 0))
        blocks.append(_table_block(slot, keywords))
    else:
        blocks.append(_paragraph(slot, topic, primary, related, 0))
    return blocks


def _faq(questions: Sequence[str], sections: Sequence[_Section], primary: str) -> str:
    """FAQ section: each question keyword points to the section that covers its terms."""
    if not questions:
        return ""
    parts = ["<h2>Frequently Asked Questions</h2>"]
    for question in questions[:MAX_FAQ]:
        wanted = {s for s, _ in significant_terms(question)}
        best = max(
            sections,
            key=lambda sec: len(
                wanted
                & {
                    s
                    for text in (sec.heading, *(f"{x.heading} {x.keyword}" for x in sec.slots))
                    for s, _ in significant_terms(text)
                }
            ),
        )
        parts.append(f"<h3>{html.escape(headline(question))}</h3>")
        parts.append(
            f"<p>Readers asking <em>{html.escape(question)}</em> will find the answer in the section "
            f"&ldquo;{html.escape(best.heading)}&rdquo; above, which treats it as part of "
            f"<strong>{html.escape(primary)}</strong>. The short version: start from that section, then "
            f"check the points that match your own situation.</p>"
        )
    return "".join(parts)


def _render(sections: Sequence[_Section]) -> str:
    parts = []
    for section in sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        for slot in section.slots:
            if slot.heading and slot.heading != section.heading:
                parts.append(f"<h3>{html.escape(slot.heading)}</h3>")
            parts.extend(slot.blocks)
    return "".join(parts)


def _expand(sections: Sequence[_Section], primary: str, keywords: Sequence[str], budget: int) -> None:
    """Add paragraphs to the slots in turn until the body reaches ``budget`` words."""
    slots = [(section, slot) for section in sections for slot in section.slots]
    words_now = count_words(_render(sections))
    round_ = 1
    while words_now < budget and round_ <= len(_PARAGRAPHS):
        for section, slot in slots:
            if words_now >= budget:
                break
            topic = slot.heading or section.heading
            block = _paragraph(slot, topic, primary, _related_to(slot.keyword, keywords), round_)
            if block in slot.blocks:
                continue
            slot.blocks.append(block)
            words_now += count_words(block)
        round_ += 1


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary so the result is at most ``limit`` characters."""
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut[:limit].rstrip(" ,;:-|")


def _meta_title(title: str) -> str:
    if len(title) <= META_TITLE_LIMIT:
        return title
    lead = title.split(":", 1)[0].strip()
    return lead if 0 < len(lead) <= META_TITLE_LIMIT else _shorten(title, META_TITLE_LIMIT)


def _meta_description(primary: str, secondary: Sequence[str]) -> str:
    text = f"Offline draft on {primary}"
    if secondary:
        text += f", covering {and_list(list(secondary[:3]))}"
    return _shorten(text + ".", META_DESCRIPTION_LIMIT)


def _tags(keywords: Sequence[str]) -> list[str]:
    coverage: Counter[str] = Counter()
    forms: dict[str, str] = {}
    for keyword in keywords:
        pairs = significant_terms(keyword)
        coverage.update(dict.fromkeys((s for s, _ in pairs), 1))
        for stem_, surface in pairs:
            forms.setdefault(stem_, surface)
    top = [forms[s] for s, _ in sorted(coverage.items(), key=lambda x: -x[1])[:5]]
    return unique([*keywords[:3], *top, OFFLINE_TAG])


def write_article(context: dict) -> dict:
    """Write an article draft offline from a writer task's title, outline and keywords.

    ``context`` carries title, description, outline ("## H2" / "### H3" / "Content Type:" /
    "Details:" lines), keywords (list or comma string), cluster_name, content_type,
    content_structure and estimated_word_count. The HTML opens by saying it is an offline draft
    written without an AI model, follows the outline (or the description's JSON outline, or sections
    built from the keywords), adds a FAQ from question keywords, and aims at the estimated word count
    (at most 2,000 words). Only h2, h3, p, ul, ol, li, table, thead, tbody, tr, th, td, strong and em
    are used, and all input text is escaped.
    """
    title = clean(context.get("title"))
    cluster_name = clean(context.get("cluster_name"))
    keywords = _keyword_list(context.get("keywords"))
    primary = keywords[0] if keywords else clean(" ".join(s for _, s in significant_terms(title)[:4]))
    primary = primary or title or cluster_name or "this topic"
    keywords = keywords or [primary]
    title = title or title_case(primary)
    secondary = [k for k in keywords if k.casefold() != primary.casefold()][:10]
    estimate = context.get("estimated_word_count")
    target = estimate if isinstance(estimate, int) and estimate > 0 else DEFAULT_WORD_COUNT
    target = max(MIN_WORD_COUNT, min(MAX_WORD_COUNT, target))

    sections = (
        _sections(parse_outline(str(context.get("outline") or "")))
        or _sections(parse_outline(str(context.get("description") or "")))
        or _sections_from_keywords(primary, secondary)
    )
    _assign_keywords(sections, primary, keywords)
    for section in sections:
        for slot in section.slots:
            slot.blocks = _base_blocks(slot, slot.heading or section.heading, primary, keywords)

    headings = {clean(s.heading).casefold().rstrip("?") for s in sections}
    headings |= {clean(slot.heading).casefold().rstrip("?") for s in sections for slot in s.slots}
    headings.add(primary.casefold().rstrip("?"))
    questions = [
        k for k in keywords if classify(k) in (QUESTION, HOW_TO) and k.casefold().rstrip("?") not in headings
    ]
    opening = (
        f"<p><strong>Offline draft:</strong> this article on <strong>{html.escape(primary)}</strong> was "
        f"written by the engine's local writer without an AI model. It follows the outline and uses the "
        f"keywords of this task ({html.escape(and_list(keywords[:4]))}); review and expand it before "
        f"publishing.</p>"
    )
    faq = _faq(questions, sections, primary)
    _expand(sections, primary, keywords, target - count_words(opening) - count_words(faq))
    content = opening + _render(sections) + faq
    return {
        "content": content,
        "title": title,
        "meta_title": _meta_title(title),
        "meta_description": _meta_description(primary, secondary),
        "primary_keyword": primary,
        "secondary_keywords": secondary,
        "tags": _tags(keywords),
        "categories": [cluster_name or title_case(primary)],
        "word_count": count_words(content),
    }
