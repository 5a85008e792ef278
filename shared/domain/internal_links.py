"""Internal links among the articles of a cluster and of a pillar.

Each idea gets a planned slug and URL when it is saved (``slugify``, ``planned_url``: the site's
domain and its path setting, e.g. ``https://coffee.example/blog/cold-brew-ratios``). The writer's
prompt carries the titles and URLs of the article's siblings; after a batch, ``add_links`` adds a
link where an article names a sibling's primary keyword in its text and does not link to that
sibling yet (at most one link per sibling, never inside a heading or an existing link).
``links_in`` lists the links an article holds, for the link map and the checks.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

SLUG_LIMIT = 80
#: Links the link pass adds to one article at most.
MAX_ADDED_LINKS = 5
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r"""<a\b[^>]*\bhref=(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
#: Elements whose text may take a link (headings, existing links, code and tables are left alone).
LINKABLE = ("p", "li")
NOT_LINKABLE = ("a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "table", "script", "style")


@dataclass(frozen=True)
class Sibling:
    """A related article: its primary keyword (the anchor text to find), title and URL."""

    keyword: str
    title: str
    url: str


def slugify(text: str, limit: int = SLUG_LIMIT) -> str:
    """``Cold Brew: Ratios & Time`` -> ``cold-brew-ratios-time``; accents folded (``ü`` -> ``u``)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:limit].rstrip("-") or "article"


def unique_slug(slug: str, taken: set[str]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... when a sibling already has it."""
    candidate, n = slug, 2
    while candidate in taken:
        candidate = f"{slug}-{n}"
        n += 1
    return candidate


def planned_url(domain: str | None, path_prefix: str | None, slug: str) -> str:
    """The article's URL on the site (a path only when the site has no domain)."""
    prefix = "/" + (path_prefix or "").strip("/")
    path = f"{prefix.rstrip('/')}/{slug}/" if prefix != "/" else f"/{slug}/"
    if not domain:
        return path
    host = domain.strip()
    if "//" not in host:
        host = f"https://{host}"
    return host.rstrip("/") + path


def _same_page(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return pa.path.rstrip("/") == pb.path.rstrip("/") and (
        not pa.netloc or not pb.netloc or pa.netloc == pb.netloc
    )


def links_in(html: str) -> list[str]:
    """The hrefs of the article's links, in order."""
    return [html_lib.unescape(m.group(2)) for m in _HREF.finditer(html or "")]


def add_links(html: str, siblings: list[Sibling], limit: int = MAX_ADDED_LINKS) -> tuple[str, list[str]]:
    """``html`` with a link to each sibling it names but does not link yet; and the URLs added.

    Works on the sanitised HTML's text between tags: the first mention of a sibling's primary
    keyword (case-insensitive, whole words) in a paragraph or list item becomes the anchor.
    """
    existing = links_in(html)
    todo = [s for s in siblings if s.keyword.strip() and not any(_same_page(s.url, e) for e in existing)]
    if not todo:
        return html, []
    pieces = re.split(r"(<[^>]+>)", html)
    stack: list[str] = []
    added: list[str] = []
    for index, piece in enumerate(pieces):
        if piece.startswith("<"):
            _track(stack, piece)
            continue
        if not piece.strip() or not stack or any(tag in NOT_LINKABLE for tag in stack):
            continue
        if stack[-1] not in LINKABLE and not any(tag in LINKABLE for tag in stack):
            continue
        done_to = 0  # text before this offset holds the links added here already
        for sibling in list(todo):
            if len(added) >= limit:
                break
            match = _phrase(sibling.keyword).search(piece, done_to)
            if match is None:
                continue
            anchor = (
                f'<a href="{html_lib.escape(sibling.url, quote=True)}" '
                f'title="{html_lib.escape(sibling.title, quote=True)}">{match.group(0)}</a>'
            )
            piece = piece[: match.start()] + anchor + piece[match.end() :]
            done_to = match.start() + len(anchor)
            added.append(sibling.url)
            todo.remove(sibling)
        pieces[index] = piece
    return "".join(pieces), added


def _phrase(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<![\w&])" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _track(stack: list[str], tag: str) -> None:
    match = re.match(r"<\s*(/)?\s*([a-zA-Z0-9]+)", tag)
    if match is None:
        return
    closing, name = bool(match.group(1)), match.group(2).lower()
    if tag.rstrip().endswith("/>") or name in ("br", "hr", "img"):
        return
    if not closing:
        stack.append(name)
    elif name in stack:
        while stack and stack.pop() != name:
            pass
