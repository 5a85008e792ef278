"""The fake OpenAI server's ``/v1/embeddings`` through the real ``openai`` SDK and real HTTP: encodings,
``dimensions``, the real endpoint's limits, vectors meaningful enough for clustering, scripted
errors and retries, concurrency, and the standalone runner."""

from __future__ import annotations

import base64
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openai
import pytest
from openai.types import CreateEmbeddingResponse

from tests.fakes.openai_server import (
    EmbeddingLimits,
    FakeOpenAIServer,
    FakeReply,
    count_tokens,
    fake_embedding,
)

SMALL = "text-embedding-3-small"
LARGE = "text-embedding-3-large"
ADA = "text-embedding-ada-002"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(_fake_openai_server: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()


def client(server: FakeOpenAIServer, max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=max_retries, timeout=30)


def vectors(response: CreateEmbeddingResponse) -> np.ndarray:
    return np.array([item.embedding for item in response.data])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def text_of_tokens(tokens: int) -> str:
    """An ASCII text the fake counts as exactly ``tokens`` tokens (4 bytes each)."""
    return ("brew " * tokens)[: 4 * tokens]


# ---------------------------------------------------------------- request and response shape
def test_float_and_base64_encodings_give_equal_vectors(server):
    texts = ["cold brew coffee recipe", "espresso machine descaling", "ünïcode café crème"]
    sdk = client(server)

    default = sdk.embeddings.create(model=SMALL, input=texts)  # the SDK asks for base64 and decodes it
    floats = sdk.embeddings.create(model=SMALL, input=texts, encoding_format="float")
    explicit = sdk.embeddings.create(model=SMALL, input=texts, encoding_format="base64")

    sent = [request.body.get("encoding_format") for request in server.embedding_requests()]
    assert sent == ["base64", "float", "base64"]
    assert isinstance(explicit.data[0].embedding, str)  # asked for explicitly: left to the caller
    assert vectors(default).shape == (3, 1536)
    assert np.array_equal(vectors(default), vectors(floats))
    decoded = np.frombuffer(base64.b64decode(explicit.data[1].embedding), dtype="<f4")
    assert np.array_equal(decoded, vectors(floats)[1])
    assert [item.index for item in default.data] == [0, 1, 2]
    assert default.object == "list" and default.model == SMALL
    assert all(item.object == "embedding" for item in default.data)
    expected_tokens = sum(count_tokens(text) for text in texts)
    assert default.usage.prompt_tokens == default.usage.total_tokens == expected_tokens


def test_a_single_string_and_token_arrays_are_inputs_too(server):
    sdk = client(server)

    one = sdk.embeddings.create(model=SMALL, input="cold brew")
    tokens = sdk.embeddings.create(model=SMALL, input=[[1, 2, 3], [4, 5]])
    flat = sdk.embeddings.create(model=SMALL, input=[7, 8, 9, 10])

    assert len(one.data) == 1 and one.usage.prompt_tokens == count_tokens("cold brew")
    assert len(tokens.data) == 2 and tokens.usage.prompt_tokens == 5
    assert len(flat.data) == 1 and flat.usage.prompt_tokens == 4
    assert server.embedding_input_counts() == [1, 2, 1]
    assert server.embedded_inputs() == ["cold brew", [1, 2, 3], [4, 5], [7, 8, 9, 10]]


def test_dimensions_truncate_and_renormalise_like_matryoshka_embeddings(server):
    sdk = client(server)
    text = "french press coarse grind"

    full = vectors(sdk.embeddings.create(model=SMALL, input=[text]))[0]
    short = vectors(sdk.embeddings.create(model=SMALL, input=[text], dimensions=256))[0]
    large = vectors(sdk.embeddings.create(model=LARGE, input=[text]))[0]
    large_max = vectors(sdk.embeddings.create(model=LARGE, input=[text], dimensions=3072))[0]
    one = vectors(sdk.embeddings.create(model=SMALL, input=[text], dimensions=1))[0]

    assert full.shape == (1536,) and short.shape == (256,) and large.shape == (3072,)
    for vector in (full, short, large):
        assert math.isclose(float(np.linalg.norm(vector)), 1.0, rel_tol=1e-5)
    assert np.allclose(short, full[:256] / np.linalg.norm(full[:256]), atol=1e-6)
    assert np.array_equal(large, large_max)
    assert one.shape == (1,) and abs(one[0]) == pytest.approx(1.0)
    assert server.embedding_requests()[1].body["dimensions"] == 256


@pytest.mark.parametrize(
    ("model", "dimensions", "code", "message"),
    [
        (ADA, 512, None, "This model does not support specifying dimensions."),
        (SMALL, 0, "integer_below_min_value", "Expected a value >= 1, but got 0 instead."),
        (SMALL, 1537, "integer_above_max_value", "Expected a value <= 1536, but got 1537 instead."),
        (LARGE, 3073, "integer_above_max_value", "Expected a value <= 3072, but got 3073 instead."),
    ],
)
def test_dimensions_outside_what_the_model_supports_are_refused(server, model, dimensions, code, message):
    with pytest.raises(openai.BadRequestError) as refused:
        client(server).embeddings.create(model=model, input=["moka pot"], dimensions=dimensions)

    assert refused.value.status_code == 400
    assert refused.value.code == code
    assert refused.value.type == "invalid_request_error"
    assert message in refused.value.message


def test_ada_answers_its_native_size_without_dimensions(server):
    response = client(server).embeddings.create(model=ADA, input=["moka pot"])

    assert vectors(response).shape == (1, 1536)


def test_an_unknown_model_is_404_model_not_found(server):
    with pytest.raises(openai.NotFoundError) as missing:
        client(server).embeddings.create(model="text-embedding-9-huge", input=["moka pot"])

    assert missing.value.status_code == 404
    assert missing.value.code == "model_not_found"
    assert missing.value.type == "invalid_request_error"
    assert "`text-embedding-9-huge` does not exist" in missing.value.message


def test_an_unknown_encoding_format_is_refused(server):
    with pytest.raises(openai.BadRequestError) as refused:
        client(server).embeddings.create(model=SMALL, input=["x"], extra_body={"encoding_format": "int8"})

    assert refused.value.param == "encoding_format"
    assert refused.value.code == "invalid_value"


# ---------------------------------------------------------------- limits
def test_2048_inputs_are_accepted_and_2049_refused(server):
    sdk = client(server)
    keywords = [f"coffee grinder {i}" for i in range(2049)]

    accepted = sdk.embeddings.create(model=SMALL, input=keywords[:2048], dimensions=64)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.embeddings.create(model=SMALL, input=keywords, dimensions=64)

    assert len(accepted.data) == 2048
    assert [item.index for item in accepted.data] == list(range(2048))
    assert refused.value.status_code == 400
    assert refused.value.param == "input"
    assert refused.value.code == "array_above_max_length"
    assert refused.value.type == "invalid_request_error"
    assert (
        "Expected an array with maximum length 2048, but got an array with length 2049 instead."
        in refused.value.message
    )
    assert server.embedding_input_counts() == [2048, 2049]
    assert server.embedding_stats["errors"] == 1


def test_an_input_over_8192_tokens_is_refused(server):
    sdk = client(server)

    accepted = sdk.embeddings.create(model=SMALL, input=[text_of_tokens(8192)])
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.embeddings.create(model=SMALL, input=["short one", text_of_tokens(8193)])

    assert accepted.usage.prompt_tokens == 8192
    assert refused.value.status_code == 400
    assert "Invalid 'input[1]': maximum context length is 8192 tokens" in refused.value.message
    assert "requested 8193 tokens" in refused.value.message


def test_more_than_300000_tokens_in_one_request_are_refused(server):
    sdk = client(server)
    chunk = text_of_tokens(8000)

    accepted = sdk.embeddings.create(model=SMALL, input=[chunk] * 37 + [text_of_tokens(4000)], dimensions=8)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.embeddings.create(model=SMALL, input=[chunk] * 38, dimensions=8)

    assert accepted.usage.total_tokens == 300_000
    assert refused.value.status_code == 400
    # The real endpoint's shape for this limit (its type is not invalid_request_error).
    assert refused.value.body == {
        "message": "Requested 304000 tokens, max 300000 tokens per request",
        "type": "max_tokens_per_request",
        "param": None,
        "code": "max_tokens_per_request",
    }


def test_token_counting_is_a_documented_bytes_over_four_approximation():
    assert count_tokens("a") == 1
    assert count_tokens("abcd") == 1
    assert count_tokens("abcde") == 2
    assert count_tokens("é" * 4) == 2  # UTF-8 bytes, not characters
    assert count_tokens([5, 6, 7]) == 3


@pytest.mark.parametrize("value", ["", ["cold brew", ""], [], [[]], ["cold brew", 3]])
def test_empty_or_malformed_inputs_are_refused(server, value):
    with pytest.raises(openai.BadRequestError) as refused:
        client(server).embeddings.create(model=SMALL, input=value)

    assert refused.value.status_code == 400
    body = refused.value.body
    assert isinstance(body, dict) and body["message"].startswith("'$.input' is invalid.")
    assert refused.value.type == "invalid_request_error"


def test_limits_can_be_lowered_for_a_test_and_reset_restores_them(server):
    server.embedding_limits = EmbeddingLimits(max_inputs=3)

    with pytest.raises(openai.BadRequestError):
        client(server).embeddings.create(model=SMALL, input=["a", "b", "c", "d"])
    server.reset()

    assert len(client(server).embeddings.create(model=SMALL, input=["a", "b", "c", "d"]).data) == 4


# ---------------------------------------------------------------- vectors
def test_vectors_are_deterministic_per_text_model_and_dimensions(server):
    sdk = client(server)
    texts = ["Cold Brew Coffee", "cold brew coffee", "pour over kettle"]

    first = vectors(sdk.embeddings.create(model=SMALL, input=texts))
    second = vectors(sdk.embeddings.create(model=SMALL, input=list(reversed(texts))))
    other_model = vectors(sdk.embeddings.create(model=LARGE, input=texts, dimensions=1536))

    assert np.array_equal(first, second[::-1])
    assert np.array_equal(first[0], first[1])  # words are lower-cased
    assert np.array_equal(first[2], fake_embedding("pour over kettle", SMALL))  # same in any process
    assert abs(cosine(first[0], other_model[0])) < 0.2  # each model has its own space


def test_texts_sharing_words_are_closer_than_unrelated_texts(server):
    texts = [
        "cold brew coffee recipe",
        "cold brew recipes",
        "how to make cold brew at home",
        "best running shoes for women",
        "trail running shoes",
    ]
    found = vectors(client(server).embeddings.create(model=SMALL, input=texts, dimensions=256))
    similarity = found @ found.T

    assert similarity[0, 1] > 0.7  # plural folded
    assert similarity[0, 2] > 0.4
    assert similarity[3, 4] > 0.5
    for coffee in (0, 1, 2):
        for shoes in (3, 4):
            assert abs(similarity[coffee, shoes]) < 0.25
            assert similarity[coffee, shoes] < similarity[0, 2]


# ---------------------------------------------------------------- scripting, retries, recording
def test_a_scripted_429_is_retried_by_the_sdk_then_succeeds(server):
    server.queue_embedding_error(429, headers={"retry-after": "0"})

    response = client(server, max_retries=1).embeddings.create(model=SMALL, input=["aeropress", "v60"])

    assert len(response.data) == 2
    requests = server.embedding_requests()
    assert [request.path for request in requests] == ["/v1/embeddings", "/v1/embeddings"]
    assert requests[0].body == requests[1].body
    assert server.embedding_input_counts() == [2, 2]


def test_a_scripted_429_without_retries_raises_the_rate_limit_error(server):
    server.queue_embedding_error(429, headers={"retry-after": "0"})

    with pytest.raises(openai.RateLimitError) as limited:
        client(server).embeddings.create(model=SMALL, input=["aeropress"])

    assert limited.value.code == "rate_limit_exceeded"
    assert limited.value.response.headers["retry-after"] == "0"
    assert len(client(server).embeddings.create(model=SMALL, input=["aeropress"]).data) == 1


def test_the_nth_request_can_be_scripted_to_fail(server):
    server.queue_embedding(None, FakeReply(status=500))
    sdk = client(server)

    assert len(sdk.embeddings.create(model=SMALL, input=["one"]).data) == 1
    with pytest.raises(openai.InternalServerError) as failed:
        sdk.embeddings.create(model=SMALL, input=["two"])
    assert len(sdk.embeddings.create(model=SMALL, input=["three"]).data) == 1

    assert failed.value.status_code == 500
    assert failed.value.type == "server_error"
    assert server.embedded_inputs() == ["one", "two", "three"]


def test_a_responder_can_fail_requests_by_content(server):
    server.embedding_responder = lambda request: (
        FakeReply(status=503) if "poison" in request.inputs else FakeReply(headers={"x-fake": "yes"})
    )
    sdk = client(server)

    with pytest.raises(openai.InternalServerError):
        sdk.embeddings.create(model=SMALL, input=["fine", "poison"])
    answered = sdk.embeddings.with_raw_response.create(model=SMALL, input=["fine"])

    assert answered.headers["x-fake"] == "yes"
    assert len(answered.parse().data) == 1


def test_embeddings_do_not_consume_the_chat_script(server):
    server.queue_json({"clusters": []})
    sdk = client(server)

    sdk.embeddings.create(model=SMALL, input=["grind size"])
    chat = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

    assert chat.choices[0].message.content == '{"clusters": []}'
    assert [request.path for request in server.requests] == ["/v1/embeddings", "/v1/chat/completions"]
    assert [request.path for request in server.chat_requests()] == ["/v1/chat/completions"]
    assert len(server.embedding_requests()) == 1


def test_concurrent_requests_are_answered_and_counted(server):
    server.embedding_delay = 0.2
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def embed(worker: int) -> None:
        try:
            sdk = client(server)
            response = sdk.embeddings.create(
                model=SMALL, input=[f"keyword {worker}", "shared"], dimensions=32
            )
            results[worker] = vectors(response)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=embed, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == list(range(8))
    assert all(np.array_equal(results[0][1], found[1]) for found in results.values())
    assert server.peak_concurrent_embeddings >= 2
    assert server.embedding_input_counts() == [2] * 8
    assert server.embedding_stats["requests"] == 8 and server.embedding_stats["inputs"] == 16


# ---------------------------------------------------------------- standalone runner
def start_runner(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "fake_embeddings_server.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    return process, base_url


def test_the_runner_serves_until_sigterm():
    process, base_url = start_runner("--max-seconds", "60")
    try:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        sdk = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=10)
        assert len(sdk.embeddings.create(model=SMALL, input=["burr grinder"]).data) == 1
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "1 embeddings requests, 1 inputs" in stderr


def test_the_runner_stops_by_itself_after_max_seconds():
    started = time.monotonic()
    process, base_url = start_runner("--max-seconds", "0.5")
    try:
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert base_url.startswith("http://127.0.0.1:")
    assert process.returncode == 0
    assert time.monotonic() - started < 20
