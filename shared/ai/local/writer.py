"""Offline writer: content ideas and article drafts built from the real keywords, without an AI model.

The local provider answers ``generate_ideas`` and ``generate_content`` with this module when no AI
model is configured. Nothing here is canned: every title, heading, list and table is derived from the
cluster's or task's own keywords and outline, by rules a reader can follow:

* keywords are classified by their wording (how-to, comparison "x vs y", commercial "best ...",
  question, plain topic);
* the cluster's head keyword is the one whose terms the other keywords share most;
* a hub idea covers the head keyword and groups the other keywords by their leading extra term;
  supporting ideas take one how-to, commercial, comparison, question or long-tail keyword each.

Everything produced says plainly that it is an offline draft. Output is deterministic: choices that
need variety use a CRC-32 of the text, never ``hash()`` or randomness.
"""

from __future__ import annotations

import html
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from shared.functions.auto_cluster.offline import significant_terms, title_case, words

DEFAULT_WORD_COUNT = 1200
MIN_WORD_COUNT = 300
MAX_WORD_COUNT = 2000
META_TITLE_LIMIT = 60
META_DESCRIPTION_LIMIT = 160
MAX_HUB_SECTIONS = 5
MAX_KEYWORD_SECTIONS = 8
MAX_SUBSECTIONS = 3
MAX_FAQ = 6
OFFLINE_TAG = "offline draft"

_QUESTION_TEXT = (
    "how what why when where which who whose can could does do did is are was were should will would"
)
QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_COMMERCIAL_TEXT = (
    "best top cheap cheapest affordable budget review reviews buy under price prices deal deals sale"
)
COMMERCIAL_WORDS = frozenset(_COMMERCIAL_TEXT.split())
COMPARISON_WORDS = frozenset({"vs", "versus"})

HOW_TO, COMPARISON, COMMERCIAL, QUESTION, TOPIC = "how_to", "comparison", "commercial", "question", "topic"
CONTENT_TYPES = {HOW_TO: "tutorial", COMPARISON: "article", COMMERCIAL: "blog_post", QUESTION: "article"}
CONTENT_TYPES[TOPIC] = "blog_post"


# --------------------------------------------------------------------------- keyword analysis


def classify(keyword: str) -> str:
    """Kind of search behind a keyword: how_to, comparison, commercial, question or topic."""
    tokens = words(keyword)
    if not tokens:
        return TOPIC
    if tokens[0] == "how" and len(tokens) > 1 and tokens[1] == "to":
        return HOW_TO
    if COMPARISON_WORDS.intersection(tokens):
        return COMPARISON
    if tokens[0] in QUESTION_WORDS or keyword.strip().endswith("?"):
        return QUESTION
    if COMMERCIAL_WORDS.intersection(tokens):
        return COMMERCIAL
    return TOPIC


@dataclass
class _Keyword:
    """A keyword with its kind and meaningful terms (stems and written forms)."""

    text: str
    kind: str
    stems: list[str]
    surfaces: list[str]


@dataclass
class _ClusterView:
    """What the idea rules need to know about one cluster's keywords."""

    keywords: list[_Keyword]
    coverage: Counter[str]
    head: _Keyword
    forms: dict[str, str] = field(default_factory=dict)
    rarity: dict[str, float] = field(default_factory=dict)


def _clean(text: object) -> str:
    """A single-line, whitespace-collapsed string."""
    return " ".join(str(text or "").split())


def _unique(items: Iterable[str]) -> list[str]:
    """Items without blanks and without case-insensitive repeats, first occurrence kept."""
    seen: set[str] = set()
    result = []
    for item in items:
        cleaned = _clean(item)
        key = cleaned.casefold()
        if cleaned and key not in seen:
            seen.add(key)
            result.append(cleaned)
    return result


def _analyse(texts: Sequence[str]) -> list[_Keyword]:
    analysed = []
    for text in _unique(texts):
        pairs = significant_terms(text)
        analysed.append(_Keyword(text, classify(text), [p[0] for p in pairs], [p[1] for p in pairs]))
    return analysed


def _view(texts: Sequence[str], fallback: str, rarity: dict[str, float] | None = None) -> _ClusterView:
    """Analyse a keyword list and pick its head keyword.

    The head is the keyword whose terms the others share most (summed coverage over the square root
    of its term count), plain topics and shorter wordings winning ties. ``rarity`` weights terms
    (an IDF over all clusters of the request) so subtopics favour distinctive words.
    """
    keywords = _analyse(texts) or _analyse([fallback or "topic"])
    coverage: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for keyword in keywords:
        coverage.update(dict.fromkeys(keyword.stems, 1))
        for stem_, surface in zip(keyword.stems, keyword.surfaces, strict=True):
            forms.setdefault(stem_, Counter())[surface] += 1

    def centrality(item: tuple[int, _Keyword]) -> tuple[float, bool, int, int]:
        index, keyword = item
        shared = sum(coverage[s] for s in keyword.stems) / math.sqrt(len(keyword.stems) or 1)
        return (shared, keyword.kind == TOPIC, -len(keyword.text.split()), -index)

    head = max(enumerate(keywords), key=centrality)[1]
    written = {s: c.most_common(1)[0][0] for s, c in forms.items()}
    return _ClusterView(keywords=keywords, coverage=coverage, head=head, forms=written, rarity=rarity or {})


def _rarity(clusters: Sequence[Sequence[str]]) -> dict[str, float]:
    """Smoothed IDF of each term over every keyword of the request."""
    df: Counter[str] = Counter()
    total = 0
    for texts in clusters:
        for text in _unique(texts):
            total += 1
            df.update(dict.fromkeys((s for s, _ in significant_terms(text)), 1))
    return {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in df.items()}


def _subtopics(view: _ClusterView) -> list[str]:
    """Stems beyond the head keyword's, by how many keywords share them times their rarity."""
    order = {s: i for i, s in enumerate(s for k in view.keywords for s in k.stems)}
    head = set(view.head.stems)
    stems = [s for s in view.coverage if s not in head]
    return sorted(stems, key=lambda s: (-view.coverage[s] * view.rarity.get(s, 1.0), order[s]))


def _beyond_head(keyword: _Keyword, head: _Keyword) -> str:
    """The words of ``keyword`` that are not the head's: "dual boiler espresso machine" -> "dual boiler"."""
    extra = [w for s, w in zip(keyword.stems, keyword.surfaces, strict=True) if s not in head.stems]
    return " ".join(extra)


def _headline(keyword: str) -> str:
    """A keyword as a heading: title case, question mark for questions."""
    text = title_case(_clean(keyword).rstrip("?"))
    return f"{text}?" if classify(keyword) == QUESTION else text


def _and_list(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _content_type_for(keyword: _Keyword) -> str:
    """Paragraph, list or table for an outline subsection about ``keyword``."""
    if keyword.kind == COMPARISON:
        return "table"
    if keyword.kind in (COMMERCIAL, HOW_TO):
        return "list"
    return "paragraph"


# --------------------------------------------------------------------------- ideas


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


def _keyword_subsection(keyword: _Keyword, head: str) -> dict:
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
    return _subsection(_headline(keyword.text), _content_type_for(keyword), details)


def _hub_idea(view: _ClusterView, cluster_name: str) -> _Idea:
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
                    + _and_list([view.forms[s] for s in _subtopics(view)[:6]] or [head])
                    + ".",
                ),
            ],
        }
    ]
    questions: list[_Keyword] = []
    for stem_ in _subtopics(view):
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
            lone["subheading"] = f"{_headline(lead.text)}: Key Points"
            subsections = [lone]
        sections.append({"heading": _headline(lead.text), "subsections": subsections})
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
    by_heading = {_headline(k.text): k for k in view.keywords}
    extra = _unique(_beyond_head(by_heading[h], view.head) for h in leads if h in by_heading)[:3]
    title = f"{title_case(head)}: The Complete Guide"
    if extra:
        title = f"{title_case(head)}: A Complete Guide to {title_case(_and_list(extra))}"
    covered = [head, *[k.text for k in view.keywords if k.text.casefold() in used and k.text != head]]
    intro = (
        f"Offline draft idea (written without an AI model): the hub page of the {cluster_name} cluster, "
        f"built around {head!r} and linking to pages on {_and_list(covered[1:4]) or head}."
    )
    return _Idea(title, "guide", "cluster_hub", intro, sections, covered)


def _related(view: _ClusterView, focus: _Keyword, limit: int = 4) -> list[_Keyword]:
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


def _comparison_sides(keyword: str) -> tuple[str, str]:
    """``"burr vs blade grinder"`` -> ``("burr", "blade grinder")``."""
    parts = re.split(r"\s+(?:vs\.?|versus)\s+", _clean(keyword), maxsplit=1, flags=re.IGNORECASE)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return _clean(keyword), ""


def _supporting_sections(view: _ClusterView, focus: _Keyword, related: list[_Keyword]) -> list[dict]:
    """Outline of a supporting page, shaped by the kind of its focus keyword."""
    head = view.head.text
    text = focus.text
    subs = [_keyword_subsection(k, head) for k in related[:MAX_SUBSECTIONS]]
    if focus.kind == COMPARISON:
        left, right = _comparison_sides(text)
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
                "heading": f"{_headline(text)}: Step by Step",
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
                "heading": f"{_headline(text)}: The Shortlist",
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
                "subsections": [_subsection(_headline(text), "paragraph", f"Answer {text!r} directly.")],
            },
            {"heading": "The Details", "subsections": subs or [_keyword_subsection(view.head, head)]},
        ]
    return [
        {
            "heading": f"{_headline(text)} Explained",
            "subsections": [_subsection(f"Why {_headline(text)} Matters", "paragraph", f"Explain {text}.")],
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


def _supporting_candidates(view: _ClusterView) -> list[_Keyword]:
    """Focus keywords for supporting pages: kinds in turn (how-to, commercial, comparison, ...)."""
    queues: dict[str, list[_Keyword]] = {
        kind: [] for kind in (HOW_TO, COMMERCIAL, COMPARISON, QUESTION, TOPIC)
    }
    for keyword in view.keywords:
        if keyword is view.head:
            continue
        if keyword.kind == TOPIC and len(keyword.stems) < 2:
            continue
        queues[keyword.kind].append(keyword)
    ordered: list[_Keyword] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _supporting_idea(view: _ClusterView, focus: _Keyword, cluster_name: str) -> _Idea:
    related = _related(view, focus)
    title = _TITLE_PATTERNS[focus.kind].format(kw=_headline(focus.text))
    covered = [focus.text, *[k.text for k in related]]
    intro = (
        f"Offline draft idea (written without an AI model): a supporting page of the {cluster_name} "
        f"cluster answering {focus.text!r}, linking back to the {view.head.text!r} hub."
    )
    sections = _supporting_sections(view, focus, related)
    return _Idea(title, CONTENT_TYPES[focus.kind], "supporting_page", intro, sections, covered)


def _fallback_idea(view: _ClusterView, pattern: str, content_type: str, cluster_name: str) -> _Idea:
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


def _idea_stream(view: _ClusterView, name: str) -> Iterator[_Idea]:
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
    name = _clean(cluster.get("name")) or "Untitled"
    view = _view(_keywords_of(cluster), name, rarity)
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
        "covered_keywords": ", ".join(_unique(idea.covered)),
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
    rarity = _rarity([_keywords_of(c) for c in cluster_data])
    for cluster in cluster_data:
        ideas.extend(_cluster_ideas(cluster, max(0, int(ideas_per_cluster)), titles, rarity))
    return {"ideas": ideas}


# --------------------------------------------------------------------------- articles


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


_HEADING_RE = re.compile(r"^(#{2,6})\s*(.+?)\s*#*$")
_LABEL_RE = re.compile(r"^(h2|h3|content[ _-]?type|details?)\s*[:\-]\s*(.*)$", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]+>")


def count_words(fragment: str) -> int:
    """Words of an HTML fragment once its tags are stripped and entities decoded."""
    return len(html.unescape(_TAG_RE.sub(" ", fragment)).split())


def _keyword_list(value: object) -> list[str]:
    if isinstance(value, str):
        return _unique(value.split(","))
    if isinstance(value, Iterable):
        return _unique(str(v) for v in value)
    return []


def _plain(text: str) -> str:
    """Outline text without markdown emphasis."""
    return _clean(re.sub(r"[*_`]+", "", text))


def parse_outline(outline: str) -> list[_Section]:
    """Parse "## H2" / "### H3" / "Content Type: ..." / "Details: ..." lines into sections.

    "H2: ..." and "H3: ..." labels are accepted too; other text lines extend the current details.
    """
    sections: list[_Section] = []
    current: _Slot | None = None
    for raw in (outline or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = _HEADING_RE.match(line)
        label = _LABEL_RE.match(line)
        level = len(heading.group(1)) if heading else 0
        text = _plain(heading.group(2)) if heading else ""
        if label and label.group(1).lower() in ("h2", "h3"):
            level, text = (2 if label.group(1).lower() == "h2" else 3), _plain(label.group(2))
        if level == 2 and text:
            sections.append(_Section(text))
            current = None
        elif level >= 3 and text:
            if not sections:
                sections.append(_Section(text))
            current = _Slot(text, "paragraph", "", "")
            sections[-1].slots.append(current)
        elif label or not heading:
            if not sections:
                continue
            if current is None:
                current = _Slot("", "paragraph", "", "")
                sections[-1].slots.append(current)
            key = label.group(1).lower().replace(" ", "").replace("_", "").replace("-", "") if label else ""
            value = _plain(label.group(2)) if label else _plain(line)
            if key == "contenttype":
                current.content_type = value.lower() if value.lower() in ("list", "table") else "paragraph"
            else:
                current.details = _clean(f"{current.details} {value}")
    for section in sections:
        if not section.slots:
            section.slots.append(_Slot("", "paragraph", "", ""))
    return sections


def _outline_from_description(description: str) -> list[_Section]:
    """Sections of an idea description given as JSON (``{"introduction", "sections"}``), if it is."""
    try:
        data = json.loads(description)
    except (TypeError, ValueError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        return []
    sections = []
    for item in data["sections"]:
        if not isinstance(item, dict) or not _clean(item.get("heading")):
            continue
        section = _Section(_plain(str(item["heading"])))
        for sub in item.get("subsections") or []:
            if isinstance(sub, dict):
                kind = str(sub.get("content_type") or "paragraph").lower()
                section.slots.append(
                    _Slot(
                        _plain(str(sub.get("subheading") or "")),
                        kind if kind in ("list", "table") else "paragraph",
                        _plain(str(sub.get("details") or "")),
                        "",
                    )
                )
        section.slots = section.slots or [_Slot("", "paragraph", "", "")]
        sections.append(section)
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
        kind = _content_type_for(_analyse([keyword])[0])
        sections.append(_Section(_headline(keyword), [_Slot("", kind, "", keyword)]))
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
    named = {_headline(k).casefold().rstrip("?"): k for k in reversed(pool)}
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
        related=html.escape(_and_list(list(related)) or primary),
    )


def _paragraph(slot: _Slot, topic: str, primary: str, related: Sequence[str], round_: int) -> str:
    templates = _usable(_PARAGRAPHS, slot.keyword, primary, related)
    text = _fill(_pick(templates, f"{topic}|{slot.keyword}", round_), slot.keyword, primary, related)
    return f"<p>{text}</p>"


def _list_block(slot: _Slot, primary: str, related: Sequence[str]) -> str:
    items = []
    for index, keyword in enumerate(_unique([slot.keyword, *related])[:6]):
        templates = _usable(_LIST_ITEMS, keyword, primary, [])
        items.append(_fill(_pick(templates, keyword, index), keyword, primary, related))
    if len(items) < 3:
        items += [_fill(t, slot.keyword, primary, related) for t in _GENERIC_ITEMS[: 4 - len(items)]]
    tag = "ol" if classify(slot.keyword) == HOW_TO or "step" in slot.heading.lower() else "ul"
    return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"


def _table_block(slot: _Slot, keywords: Sequence[str]) -> str:
    """A comparison of the two sides of an "x vs y" keyword, else a keyword map of the article."""
    left, right = _comparison_sides(slot.keyword)
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
            for k in _unique([slot.keyword, *keywords])[:6]
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
        parts.append(f"<h3>{html.escape(_headline(question))}</h3>")
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
    text = _clean(text)
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
        text += f", covering {_and_list(list(secondary[:3]))}"
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
    return _unique([*keywords[:3], *top, OFFLINE_TAG])


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
    title = _clean(context.get("title"))
    cluster_name = _clean(context.get("cluster_name"))
    keywords = _keyword_list(context.get("keywords"))
    primary = keywords[0] if keywords else _clean(" ".join(s for _, s in significant_terms(title)[:4]))
    primary = primary or title or cluster_name or "this topic"
    keywords = keywords or [primary]
    title = title or title_case(primary)
    secondary = [k for k in keywords if k.casefold() != primary.casefold()][:10]
    estimate = context.get("estimated_word_count")
    target = estimate if isinstance(estimate, int) and estimate > 0 else DEFAULT_WORD_COUNT
    target = max(MIN_WORD_COUNT, min(MAX_WORD_COUNT, target))

    sections = (
        parse_outline(str(context.get("outline") or ""))
        or _outline_from_description(str(context.get("description") or ""))
        or _sections_from_keywords(primary, secondary)
    )
    _assign_keywords(sections, primary, keywords)
    for section in sections:
        for slot in section.slots:
            slot.blocks = _base_blocks(slot, slot.heading or section.heading, primary, keywords)

    headings = {_clean(s.heading).casefold().rstrip("?") for s in sections}
    headings |= {_clean(slot.heading).casefold().rstrip("?") for s in sections for slot in s.slots}
    headings.add(primary.casefold().rstrip("?"))
    questions = [
        k for k in keywords if classify(k) in (QUESTION, HOW_TO) and k.casefold().rstrip("?") not in headings
    ]
    opening = (
        f"<p><strong>Offline draft:</strong> this article on <strong>{html.escape(primary)}</strong> was "
        f"written by the engine's local writer without an AI model. It follows the outline and uses the "
        f"keywords of this task ({html.escape(_and_list(keywords[:4]))}); review and expand it before "
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
