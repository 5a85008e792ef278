"""JSON-LD of articles: Article always, FAQPage only for a real question-and-answer part."""

from __future__ import annotations

import json
import re

from shared.domain.structured_data import article_structured_data, faq_pairs, jsonld_script

FAQ_HTML = (
    "<h2>Cold brew basics</h2><p>Steep it cold.</p>"
    "<h2>Frequently asked questions</h2>"
    "<h3>Is cold brew stronger?</h3><p>Per cup, usually yes.</p>"
    "<h3>How long does it keep</h3><p>About a week in the fridge.</p><ul><li>Closed jar.</li></ul>"
    "<h2>Next steps</h2><p>Try it.</p>"
)


def _meta(**extra):
    return dict(title="Cold brew at home", description="How to make cold brew.", **extra)


def test_article_only_when_there_are_no_questions():
    (article,) = article_structured_data(html="<h2>Steps</h2><p>Steep it.</p>", **_meta(lang="en"))
    assert article["@type"] == "Article" and article["headline"] == "Cold brew at home"
    assert article["inLanguage"] == "en" and "url" not in article and "publisher" not in article


def test_faq_section_gives_a_faq_page_with_its_questions():
    article, faq = article_structured_data(
        html=FAQ_HTML,
        **_meta(url="https://coffee.example/cold-brew", site_name="Coffee", keywords=["cold brew", ""]),
    )
    assert article["mainEntityOfPage"]["@id"] == "https://coffee.example/cold-brew"
    assert article["publisher"] == {"@type": "Organization", "name": "Coffee"}
    assert article["keywords"] == "cold brew"
    assert faq["@type"] == "FAQPage"
    assert [(q["name"], q["acceptedAnswer"]["text"]) for q in faq["mainEntity"]] == [
        ("Is cold brew stronger?", "Per cup, usually yes."),
        ("How long does it keep", "About a week in the fridge. Closed jar."),
    ]


def test_question_headings_without_a_faq_section_and_german():
    html = (
        "<h2>Was ist Kaltbrühkaffee?</h2><p>Kalt gezogener Kaffee.</p>"
        "<h2>Wie lange zieht er?</h2><p>Zwölf Stunden.</p>"
    )
    assert [q for q, _ in faq_pairs(html)] == ["Was ist Kaltbrühkaffee?", "Wie lange zieht er?"]
    objects = article_structured_data(html=html, **_meta(lang="de"))
    assert [o["@type"] for o in objects] == ["Article", "FAQPage"] and objects[1]["inLanguage"] == "de"
    # One question alone is not a FAQ page.
    assert len(article_structured_data(html="<h2>Why?</h2><p>Because.</p>", **_meta())) == 1


def test_script_element_parses_back_and_cannot_be_closed_by_text():
    objects = article_structured_data(html="<p>x</p>", title="Ends </script><b>", description=None)
    script = jsonld_script(objects)
    assert script.startswith('<script type="application/ld+json">') and script.count("</script>") == 1
    body = re.search(r"<script[^>]*>(.*)</script>", script, re.DOTALL).group(1)
    assert json.loads(body)["headline"] == "Ends </script><b>"
    assert jsonld_script([]) == ""
