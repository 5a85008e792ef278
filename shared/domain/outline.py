"""An idea's outline (the ContentIdea description): one parser, one text form, one summary.

The seed stores an idea's description as text: either an outline object as JSON
(``{"introduction", "sections": [{"heading", "subsections": [{"subheading", "content_type",
"details"}]}], "conclusion"}``; models vary the key names, so the common variants are read) or
plain text, which may itself use the seed's prompt form (``## H2`` / ``### H3`` /
``Content Type: ...`` / ``Details: ...`` lines). Everything that reads an outline — the writer's
prompt, the offline writer, the API's idea views — goes through ``parse_outline``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_SECTION_KEYS = ("sections", "H2", "h2", "outline", "headings")
_HEADING_KEYS = ("heading", "h2", "H2", "title", "name")
_SUBSECTION_KEYS = ("subsections", "H3", "h3", "subheadings")
_SUBHEADING_KEYS = ("subheading", "h3", "H3", "heading", "title", "name")
_TYPE_KEYS = ("content_type", "type")
_DETAIL_KEYS = ("details", "description", "content", "notes")
BLOCK_TYPES = ("paragraph", "list", "table")

_HEADING_RE = re.compile(r"^(#{2,6})\s*(.+?)\s*#*$")
_LABEL_RE = re.compile(r"^(h2|h3|content[ _-]?type|details?|introduction)\s*[:\-]\s*(.*)$", re.IGNORECASE)


@dataclass
class OutlineBlock:
    """One H3 (or the body of an H2 without H3s): what to write there."""

    subheading: str = ""
    content_type: str = ""  # as the outline gives it ("paragraph", "list", "table", or free text)
    details: str = ""

    @property
    def kind(self) -> str:
        """The block's kind for a writer: list, table or paragraph."""
        value = self.content_type.lower()
        return value if value in BLOCK_TYPES else "paragraph"


@dataclass
class OutlineSection:
    heading: str
    blocks: list[OutlineBlock] = field(default_factory=list)


@dataclass
class Outline:
    introduction: str = ""
    sections: list[OutlineSection] = field(default_factory=list)
    conclusion: str = ""
    text: str = ""  # the description itself when it is prose, not an outline

    @property
    def structured(self) -> bool:
        return bool(self.sections)


def one_line(value: Any) -> str:
    """Any outline value as one line of text (lists joined with "; ", objects as "k: v")."""
    if isinstance(value, list):
        value = "; ".join(one_line(v) for v in value if v not in (None, ""))
    elif isinstance(value, dict):
        value = "; ".join(f"{k}: {one_line(v)}" for k, v in value.items() if v not in (None, ""))
    return " ".join(str(value or "").split())


def _plain(text: str) -> str:
    """Outline text without markdown emphasis."""
    return one_line(re.sub(r"[*_`]+", "", text))


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def outline_json(description: str | None) -> Any:
    """The description's JSON value when it is JSON (object or list), else None."""
    text = (description or "").strip()
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _block(data: dict[str, Any], subheading: str = "") -> OutlineBlock:
    return OutlineBlock(
        subheading=subheading,
        content_type=one_line(_first(data, _TYPE_KEYS)),
        details=one_line(_first(data, _DETAIL_KEYS)),
    )


def _introduction(intro: Any) -> tuple[str, list[OutlineBlock]]:
    if isinstance(intro, str):
        return one_line(intro), []
    if not isinstance(intro, dict):
        return "", []
    hook = one_line(intro.get("hook") or intro.get("summary") or intro.get("text") or "")
    blocks = [
        _block(p) if isinstance(p, dict) else OutlineBlock(details=one_line(p))
        for p in intro.get("paragraphs") or []
        if p
    ]
    if not hook and not blocks:
        blocks = [_block(intro)]
    return hook, blocks


def _from_json(data: Any) -> Outline | None:
    if isinstance(data, list):
        data = {"sections": data}
    if not isinstance(data, dict):
        return None
    intro, intro_blocks = _introduction(data.get("introduction") or data.get("intro"))
    outline = Outline(introduction=intro)
    if intro_blocks:
        outline.sections.append(OutlineSection("", intro_blocks))
    sections = _first(data, _SECTION_KEYS) or []
    for section in sections if isinstance(sections, list) else []:
        if isinstance(section, str) and section.strip():
            outline.sections.append(OutlineSection(_plain(section)))
            continue
        if not isinstance(section, dict):
            continue
        current = OutlineSection(_plain(one_line(_first(section, _HEADING_KEYS))))
        subsections = _first(section, _SUBSECTION_KEYS)
        if not isinstance(subsections, list):
            block = _block(section)
            if block.content_type or block.details:
                current.blocks.append(block)
        else:
            for sub in subsections:
                if isinstance(sub, str) and sub.strip():
                    current.blocks.append(OutlineBlock(_plain(sub)))
                elif isinstance(sub, dict):
                    current.blocks.append(_block(sub, _plain(one_line(_first(sub, _SUBHEADING_KEYS)))))
        outline.sections.append(current)
    conclusion = data.get("conclusion")
    if isinstance(conclusion, dict):
        conclusion = _first(conclusion, _DETAIL_KEYS) or one_line(conclusion)
    outline.conclusion = one_line(conclusion)
    return outline


def _from_text(text: str) -> Outline:
    """``## H2`` / ``### H3`` / ``Content Type:`` / ``Details:`` lines ("H2:"/"H3:" labels too)."""
    outline = Outline()
    current: OutlineBlock | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = _HEADING_RE.match(line)
        label = _LABEL_RE.match(line)
        level = len(heading.group(1)) if heading else 0
        title = _plain(heading.group(2)) if heading else ""
        key = label.group(1).lower().replace(" ", "").replace("_", "").replace("-", "") if label else ""
        if key in ("h2", "h3"):
            level, title = (2 if key == "h2" else 3), _plain(label.group(2)) if label else ""
        if level == 2 and title:
            outline.sections.append(OutlineSection(title))
            current = None
        elif level >= 3 and title:
            if not outline.sections:
                outline.sections.append(OutlineSection(title))
            current = OutlineBlock(title)
            outline.sections[-1].blocks.append(current)
        elif key == "introduction" and not outline.sections:
            outline.introduction = _plain(label.group(2)) if label else ""
        elif outline.sections and (label or not heading):
            if current is None:
                current = OutlineBlock()
                outline.sections[-1].blocks.append(current)
            value = _plain(label.group(2)) if label else _plain(line)
            if key == "contenttype":
                current.content_type = value
            else:
                current.details = one_line(f"{current.details} {value}")
    if not outline.sections:
        outline.text = text.strip()
    return outline


def parse_outline(description: str | None) -> Outline:
    """The outline of an idea description: JSON outline, seed-form text, or prose (``text``)."""
    text = (description or "").strip()
    if not text:
        return Outline()
    try:
        data = json.loads(text)
    except ValueError:
        return _from_text(text)
    if isinstance(data, str):
        return _from_text(data.strip())
    return _from_json(data) or Outline(text=text)


def render_outline(description: str | None) -> str:
    """The outline in the seed's prompt form (§4.3 build_prompt); prose is returned as it is.

    ``## {H2 heading}`` / ``### {H3 subheading}`` lines, each followed by ``Content Type: {type}``
    and ``Details: {details}``.
    """
    outline = parse_outline(description)
    if not outline.structured and not outline.introduction:
        return outline.text
    lines = [f"Introduction: {outline.introduction}"] if outline.introduction else []
    for section in outline.sections:
        if section.heading:
            lines.append(f"## {section.heading}")
        for block in section.blocks:
            if block.subheading:
                lines.append(f"### {block.subheading}")
            if block.content_type:
                lines.append(f"Content Type: {block.content_type}")
            if block.details:
                lines.append(f"Details: {block.details}")
    if outline.conclusion:
        lines += ["## Conclusion", f"Details: {outline.conclusion}"]
    return "\n".join(lines)


def outline_summary(description: str | None) -> str:
    """A plain-text summary of an idea: its introduction for an outline, the text otherwise."""
    outline = parse_outline(description)
    if outline.structured or outline.introduction:
        return outline.introduction
    return outline.text


def split_list(value: Any) -> list[str]:
    """A list of distinct non-empty strings from a list or a comma-separated string (the seed's
    comma lists: target keywords, secondary keywords, tags, categories)."""
    if value is None:
        return []
    parts: list[Any] = (
        value.split(",")
        if isinstance(value, str)
        else (list(value) if isinstance(value, list | tuple | set) else [value])
    )
    result: list[str] = []
    for part in parts:
        text = " ".join(str(part).split()) if part is not None else ""
        if text and text not in result:
            result.append(text)
    return result


def join_list(value: Any) -> str:
    """The comma string the seed stores for a list of keywords."""
    return ", ".join(split_list(value))
