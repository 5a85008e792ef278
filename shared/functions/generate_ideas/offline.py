"""Offline ideas: outlines built from a cluster's own keywords, without an AI model.

The local provider answers ``generate_ideas`` with this module when no AI model is configured.
Nothing is canned: the cluster's head keyword is the one whose terms the other keywords share
most; a hub idea covers it and groups the other keywords by their leading extra term;
supporting ideas take one how-to, commercial, comparison, question or long-tail keyword each.
Everything produced says plainly that it is an offline draft.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shared.ai.local.text import (
    COMMERCIAL,
    COMPARISON,
    CONTENT_TYPES,
    HOW_TO,
    MAX_FAQ,
    MAX_HUB_SECTIONS,
    MAX_SUBSECTIONS,
    QUESTION,
    TOPIC,
    ClusterView,
    KeywordInfo,
    and_list,
    beyond_head,
    clean,
    cluster_view,
    comparison_sides,
    content_type_for,
    headline,
    rarity,
    subtopics,
    title_case,
    unique,
)


@dataclass
class _Idea:
    """One idea before it is serialised."""

    title: str
    kind: str
    structure: str
    introduction: str
    sections: list[dict]
    covered: list[str]


def _subsection(heading: str, content_type: str, details: str) -> dict:
    return {"subheading": heading, "content_type": content_type, "details": details}


def _keyword_subsection(keyword: KeywordInfo, head: str) -> dict:
    """An H3 about one keyword, with what to cover."""
    if keyword.kind == COMPARISON:
        details = f'Compare the two sides of "{keyword.text}" point by point and say who each suits.'
    elif keyword.kind == HOW_TO:
        details = f'Give the steps for "{keyword.text}" in order, with what to check after each one.'
    elif keyword.kind == COMMERCIAL:
        details = f'List the options behind "{keyword.text}" with the criteria that separate them.'
    elif keyword.kind == QUESTION:
        details = f'Answer "{keyword.text}" in the first sentence, then give the reasons.'
    elif keyword.text.casefold() == head.casefold():
        details = f'Define "{head}" and what readers should know first.'
    else:
        details = f'Explain "{keyword.text}" and how it relates to {head}.'
    return _subsection(headline(keyword.text), content_type_for(keyword), details)


def _hub_idea(view: ClusterView, cluster_name: str) -> _Idea:
    """The pillar page: the head keyword, with the cluster's other keywords grouped by subtopic."""
    head = view.head.text
    used = {head.casefold()}
    sections: list[dict] = [
        {
            "heading": f"{title_case(head)}: The Basics",
            "subsections": [
                _subsection(f"What {title_case(head)} Means", "paragraph", f"Define {head} in plain words."),
                _subsection(
                    f"Key Terms Around {title_case(head)}",
                    "list",
                    "Introduce the terms this cluster's searches use: "
                    + and_list([view.forms[s] for s in subtopics(view)[:6]] or [head])
                    + ".",
                ),
            ],
        }
    ]
    questions: list[KeywordInfo] = []
    for stem_ in subtopics(view):
        if len(sections) > MAX_HUB_SECTIONS:
            break
        members = [k for k in view.keywords if stem_ in k.stems and k.text.casefold() not in used]
        questions.extend(k for k in members if k.kind == QUESTION and k not in questions)
        members = [k for k in members if k.kind != QUESTION]
        if not members:
            continue
        lead = min(members, key=lambda k: (len(k.stems), view.keywords.index(k)))
        rest = [k for k in members if k is not lead][:MAX_SUBSECTIONS]
        subsections = [_keyword_subsection(k, head) for k in rest]
        if not subsections:
            lone = _keyword_subsection(lead, head)
            lone["subheading"] = f"{headline(lead.text)}: Key Points"
            subsections = [lone]
        sections.append({"heading": headline(lead.text), "subsections": subsections})
        used.update(k.text.casefold() for k in [lead, *rest])
    questions = [q for q in questions if q.text.casefold() not in used][:MAX_FAQ]
    questions += [k for k in view.keywords if k.kind == QUESTION and k not in questions][
        : max(0, 3 - len(questions))
    ]
    if questions:
        sections.append(
            {
                "heading": "Frequently Asked Questions",
                "subsections": [_keyword_subsection(q, head) for q in questions[:MAX_FAQ]],
            }
        )
        used.update(q.text.casefold() for q in questions[:MAX_FAQ])
    leads = [s["heading"] for s in sections[1:] if s["heading"] != "Frequently Asked Questions"]
    by_heading = {headline(k.text): k for k in view.keywords}
    extra = unique(beyond_head(by_heading[h], view.head) for h in leads if h in by_heading)[:3]
    title = f"{title_case(head)}: The Complete Guide"
    if extra:
        title = f"{title_case(head)}: A Complete Guide to {title_case(and_list(extra))}"
    covered = [head, *[k.text for k in view.keywords if k.text.casefold() in used and k.text != head]]
    intro = (
        f"Offline draft idea (written without an AI model): the hub page of the {cluster_name} cluster, "
        f"built around {head!r} and linking to pages on {and_list(covered[1:4]) or head}."
    )
    return _Idea(title, "guide", "cluster_hub", intro, sections, covered)


def _related(view: ClusterView, focus: KeywordInfo, limit: int = 4) -> list[KeywordInfo]:
    """Other keywords sharing a term with ``focus`` other than the head's, most overlap first."""
    head = set(view.head.stems)
    own = set(focus.stems) - head or set(focus.stems)
    scored = []
    for index, keyword in enumerate(view.keywords):
        if keyword is focus:
            continue
        overlap = len(own.intersection(keyword.stems))
        if overlap:
            scored.append((-overlap, index, keyword))
    return [k for _, _, k in sorted(scored, key=lambda x: (x[0], x[1]))][:limit]


def _supporting_sections(view: ClusterView, focus: KeywordInfo, related: list[KeywordInfo]) -> list[dict]:
    """Outline of a supporting page, shaped by the kind of its focus keyword."""
    head = view.head.text
    text = focus.text
    subs = [_keyword_subsection(k, head) for k in related[:MAX_SUBSECTIONS]]
    if focus.kind == COMPARISON:
        left, right = comparison_sides(text)
        return [
            {
                "heading": f"{title_case(left)} vs {title_case(right)} at a Glance",
                "subsections": [
                    _subsection("Side-by-Side Comparison", "table", f"Compare {left} and {right}.")
                ],
            },
            {
                "heading": f"When to Choose {title_case(left)}",
                "subsections": [
                    _subsection(f"Who {title_case(left)} Suits", "paragraph", f"Cases for {left}.")
                ],
            },
            {
                "heading": f"When to Choose {title_case(right)}",
                "subsections": [
                    _subsection(f"Who {title_case(right)} Suits", "paragraph", f"Cases for {right}.")
                ],
            },
            {"heading": "Related Questions", "subsections": subs or [_keyword_subsection(view.head, head)]},
        ]
    if focus.kind == HOW_TO:
        return [
            {
                "heading": "What You Need",
                "subsections": [_subsection("Checklist", "list", f"Everything needed before: {text}.")],
            },
            {
                "heading": f"{headline(text)}: Step by Step",
                "subsections": [
                    _subsection("The Steps", "list", f"The steps of {text}, in order."),
                    *subs[:2],
                ],
            },
            {
                "heading": "Common Mistakes",
                "subsections": [_subsection("What to Avoid", "list", f"Mistakes people make with {head}.")],
            },
        ]
    if focus.kind == COMMERCIAL:
        return [
            {
                "heading": "How to Compare the Options",
                "subsections": [_subsection("What Matters Most", "list", f"Criteria for choosing: {text}.")],
            },
            {
                "heading": f"{headline(text)}: The Shortlist",
                "subsections": [
                    _subsection("Options at a Glance", "table", f"Options for {text}."),
                    *subs[:2],
                ],
            },
            {
                "heading": "Buying Tips",
                "subsections": [
                    _subsection("Before You Buy", "list", f"What to check before buying {head}.")
                ],
            },
        ]
    if focus.kind == QUESTION:
        return [
            {
                "heading": "The Short Answer",
                "subsections": [_subsection(headline(text), "paragraph", f"Answer {text!r} directly.")],
            },
            {"heading": "The Details", "subsections": subs or [_keyword_subsection(view.head, head)]},
        ]
    return [
        {
            "heading": f"{headline(text)} Explained",
            "subsections": [_subsection(f"Why {headline(text)} Matters", "paragraph", f"Explain {text}.")],
        },
        {
            "heading": f"More on {title_case(head)}",
            "subsections": subs or [_keyword_subsection(view.head, head)],
        },
    ]


_TITLE_PATTERNS = {
    HOW_TO: "{kw}: Step-by-Step Guide",
    COMPARISON: "{kw}: Key Differences Explained",
    COMMERCIAL: "{kw}: Options Compared",
    QUESTION: "{kw} What to Know",
    TOPIC: "{kw}: What You Should Know",
}
_FALLBACK_PATTERNS = (
    ("{kw} for Beginners: Where to Start", "guide"),
    ("{kw}: Common Mistakes and How to Avoid Them", "blog_post"),
    ("{kw}: Frequently Asked Questions", "article"),
    ("{kw} Checklist", "blog_post"),
)


def _supporting_candidates(view: ClusterView) -> list[KeywordInfo]:
    """Focus keywords for supporting pages: kinds in turn (how-to, commercial, comparison, ...)."""
    queues: dict[str, list[KeywordInfo]] = {
        kind: [] for kind in (HOW_TO, COMMERCIAL, COMPARISON, QUESTION, TOPIC)
    }
    for keyword in view.keywords:
        if keyword is view.head:
            continue
        if keyword.kind == TOPIC and len(keyword.stems) < 2:
            continue
        queues[keyword.kind].append(keyword)
    ordered: list[KeywordInfo] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _supporting_idea(view: ClusterView, focus: KeywordInfo, cluster_name: str) -> _Idea:
    related = _related(view, focus)
    title = _TITLE_PATTERNS[focus.kind].format(kw=headline(focus.text))
    covered = [focus.text, *[k.text for k in related]]
    intro = (
        f"Offline draft idea (written without an AI model): a supporting page of the {cluster_name} "
        f"cluster answering {focus.text!r}, linking back to the {view.head.text!r} hub."
    )
    sections = _supporting_sections(view, focus, related)
    return _Idea(title, CONTENT_TYPES[focus.kind], "supporting_page", intro, sections, covered)


def _fallback_idea(view: ClusterView, pattern: str, content_type: str, cluster_name: str) -> _Idea:
    head = view.head
    related = [k for k in view.keywords if k is not head][:MAX_SUBSECTIONS]
    intro = (
        f"Offline draft idea (written without an AI model): a supporting page of the {cluster_name} "
        f"cluster for readers new to {head.text!r}."
    )
    subs = [_keyword_subsection(k, head.text) for k in related] or [
        _subsection(f"{title_case(head.text)} in Practice", "paragraph", f"Practical points on {head.text}.")
    ]
    sections = [{"heading": title_case(head.text), "subsections": subs}]
    return _Idea(
        pattern.format(kw=title_case(head.text)),
        content_type,
        "supporting_page",
        intro,
        sections,
        [head.text, *[k.text for k in related]],
    )


def _estimate(idea: _Idea) -> int:
    """Words to aim for: 250 plus 180 per subsection, rounded to 50, within sensible bounds."""
    subsections = sum(len(s["subsections"]) for s in idea.sections)
    low, high = (1200, 2500) if idea.structure == "cluster_hub" else (600, 1800)
    return int(round(min(high, max(low, 250 + 180 * subsections)) / 50) * 50)


def _idea_stream(view: ClusterView, name: str) -> Iterator[_Idea]:
    """Ideas for one cluster, best first: the hub, supporting pages, then fallback angles."""
    yield _hub_idea(view, name)
    for focus in _supporting_candidates(view):
        yield _supporting_idea(view, focus, name)
    for pattern, content_type in _FALLBACK_PATTERNS:
        yield _fallback_idea(view, pattern, content_type, name)


def _keywords_of(cluster: dict) -> list[str]:
    keywords = cluster.get("keywords") or []
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    return [str(k) for k in keywords]


def _cluster_ideas(cluster: dict, count: int, titles: set[str], rarity: dict[str, float]) -> list[dict]:
    """Up to ``count`` ideas for one cluster, titles not already in ``titles``."""
    name = clean(cluster.get("name")) or "Untitled"
    view = cluster_view(_keywords_of(cluster), name, rarity)
    result: list[dict] = []
    for idea in _idea_stream(view, name):
        if len(result) >= count:
            break
        if idea.title.casefold() in titles:
            continue
        titles.add(idea.title.casefold())
        result.append(_serialise(idea, cluster, name))
    return result


def _serialise(idea: _Idea, cluster: dict, name: str) -> dict:
    cluster_id = cluster.get("id")
    return {
        "title": idea.title,
        "description": {"introduction": idea.introduction, "sections": idea.sections},
        "content_type": idea.kind,
        "content_structure": idea.structure,
        "cluster_id": int(cluster_id)
        if isinstance(cluster_id, int | str) and str(cluster_id).isdigit()
        else 0,
        "cluster_name": name,
        "estimated_word_count": _estimate(idea),
        "covered_keywords": ", ".join(unique(idea.covered)),
    }


def write_ideas(cluster_data: list[dict], ideas_per_cluster: int = 3) -> dict:
    """Propose content ideas for each cluster offline, from the cluster's own keywords.

    ``cluster_data`` rows carry ``id``, ``name``, ``description`` and ``keywords``. The first idea of a
    cluster is its hub (pillar) page around the head keyword; the others are supporting pages, each
    focused on one how-to, commercial, comparison, question or long-tail keyword of the cluster, and
    when those run out, beginner / mistakes / FAQ / checklist angles on the head keyword. Titles are
    unique across the answer. Returns ``{"ideas": [...]}`` in the shape the LLM is asked for.
    """
    titles: set[str] = set()
    ideas: list[dict] = []
    term_rarity = rarity([_keywords_of(c) for c in cluster_data])
    for cluster in cluster_data:
        ideas.extend(_pillar_idea(cluster, titles))
        ideas.extend(_cluster_ideas(cluster, max(0, int(ideas_per_cluster)), titles, term_rarity))
    return {"ideas": ideas}


def _pillar_idea(cluster: dict, titles: set[str]) -> list[dict]:
    """The pillar page of a pillar's hub cluster: one section per cluster of the pillar."""
    covers = [clean(n) for n in cluster.get("pillar_clusters") or [] if clean(n)]
    if not cluster.get("pillar_hub") or not covers:
        return []
    name = clean(cluster.get("name")) or "Untitled"
    title = f"{title_case(name)}: The Complete Guide"
    if title.casefold() in titles:
        return []
    titles.add(title.casefold())
    sections = [
        {
            "heading": title_case(topic),
            "subsections": [
                {
                    "subheading": f"What to Know About {title_case(topic)}",
                    "content_type": "paragraph",
                    "details": f"Summarise {topic} and link to its cluster page.",
                }
            ],
        }
        for topic in [name, *covers][: MAX_HUB_SECTIONS + 3]
    ]
    return [
        {
            "title": title,
            "description": {
                "introduction": f"Offline draft: the pillar page of {name}, linking the {len(covers) + 1} topics of the pillar.",
                "sections": sections,
            },
            "content_type": "guide",
            "content_structure": "pillar_page",
            "cluster_id": int(cluster["id"]) if str(cluster.get("id", "")).isdigit() else 0,
            "cluster_name": name,
            "estimated_word_count": 400 + 250 * len(sections),
            "covered_keywords": ", ".join(unique([*_keywords_of(cluster)[:3], *covers])),
        }
    ]
