"""Article HTML: sanitising, plain-text normalisation and word counts (the seed's content_normalizer).

- ``sanitize_html``: an nh3 (ammonia) allow-list. Headings, paragraphs, lists, tables, links,
  images and inline emphasis survive; script/style elements (with their content), every event
  handler and ``style`` attribute, and ``javascript:``/``data:`` URLs do not.
- ``normalize_content``: a model answer in plain text or markdown-ish text becomes HTML
  (``#`` headings, ``-``/``*``/``1.`` lists, ``>`` quotes, ``|`` tables, paragraphs); an answer
  that already is HTML is returned as it is.
- ``count_words``: words of the text once tags are stripped and entities decoded.

nh3 is imported only inside ``sanitize_html``: the PARSE Lambda imports this module for
``normalize_content`` and never pays for the sanitiser.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6",
        "p", "br", "hr", "blockquote", "pre", "code", "div", "span",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "a", "img", "figure", "figcaption",
        "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
        "abbr", "cite", "q", "time",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "ol": {"start", "reversed"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
    "abbr": {"title"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "tel"})
# Elements removed together with everything inside them (not just unwrapped).
DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script", "style", "head", "title", "noscript", "template", "iframe", "object", "embed",
        "svg", "math", "form", "select", "textarea", "button",
    }
)  # fmt: skip

_TAG = re.compile(r"<[^>]*>")
_DROP_BLOCKS = re.compile(r"<(script|style|head|noscript|template)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_HTML_BLOCK = re.compile(
    r"<\s*(p|h[1-6]|ul|ol|li|table|div|blockquote|pre|section|article|br|hr|img|figure)\b", re.I
)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*?)\n?```\s*$", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_DIVIDER = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])")
_CODE = re.compile(r"`([^`]+)`")


def sanitize_html(value: str | None) -> str:
    """The fragment with only the allow-listed tags, attributes and URL schemes left."""
    if not value:
        return ""
    cleaned = nh3.clean(
        str(value),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    return str(cleaned).strip()


def looks_like_html(text: str) -> bool:
    """True when the text already has block-level HTML (then it is not re-normalised)."""
    return bool(_HTML_BLOCK.search(text or ""))


def count_words(value: str | None) -> int:
    """Words of an HTML fragment (or plain text): tags stripped, script/style dropped, entities decoded."""
    if not value:
        return 0
    text = _DROP_BLOCKS.sub(" ", str(value))
    text = html.unescape(_TAG.sub(" ", text))
    return len(_WORD.findall(text))


# ---------------------------------------------------------------- plain text -> HTML
def _inline(text: str) -> str:
    """Escape the text, then turn markdown emphasis, code and http(s) links into HTML."""
    escaped = html.escape(text.strip(), quote=False)
    escaped = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)
    escaped = _LINK.sub(
        lambda m: f'<a href="{m.group(2).replace(chr(34), "&quot;")}">{m.group(1)}</a>', escaped
    )
    escaped = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", escaped)
    escaped = _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", escaped)
    return escaped


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(rows: list[str]) -> str:
    body = [r for r in rows if not _TABLE_DIVIDER.match(r)]
    has_header = len(rows) > 1 and bool(_TABLE_DIVIDER.match(rows[1]))
    parts = ["<table>"]
    if has_header:
        header = "".join(f"<th>{_inline(c)}</th>" for c in _cells(body[0]))
        parts.append(f"<thead><tr>{header}</tr></thead>")
        body = body[1:]
    if body:
        parts.append("<tbody>")
        for row in body:
            parts.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(row)) + "</tr>")
        parts.append("</tbody>")
    parts.append("</table>")
    return "".join(parts)


def normalize_content(text: str | None) -> str:
    """Plain text or markdown-ish text as HTML; text that already is HTML comes back unchanged."""
    if not text:
        return ""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    fenced = _FENCE.match(value)
    if fenced:
        value = fenced.group(1).strip()
    if looks_like_html(value):
        return value

    blocks: list[str] = []
    paragraph: list[str] = []
    list_tag: str | None = None
    items: list[str] = []
    quote: list[str] = []
    table: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    def flush_list() -> None:
        nonlocal list_tag
        if list_tag and items:
            blocks.append(
                f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>"
            )
        items.clear()
        list_tag = None

    def flush_quote() -> None:
        if quote:
            blocks.append(f"<blockquote><p>{_inline(' '.join(quote))}</p></blockquote>")
            quote.clear()

    def flush_table() -> None:
        if table:
            blocks.append(_table(table))
            table.clear()

    def flush_all() -> None:
        flush_paragraph()
        flush_list()
        flush_quote()
        flush_table()

    for raw in value.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            flush_all()
            continue
        if _TABLE_ROW.match(line):
            flush_paragraph()
            flush_list()
            flush_quote()
            table.append(line)
            continue
        flush_table()
        heading = _HEADING.match(line.strip())
        if heading:
            flush_all()
            level = len(heading.group(1))
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            continue
        if _RULE.match(line):
            flush_all()
            blocks.append("<hr>")
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or numbered:
            tag = "ul" if bullet else "ol"
            flush_paragraph()
            flush_quote()
            if list_tag != tag:
                flush_list()
                list_tag = tag
            items.append((bullet or numbered).group(1))  # type: ignore[union-attr]
            continue
        quoted = _QUOTE.match(line)
        if quoted:
            flush_paragraph()
            flush_list()
            quote.append(quoted.group(1))
            continue
        if list_tag and raw.startswith((" ", "\t")) and items:
            items[-1] = f"{items[-1]} {line.strip()}"  # a wrapped list item
            continue
        flush_list()
        flush_quote()
        paragraph.append(line.strip())
    flush_all()
    return "".join(blocks)
