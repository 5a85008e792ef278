"""Internal links: planned slugs and URLs, and the link pass among sibling articles."""

from __future__ import annotations

from shared.domain.internal_links import Sibling, add_links, links_in, planned_url, slugify, unique_slug

RATIOS = Sibling("cold brew ratio", "Cold brew ratios", "https://coffee.example/blog/cold-brew-ratios/")
STORAGE = Sibling("store cold brew", "Storing cold brew", "https://coffee.example/blog/storing-cold-brew/")


def test_slugs_and_urls():
    assert slugify("Cold Brew: Ratios & Time!") == "cold-brew-ratios-time"
    assert slugify("Kaltbrühkaffee für Anfänger") == "kaltbruhkaffee-fur-anfanger"
    assert slugify("???") == "article"
    assert unique_slug("cold-brew", {"cold-brew", "cold-brew-2"}) == "cold-brew-3"
    assert planned_url("coffee.example", "/blog/", "cold-brew") == "https://coffee.example/blog/cold-brew/"
    assert planned_url("https://coffee.example/", None, "cold-brew") == "https://coffee.example/cold-brew/"
    assert planned_url(None, "blog", "cold-brew") == "/blog/cold-brew/"


def test_the_first_mention_in_a_paragraph_becomes_a_link():
    html = (
        "<h2>The cold brew ratio</h2><p>Pick a Cold Brew Ratio of 1:8. The cold brew ratio matters.</p>"
        "<ul><li>Then store cold brew in a jar.</li></ul>"
    )
    linked, added = add_links(html, [RATIOS, STORAGE])
    assert added == [RATIOS.url, STORAGE.url]
    assert "<h2>The cold brew ratio</h2>" in linked  # headings are never linked
    assert f'<p>Pick a <a href="{RATIOS.url}" title="Cold brew ratios">Cold Brew Ratio</a> of 1:8.' in linked
    assert linked.count(RATIOS.url) == 1  # one link per sibling
    assert (
        f'<li>Then <a href="{STORAGE.url}" title="Storing cold brew">store cold brew</a> in a jar.</li>'
        in linked
    )
    assert links_in(linked) == [RATIOS.url, STORAGE.url]


def test_existing_links_and_link_text_are_left_alone():
    html = (
        '<p>See <a href="/blog/cold-brew-ratios">our cold brew ratio guide</a>.</p>'
        '<p>Another cold brew ratio mention. <a href="/x">store cold brew</a></p>'
    )
    linked, added = add_links(html, [RATIOS, STORAGE])
    assert added == []  # the ratio page is linked already (same path); "store" appears only inside a link
    assert linked == html


def test_whole_words_only_and_the_limit():
    html = "<p>Cold brew ratios vary. A cold brew ratio is a choice.</p>"
    linked, added = add_links(html, [RATIOS])
    assert added == [RATIOS.url] and "Cold brew ratios vary" in linked and ">cold brew ratio</a> is" in linked
    many = [Sibling(f"word{i}", f"T{i}", f"/p{i}/") for i in range(8)]
    _, added = add_links("".join(f"<p>word{i} here</p>" for i in range(8)), many, limit=5)
    assert len(added) == 5
