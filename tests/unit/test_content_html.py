"""Article HTML: the sanitiser's allow-list, the plain-text normaliser and the word count."""

from __future__ import annotations

import pytest

from shared.domain.content_html import count_words, looks_like_html, normalize_content, sanitize_html


# ---------------------------------------------------------------- sanitize_html
def test_script_and_style_elements_go_with_their_content():
    html = "<h2>Intro</h2><script>alert('x')</script><style>p{color:red}</style><p>Body</p>"
    assert sanitize_html(html) == "<h2>Intro</h2><p>Body</p>"


def test_event_handlers_and_style_attributes_are_removed():
    html = '<p onclick="steal()" style="color:red">Hi</p><img src="https://x.test/a.png" onerror="bad()" alt="A">'
    cleaned = sanitize_html(html)
    assert "onclick" not in cleaned and "onerror" not in cleaned and "style" not in cleaned
    assert cleaned == '<p>Hi</p><img src="https://x.test/a.png" alt="A">'


@pytest.mark.parametrize(
    "html",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<img src="data:text/html;base64,PHNjcmlwdD4=">',
        '<a href="vbscript:msgbox(1)">x</a>',
    ],
)
def test_dangerous_urls_are_dropped(html):
    cleaned = sanitize_html(html).lower()
    assert "javascript" not in cleaned and "data:" not in cleaned and "vbscript" not in cleaned


def test_article_structure_survives():
    html = (
        "<h1>T</h1><h2>A</h2><h3>B</h3><p>Text <strong>bold</strong> <em>it</em></p>"
        '<ul><li>one</li></ul><ol start="2"><li>two</li></ol>'
        '<table><thead><tr><th scope="col">H</th></tr></thead><tbody><tr><td colspan="2">C</td></tr></tbody></table>'
        '<p><a href="https://example.com/x" title="X">link</a></p>'
        '<figure><img src="https://example.com/i.png" alt="i" width="10"><figcaption>cap</figcaption></figure>'
        "<blockquote>q</blockquote>"
    )
    cleaned = sanitize_html(html)
    for fragment in (
        "<h1>T</h1>",
        "<h2>A</h2>",
        "<h3>B</h3>",
        "<strong>bold</strong>",
        "<em>it</em>",
        "<ul><li>one</li></ul>",
        '<ol start="2"><li>two</li></ol>',
        '<th scope="col">H</th>',
        '<td colspan="2">C</td>',
        '<a href="https://example.com/x" title="X" rel="noopener noreferrer">link</a>',
        '<img src="https://example.com/i.png" alt="i" width="10">',
        "<figcaption>cap</figcaption>",
        "<blockquote>q</blockquote>",
    ):
        assert fragment in cleaned, fragment


def test_document_wrappers_iframes_and_forms_are_removed():
    html = (
        "<html><head><title>Page title</title><meta name=x></head><body>"
        '<p>Keep</p><iframe src="https://evil.test"></iframe><form><input value="x"><button>Go</button></form>'
        "<!-- comment --></body></html>"
    )
    assert sanitize_html(html) == "<p>Keep</p>"


def test_empty_input():
    assert sanitize_html("") == "" and sanitize_html(None) == ""


# ---------------------------------------------------------------- normalize_content
def test_markdownish_text_becomes_html():
    text = (
        "# Cold Brew Guide\n\n"
        "Cold brew is **smooth** and *sweet*.\nIt takes time.\n\n"
        "## Steps\n"
        "1. Grind coarse\n2. Steep 12 hours\n\n"
        "- filter\n* serve\n\n"
        "> Patience pays.\n\n"
        "| Method | Time |\n|---|---|\n| Cold brew | 12 h |\n\n"
        "See [the guide](https://example.com/guide)."
    )
    assert normalize_content(text) == (
        "<h1>Cold Brew Guide</h1>"
        "<p>Cold brew is <strong>smooth</strong> and <em>sweet</em>. It takes time.</p>"
        "<h2>Steps</h2>"
        "<ol><li>Grind coarse</li><li>Steep 12 hours</li></ol>"
        "<ul><li>filter</li><li>serve</li></ul>"
        "<blockquote><p>Patience pays.</p></blockquote>"
        "<table><thead><tr><th>Method</th><th>Time</th></tr></thead>"
        "<tbody><tr><td>Cold brew</td><td>12 h</td></tr></tbody></table>"
        '<p>See <a href="https://example.com/guide">the guide</a>.</p>'
    )


def test_plain_paragraphs_and_escaping():
    text = "First paragraph with <script>x</script> & more.\n\nSecond paragraph."
    html = normalize_content(text)
    assert html == (
        "<p>First paragraph with &lt;script&gt;x&lt;/script&gt; &amp; more.</p><p>Second paragraph.</p>"
    )


def test_html_and_fenced_html_pass_through():
    assert normalize_content("<h2>A</h2><p>B</p>") == "<h2>A</h2><p>B</p>"
    assert normalize_content("```html\n<h2>A</h2>\n<p>B</p>\n```") == "<h2>A</h2>\n<p>B</p>"
    assert looks_like_html("<p>x</p>") and not looks_like_html("a < b and c > d")


def test_only_http_links_become_anchors():
    html = normalize_content("[x](javascript:alert(1)) and [y](https://ok.test)")
    assert (
        "<a" in html and 'href="https://ok.test"' in html and "javascript:alert(1)" not in html.split("<a")[1]
    )
    assert 'href="javascript' not in html


def test_empty_text():
    assert normalize_content("") == "" and normalize_content(None) == ""


# ---------------------------------------------------------------- count_words
@pytest.mark.parametrize(
    ("html", "words"),
    [
        ("<h2>Cold brew</h2><p>Is it worth it? Yes &mdash; it&rsquo;s great.</p>", 9),
        ("<p>one</p><p>two</p><ul><li>three</li></ul>", 3),
        ("<p>half-and-half isn't 2.5 words</p>", 4),
        ("<style>p { a: b }</style><script>var x = 1;</script><p>only these</p>", 2),
        ("plain text words", 3),
        ("", 0),
        (None, 0),
    ],
)
def test_count_words(html, words):
    assert count_words(html) == words
