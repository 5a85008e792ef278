"""Offline article drafts from a writer task's title, outline and keywords, without an AI model.

The local provider answers ``generate_content`` with this module when no AI model is configured:
the draft follows the idea's outline (``shared.domain.outline``) or sections built from the
keywords, adds a FAQ from question keywords, and says plainly that it is an offline draft.
Choices that need variety use a CRC-32 of the text, never ``hash()`` or randomness.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence

from shared.ai.local.text import (
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
    analyse,
    and_list,
    classify,
    clean,
    content_type_for,
    headline,
    significant_terms,
    title_case,
    unique,
)
from shared.domain.content_html import count_words
from shared.domain.outline import Outline, parse_outline
from shared.domain.seo_checks import mentions
from shared.functions.generate_content.offline_blocks import (
    Section,
    Slot,
    base_blocks,
    paragraph,
    related_to,
)


def _keyword_list(value: object) -> list[str]:
    if isinstance(value, str):
        return unique(value.split(","))
    if isinstance(value, Iterable):
        return unique(str(v) for v in value)
    return []


def _sections(outline: Outline) -> list[Section]:
    """The writer's sections from an idea outline (``shared.domain.outline``)."""
    sections = []
    for part in outline.sections:
        heading = part.heading or (part.blocks[0].subheading if part.blocks else "")
        if not heading:
            continue
        slots = [Slot(b.subheading, b.kind, b.details, "") for b in part.blocks]
        sections.append(Section(heading, slots or [Slot("", "paragraph", "", "")]))
    return sections


def _sections_from_keywords(primary: str, secondary: Sequence[str]) -> list[Section]:
    """Sections when no outline exists: the basics, then one H2 per non-question keyword."""
    basics = Section(
        f"{title_case(primary)}: The Basics",
        [Slot(f"What {title_case(primary)} Means", "paragraph", "", primary)],
    )
    sections = [basics]
    for keyword in secondary:
        if classify(keyword) == QUESTION or len(sections) > MAX_KEYWORD_SECTIONS:
            continue
        kind = content_type_for(analyse([keyword])[0])
        sections.append(Section(headline(keyword), [Slot("", kind, "", keyword)]))
    if len(sections) == 1:
        sections.append(
            Section(f"Getting Started with {title_case(primary)}", [Slot("", "list", "", primary)])
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


def _assign_keywords(sections: Sequence[Section], primary: str, keywords: Sequence[str]) -> None:
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


def _faq(questions: Sequence[str], sections: Sequence[Section], primary: str) -> str:
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


def _render(sections: Sequence[Section]) -> str:
    parts = []
    for section in sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        for slot in section.slots:
            if slot.heading and slot.heading != section.heading:
                parts.append(f"<h3>{html.escape(slot.heading)}</h3>")
            parts.extend(slot.blocks)
    return "".join(parts)


def _expand(
    sections: Sequence[Section], primary: str, keywords: Sequence[str], budget: int, used: set[str]
) -> None:
    """Add paragraphs to the slots in turn until the body reaches ``budget`` words; no paragraph
    of the article is written twice (``used``)."""
    slots = [(section, slot) for section in sections for slot in section.slots]
    words_now = count_words(_render(sections))
    round_ = 1
    while words_now < budget:
        added = False
        for section, slot in slots:
            if words_now >= budget:
                break
            topic = slot.heading or section.heading
            block = paragraph(slot, topic, primary, related_to(slot.keyword, keywords), round_, used)
            if block:
                slot.blocks.append(block)
                words_now += count_words(block)
                added = True
        if not added:
            break  # every paragraph this article could take is in it
        round_ += 1


def _related(related: Sequence[dict]) -> str:
    """Links to the article's siblings (their titles and planned URLs), when it has any."""
    links = [
        f'<li><a href="{html.escape(str(r["url"]), quote=True)}">{html.escape(str(r["title"]))}</a></li>'
        for r in related[:6]
        if r.get("url") and r.get("title")
    ]
    if not links:
        return ""
    return "<h2>Related Articles</h2><p>More on this topic on this site:</p><ul>" + "".join(links) + "</ul>"


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


#: The meta description's length the on-page checks ask for (shared.domain.seo_checks).
META_DESCRIPTION_MIN = 120
_DESCRIPTION_FILLERS = (
    "A practical guide with the main questions answered.",
    "Offline draft: review it before publishing.",
    "Clear steps, trade-offs and what to do next.",
    "Tips and next steps inside.",
    "A draft to review.",
    "Read on.",
)


def _meta_description(title: str, primary: str, secondary: Sequence[str]) -> str:
    """120-160 characters: the title, what it covers, and that it is a draft to review."""
    text = f"{title}: {primary} explained"
    if secondary:
        text += f", with {and_list(list(secondary[:3]))}"
    text = _shorten(text + ".", META_DESCRIPTION_LIMIT)
    for filler in _DESCRIPTION_FILLERS:
        if len(text) >= META_DESCRIPTION_MIN:
            break
        if len(text) + 1 + len(filler) <= META_DESCRIPTION_LIMIT:
            text = f"{text} {filler}"
    return text


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
    content_structure, estimated_word_count and related (``[{title, url}]``: the sibling articles
    it links to under "Related Articles"). The HTML opens by saying it is an offline draft
    written without an AI model, follows the outline (or the description's JSON outline, or sections
    built from the keywords), adds a FAQ from question keywords, and aims at the estimated word count
    (at most 2,000 words). Only h2, h3, p, ul, ol, li, table, thead, tbody, tr, th, td, strong, em and a
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
    if not any(mentions(section.heading, primary) for section in sections):
        # The primary keyword in at least one H2 (the on-page checks): a basics section first.
        basics = f"{title_case(primary)}: The Basics"
        sections.insert(
            0, Section(basics, [Slot(f"What {title_case(primary)} Means", "paragraph", "", primary)])
        )
    if not mentions(title, primary):
        title = f"{title_case(primary)}: {title}"
    _assign_keywords(sections, primary, keywords)
    used: set[str] = set()
    for section in sections:
        for slot in section.slots:
            slot.blocks = base_blocks(slot, slot.heading or section.heading, primary, keywords, used)

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
    faq = _faq(questions, sections, primary) + _related(context.get("related") or [])
    _expand(sections, primary, keywords, target - count_words(opening) - count_words(faq), used)
    content = opening + _render(sections) + faq
    return {
        "content": content,
        "title": title,
        "meta_title": _meta_title(title),
        "meta_description": _meta_description(title, primary, secondary),
        "primary_keyword": primary,
        "secondary_keywords": secondary,
        "tags": _tags(keywords),
        "categories": [cluster_name or title_case(primary)],
        "word_count": count_words(content),
    }
