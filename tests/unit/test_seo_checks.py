"""On-page SEO checks: each check passes on a good article and fails on the fault it names."""

from __future__ import annotations

from shared.domain.seo_checks import CHECK_NAMES, check_article, describe_failures, internal_link_count

INTRO = (
    "<p>Cold brew coffee is coffee steeped in cold water for twelve hours. It tastes smooth and sweet. "
    "This guide shows the ratio, the grind and the time you need.</p>"
)
GOOD = (
    "<h1>Cold brew coffee at home</h1>"
    + INTRO
    + "<h2>Cold brew coffee ratio</h2><p>Use one part coffee to eight parts water. A coarse grind works best. "
    "Stir once and wait.</p>"
    "<h2>How long to steep</h2><p>Steep it for twelve to eighteen hours in the fridge. "
    'Then filter it through paper. See our <a href="/iced-coffee">iced coffee guide</a>.</p>'
    "<h3>Storing it</h3><p>Keep the concentrate in a closed jar for up to a week.</p>"
)
META = dict(
    title="Cold brew coffee at home",
    meta_title="Cold brew coffee at home: ratio and time",
    meta_description="How to make cold brew coffee at home: the coffee to water ratio, the grind, how long to "
    "steep it and how to store the concentrate.",
    primary_keyword="cold brew coffee",
    secondary_keywords=["coarse grind", "concentrate", "cold brew ratio"],
)


def _words(html: str) -> int:
    return check_article(html, **META).details["word_count"]


def test_a_good_article_passes_every_check():
    report = check_article(
        GOOD, **META, target_words=_words(GOOD), site_host="coffee.example", min_internal_links=1
    )
    assert set(report.checks) == set(CHECK_NAMES)
    assert report.failing == [], describe_failures(report)
    assert report.score == 100
    assert report.details["internal_links"] == 1 and report.details["reading_ease"] > 30


def test_each_fault_fails_its_own_check():
    bad = (
        "<h1>Brewing at home</h1><p>Some words about brewing at home with water and beans and patience.</p>"
        "<h2>Ratios</h2><h4>Tiny detail</h4>"
        "<p>Repeated paragraph with enough words to count as a real paragraph here.</p>"
        "<p>Repeated paragraph with enough words to count as a real paragraph here.</p>"
    )
    report = check_article(
        bad,
        title="Brewing at home",
        meta_title="x" * 61,
        meta_description="Too short.",
        primary_keyword="cold brew coffee",
        secondary_keywords=["coarse grind", "concentrate"],
        target_words=1500,
        site_host="coffee.example",
        min_internal_links=1,
    )
    assert set(report.failing) == {
        "meta_title_length",
        "meta_description_length",
        "keyword_in_title",
        "keyword_in_h1",
        "keyword_in_intro",
        "keyword_in_h2",
        "secondary_keywords_used",
        "word_count_on_target",
        "heading_levels",
        "no_repeated_paragraphs",
        "internal_links",
    }
    assert report.details["skipped_heading_levels"] == ["h2->h4"]
    lines = describe_failures(report)
    assert "the meta title has 61 characters; write 1-60" in lines
    assert any(line.startswith("the article has") and "about 1500" in line for line in lines)
    assert 0 < report.score < 20


def test_keyword_matches_whole_words_only_and_ignores_case():
    report = check_article(
        "<h1>Cold Brewing Coffee</h1><p>About coffee.</p>", **{**META, "primary_keyword": "cold brew"}
    )
    assert report.checks["keyword_in_h1"] is False
    report = check_article(
        "<h1>COLD BREW at home</h1><p>Cold-brew tips.</p>", **{**META, "primary_keyword": "cold brew"}
    )
    assert report.checks["keyword_in_h1"] is True


def test_word_count_tolerance_is_twenty_percent():
    words = _words(GOOD)
    assert check_article(GOOD, **META, target_words=round(words * 0.85)).checks["word_count_on_target"]
    assert not check_article(GOOD, **META, target_words=round(words * 0.7)).checks["word_count_on_target"]


def test_unreadable_text_fails_readability():
    dense = (
        "<p>"
        + " ".join(["Incomprehensibility characteristically institutionalises multidimensionality"] * 4)
        + "</p>"
    )
    report = check_article(dense, **META)
    assert report.checks["readable"] is False and report.details["reading_ease"] < 30


def test_german_text_uses_the_german_formula():
    german = (
        "<h1>Kaltbrühkaffee zu Hause</h1><p>Kaltbrühkaffee zieht zwölf Stunden im Kühlschrank. "
        "Danach filtert man ihn durch ein Tuch. Er schmeckt mild und süß.</p>"
    )
    de = check_article(german, **{**META, "primary_keyword": "Kaltbrühkaffee"}, lang="de")
    en = check_article(german, **{**META, "primary_keyword": "Kaltbrühkaffee"}, lang="en")
    assert de.details["lang"] == "de" and de.checks["keyword_in_h1"] and de.checks["keyword_in_intro"]
    assert de.details["reading_ease"] != en.details["reading_ease"]


def test_internal_links_are_relative_or_on_the_site():
    links = [
        "/a",
        "https://coffee.example/b",
        "https://www.coffee.example/c",
        "https://other.example/d",
        "#top",
        "mailto:x@coffee.example",
    ]
    assert internal_link_count(links, "coffee.example") == 3
    assert internal_link_count(links, None) == 1
