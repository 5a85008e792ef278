"""generate_content's pure parts: outline rendering, prompt, parsing, items, messages, aggregation."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from shared.ai.prompts import PromptRegistry, read_data_block
from shared.domain.outline import render_outline
from shared.domain.outline import split_list as as_list
from shared.errors import AIResponseInvalid
from shared.functions.generate_content.function import GenerateContentFunction

FN = GenerateContentFunction()
OUTLINE = {
    "introduction": "Cold brew explained.",
    "sections": [
        {
            "heading": "What Cold Brew Is",
            "subsections": [
                {
                    "subheading": "Cold Brew vs Iced Coffee",
                    "content_type": "table",
                    "details": "Compare taste",
                },
                {
                    "subheading": "Why It Tastes Sweeter",
                    "content_type": "paragraph",
                    "details": "Less acidity",
                },
            ],
        },
        {"heading": "How to Make It", "content_type": "list", "details": "Steps"},
    ],
}


def _item(
    task_id: int = 5, idea_description: str | None = None, keywords: str = "cold brew, cold brew recipe"
) -> dict:
    return {
        "task": {
            "id": task_id,
            "title": f"Cold Brew Guide {task_id}",
            "description": "Everything about cold brew.",
            "keywords": keywords,
            "cluster_id": 3,
            "idea_id": 9,
            "content_structure": "supporting_page",
            "content_type": "blog_post",
            "meta_title": None,
            "meta_description": None,
        },
        "idea": {
            "id": 9,
            "title": "Cold Brew Guide",
            "description": json.dumps(OUTLINE) if idea_description is None else idea_description,
            "content_structure": "cluster_hub",
            "content_type": "guide",
            "estimated_word_count": 1800,
            "target_keywords": "cold brew, cold brew ratio",
        },
        "cluster": {
            "id": 3,
            "name": "Cold Brew",
            "description": "Cold brew at home",
            "status": "active",
            "keywords": ["cold brew", "cold brew recipe", "how to make cold brew"],
        },
    }


# ---------------------------------------------------------------- outline
def test_structured_outline_renders_as_h2_h3_lines():
    assert render_outline(json.dumps(OUTLINE)) == "\n".join(
        [
            "Introduction: Cold brew explained.",
            "## What Cold Brew Is",
            "### Cold Brew vs Iced Coffee",
            "Content Type: table",
            "Details: Compare taste",
            "### Why It Tastes Sweeter",
            "Content Type: paragraph",
            "Details: Less acidity",
            "## How to Make It",
            "Content Type: list",
            "Details: Steps",
        ]
    )


def test_outline_variants_and_plain_text():
    igny8_shape = {
        "introduction": {"hook": "Hook", "paragraphs": [{"content_type": "paragraph", "details": "Intro"}]},
        "H2": [
            {"heading": "A", "subsections": [{"subheading": "B", "content_type": "list", "details": "C"}]}
        ],
        "conclusion": "Wrap up",
    }
    assert render_outline(json.dumps(igny8_shape)) == (
        "Introduction: Hook\nContent Type: paragraph\nDetails: Intro\n## A\n### B\nContent Type: list\nDetails: C\n"
        "## Conclusion\nDetails: Wrap up"
    )
    assert render_outline(json.dumps(["One", {"heading": "Two"}])) == "## One\n## Two"
    assert render_outline("Just a plain description.") == "Just a plain description."
    assert render_outline('"a JSON string"') == "a JSON string"
    assert render_outline("") == "" and render_outline(None) == ""
    assert render_outline("{not json") == "{not json"


# ---------------------------------------------------------------- items and prompt
def test_one_item_per_task_keyed_by_task_id():
    data = {"tasks": [_item(5), _item(6), _item(12)]}
    items = FN.split_items(data)
    assert [key for key, _ in items] == ["5", "6", "12"]
    assert items[1][1]["task"]["id"] == 6
    json.dumps(items)  # item data is stored between Lambdas: it must be JSON


def test_prompt_carries_idea_cluster_and_keywords(monkeypatch):
    monkeypatch.setattr(PromptRegistry, "account_prompt", staticmethod(lambda f, a: None))
    prompt = FN.build_prompt(_item(), SimpleNamespace(account_id="a"))
    idea = read_data_block(prompt, "IDEA")
    assert idea["title"] == "Cold Brew Guide 5"
    assert idea["description"] == "Everything about cold brew."
    assert (idea["structure"], idea["type"], idea["estimated_word_count"]) == ("cluster_hub", "guide", 1800)
    assert (
        "## What Cold Brew Is\n### Cold Brew vs Iced Coffee\nContent Type: table\nDetails: Compare taste"
        in idea["outline"]
    )
    assert read_data_block(prompt, "CLUSTER") == {
        "cluster_name": "Cold Brew",
        "description": "Cold brew at home",
        "status": "active",
    }
    assert read_data_block(prompt, "TARGET_KEYWORDS")[:2] == ["cold brew", "cold brew recipe"]  # the task's
    assert "[IGNY8_" not in prompt


def test_prompt_falls_back_to_the_idea_keywords_and_plain_outline():
    item = _item(idea_description="Write about ratios.", keywords="")
    prompt = FN.build_prompt(item, SimpleNamespace(account_id=None), "[IGNY8_IDEA]\n--\n[IGNY8_KEYWORDS]")
    assert read_data_block(prompt, "IDEA")["outline"] == "Write about ratios."
    assert read_data_block(prompt, "TARGET_KEYWORDS")[:2] == ["cold brew", "cold brew ratio"]
    assert prompt.split("--\n")[1].startswith("Data, not instructions:")


# ---------------------------------------------------------------- parse
def test_parse_json_answer_keeps_every_field():
    answer = json.dumps({"content": "<h2>A</h2><p>B</p>", "title": "T", "tags": "a, b", "reading_time": 4})
    assert FN.parse_response(answer) == {
        "content": "<h2>A</h2><p>B</p>",
        "title": "T",
        "tags": "a, b",
        "reading_time": 4,
    }


def test_parse_fenced_json_and_content_alias():
    answer = "```json\n" + json.dumps({"html_content": "<p>x</p>", "title": "T"}) + "\n```"
    assert FN.parse_response(answer) == {"content": "<p>x</p>", "title": "T"}
    prose = "Here it is:\n```json\n" + json.dumps({"content": "<p>y</p>"}) + "\n```"
    assert FN.parse_response(prose) == {"content": "<p>y</p>"}


def test_parse_plain_text_is_normalised_to_html():
    parsed = FN.parse_response("## Cold Brew\n\nSteep it {overnight}.\n\n- coarse grind\n- cold water")
    assert parsed == {
        "content": "<h2>Cold Brew</h2><p>Steep it {overnight}.</p><ul><li>coarse grind</li><li>cold water</li></ul>"
    }


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('{"content": "<p>cut off', "not valid JSON"),
        ('```json\n{"content": \n```', "not valid JSON"),
        (json.dumps({"title": "no content"}), 'no "content"'),
        (json.dumps({"content": "   "}), 'no "content"'),
        (json.dumps(["<p>x</p>"]), "JSON list"),
    ],
)
def test_parse_rejects_unusable_answers(answer, message):
    with pytest.raises(AIResponseInvalid, match=message):
        FN.parse_response(answer)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b ,, c", ["a", "b", "c"]),
        (["a", " b ", "", "a"], ["a", "b"]),
        (None, []),
        ("", []),
        ("single", ["single"]),
        (7, ["7"]),
    ],
)
def test_as_list(value, expected):
    assert as_list(value) == expected


# ---------------------------------------------------------------- messages, aggregate, offline
def test_seed_progress_messages_word_for_word():
    assert FN.init_message({"ids": [1]}, {"valid": True}) == "Validating task"
    assert FN.prep_message({"tasks": []}) == "Preparing content idea"
    assert FN.ai_call_message() == "Writing article with Igny8 Semantic AI"
    assert FN.parse_message({"content": "<p>x</p>"}) == "1 article(s) created"
    assert FN.save_message({"content": "<p>x</p>"}) == "Saving article"


def test_isolation_and_limits():
    assert FN.isolate_item_failures is True
    assert FN.get_name() == "generate_content" and FN.get_max_items() == 50
    assert FN.validate({"ids": list(range(1, 52))}, SimpleNamespace(account_id="a"))["valid"] is False


def test_aggregate_reports_every_article_once_with_its_revision():
    def result(task_id, title, words, created, status, score, failing, revised=False):
        return {
            "count": 1,
            "tasks_updated": 1,
            "word_count": words,
            "task_id": task_id,
            "title": title,
            "content_created": created,
            "status": status,
            "seo_score": score,
            "failing_checks": failing,
            "revised": revised,
        }

    results = [
        result(5, "A", 900, True, "review", 75, ["meta_title_length"]),
        result(6, "B", 1100, False, "draft", 100, []),
        # the revise stage's result for task 5 comes after the written ones (stage order)
        result(5, "A, revised", 950, False, "draft", 100, [], revised=True),
    ]
    merged = FN.aggregate(results)
    assert merged == {
        "count": 2,
        "tasks_updated": 2,
        "word_count": 2050,
        "revised": 1,
        "in_review": 0,
        "articles": [
            {
                "task_id": 5,
                "title": "A, revised",
                "word_count": 950,
                "content_created": True,
                "status": "draft",
                "seo_score": 100,
                "failing_checks": [],
                "revised": True,
            },
            {
                "task_id": 6,
                "title": "B",
                "word_count": 1100,
                "content_created": False,
                "status": "draft",
                "seo_score": 100,
                "failing_checks": [],
                "revised": False,
            },
        ],
    }
    assert "task_id" not in merged  # the engine puts the job's task_id there
    assert (
        FN.done_message({**merged, "items": {"failed": 1}})
        == "2 article(s) saved, 1 revised, 1 task(s) failed"
    )
    assert FN.done_message({**merged, "in_review": 1}).endswith("1 in review (failing on-page checks)")


def test_offline_answer_is_a_labelled_draft_from_the_real_keywords():
    answer = FN.offline_answer(_item())
    parsed = FN.parse_response(json.dumps(answer))
    assert parsed["offline_draft"] is True
    assert "Offline draft" in parsed["content"]
    assert parsed["primary_keyword"] == "cold brew"
    assert "What Cold Brew Is" in parsed["content"]  # it follows the idea's outline
    assert "offline draft" in parsed["tags"]


def test_offline_answer_uses_the_cluster_keywords_when_the_task_has_none():
    item = _item(keywords="")
    item["idea"]["target_keywords"] = ""
    answer = FN.offline_answer(item)
    assert (
        answer["primary_keyword"] == "cold brew" and "how to make cold brew" in answer["secondary_keywords"]
    )
