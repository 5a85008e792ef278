"""extract_json finds the JSON in a model answer; validate_answer checks it against the response models."""

from __future__ import annotations

import json

import pytest

from shared.ai.ai_core import AICore, extract_json
from shared.ai.schemas import json_schema_format, validate_answer
from shared.errors import AIResponseInvalid
from shared.functions.auto_cluster.schema import ClusteringResponse
from shared.functions.generate_content.schema import ArticleResponse
from shared.functions.generate_ideas.schema import IdeasResponse
from shared.functions.registry import get_function_instance

CLUSTERS = {"clusters": [{"name": "Cold Brew", "description": "x", "keywords": ["cold brew recipe"]}]}


# ---------------------------------------------------------------- extract_json
@pytest.mark.parametrize(
    "text",
    [
        json.dumps(CLUSTERS),
        f"```json\n{json.dumps(CLUSTERS)}\n```",
        f"```\n{json.dumps(CLUSTERS, indent=2)}\n```",
        f"Here are your clusters:\n\n{json.dumps(CLUSTERS)}\n\nLet me know if you need more.",
        f"Sure! ```JSON\n{json.dumps(CLUSTERS)}``` Done.",
        f"```json\n{{broken\n```\nand the real one: {json.dumps(CLUSTERS)}",
    ],
    ids=["bare", "fenced-json", "fenced-plain", "prose-around", "inline-fence", "second-candidate"],
)
def test_extract_json_finds_the_object(text):
    assert extract_json(text) == CLUSTERS
    assert AICore.extract_json(text) == CLUSTERS


def test_extract_json_arrays_and_braces_inside_strings():
    assert extract_json('[{"name": "a"}]') == [{"name": "a"}]
    assert extract_json('Result: {"content": "<p>{not json}</p>", "n": 1} end') == {
        "content": "<p>{not json}</p>",
        "n": 1,
    }


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "no json here",
        '{"clusters": [{"name": "Cold Brew", "keywords": ["a"',
        "{'single': 'quotes'}",
    ],
)
def test_extract_json_returns_none_without_json(text):
    assert extract_json(text) is None


# ---------------------------------------------------------------- validate_answer
def test_clustering_answer_lenient_where_the_seed_is():
    bare_list = validate_answer(
        ClusteringResponse, '[{"name": "A", "keywords": "x, y ,z", "description": null}]'
    )
    assert isinstance(bare_list, ClusteringResponse)
    assert bare_list.clusters[0].keywords == ["x", "y", "z"] and bare_list.clusters[0].description == ""
    fenced = validate_answer(ClusteringResponse, f"```json\n{json.dumps(CLUSTERS)}\n```")
    assert isinstance(fenced, ClusteringResponse) and fenced.clusters[0].name == "Cold Brew"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"clusters": [{"title": "Cold Brew"}]}, "clusters.0.name: Field required"),
        ({"clusters": [{"name": "   "}]}, "clusters.0.name"),
        ({"clusters": "none"}, "clusters: Input should be a valid list"),
        ({"groups": []}, "clusters: Field required"),
    ],
)
def test_schema_invalid_clustering_answers_are_refused(answer, expected):
    with pytest.raises(AIResponseInvalid) as error:
        validate_answer(ClusteringResponse, json.dumps(answer))
    assert expected in str(error.value) and "nothing was saved" in str(error.value)


def test_malformed_and_empty_answers_are_refused():
    with pytest.raises(AIResponseInvalid, match="not valid JSON"):
        validate_answer(ClusteringResponse, '{"clusters": [{"name": "A"')
    with pytest.raises(AIResponseInvalid, match="empty"):
        validate_answer(IdeasResponse, "  ")


def test_ideas_answer_accepts_outline_objects_numbers_as_text_and_aliases():
    answer = {
        "ideas": [
            {
                "idea_title": "Cold brew at home",
                "description": {"introduction": "Why", "sections": []},
                "cluster_id": "3",
                "estimated_word_count": "1,500 words",
                "covered_keywords": ["a", "b"],
            },
            {"title": "Plain", "description": "text", "target_keywords": "a, b"},
        ]
    }
    validated = validate_answer(IdeasResponse, json.dumps(answer))
    assert isinstance(validated, IdeasResponse)
    first = validated.ideas[0]
    assert (first.title, first.cluster_id, first.estimated_word_count) == ("Cold brew at home", 3, 1500)
    with pytest.raises(AIResponseInvalid, match=r"\(root\): expected a JSON object"):
        validate_answer(IdeasResponse, json.dumps([{"title": "no ideas key"}]))
    with pytest.raises(AIResponseInvalid, match="ideas: Field required"):
        validate_answer(IdeasResponse, json.dumps({"items": []}))
    with pytest.raises(AIResponseInvalid, match="ideas.0.title"):
        validate_answer(IdeasResponse, json.dumps({"ideas": [{"description": "untitled"}]}))


def test_article_answer_keeps_extras_allows_plain_text_and_rejects_broken_json():
    validated = validate_answer(
        ArticleResponse,
        json.dumps({"html": "<p>x</p>", "tags": "a, b", "reading_time": 4, "word_count": 900.0}),
    )
    assert isinstance(validated, ArticleResponse)
    assert validated.content == "<p>x</p>" and validated.word_count == 900
    assert validated.model_dump()["reading_time"] == 4  # extras are kept (the seed's metadata)
    assert (
        validate_answer(ArticleResponse, "Cold brew is coffee steeped in cold water.\n\nIt takes hours.")
        is None
    )
    with pytest.raises(AIResponseInvalid, match="not valid JSON"):
        validate_answer(ArticleResponse, '{"content": "<p>cut')
    with pytest.raises(AIResponseInvalid, match="content"):
        validate_answer(ArticleResponse, '{"title": "no content"}')


def test_each_function_has_a_response_model_and_a_json_schema_format():
    for name, model in (
        ("auto_cluster", ClusteringResponse),
        ("generate_ideas", IdeasResponse),
        ("generate_content", ArticleResponse),
    ):
        assert get_function_instance(name).response_model() is model
        fmt = json_schema_format(model)
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is False
        assert fmt["json_schema"]["name"].replace("_", "").isalnum()
        json.dumps(fmt)  # serialisable as a request body
    schema = json_schema_format(ClusteringResponse)["json_schema"]["schema"]
    assert schema["required"] == ["clusters"]
    assert set(schema["$defs"]["ClusterAnswer"]["properties"]) == {"name", "description", "keywords"}


def test_base_function_returns_the_response_model_by_name():
    from shared.functions.auto_cluster.function import AutoClusterFunction

    assert AutoClusterFunction().response_model() is ClusteringResponse
