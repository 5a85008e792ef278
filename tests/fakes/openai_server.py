"""A fake OpenAI-compatible HTTP server on 127.0.0.1 for tests.

The real ``openai`` client talks to it over real HTTP. Tests script its answers:

    server.queue_json({"clusters": [...]})          # a 200 with that JSON as the message content
    server.queue(FakeReply(status=429, headers={"retry-after": "0"}))
    server.responder = lambda request: FakeReply(...)  # compute answers from the request

Every request received is kept in ``server.requests`` (method, path, headers, parsed body).

``POST /v1/embeddings`` answers like the real endpoint, computed from the request, with its limits
(see ``create_embedding_response``). Embedding requests never consume the chat replies above; they
have their own script, consulted before the request is validated:

    server.queue_embedding_error(429, headers={"retry-after": "0"})  # the next embeddings request
    server.queue_embedding(None, FakeReply(status=500))  # the 1st answers normally, the 2nd fails
    server.embedding_responder = lambda request: None if ... else FakeReply(status=503)
    server.embedding_requests(), server.embedding_input_counts(), server.embedded_inputs()

Run ``python -m tests.fakes.openai_server --port N --max-seconds S`` to serve it for benchmarks: it
prints its base URL on stdout and stops after ``--max-seconds`` or on SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt


@dataclass
class FakeReply:
    """One scripted answer."""

    content: str | None = None
    status: int = 200
    finish_reason: str = "stop"
    prompt_tokens: int = 100
    completion_tokens: int = 50
    refusal: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # a raw body overrides everything above
    delay: float = 0.0
    model: str | None = None


def is_embeddings_path(path: str) -> bool:
    return urlsplit(path).path.rstrip("/").endswith("/embeddings")


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))

    @property
    def is_embeddings(self) -> bool:
        return is_embeddings_path(self.path)

    @property
    def inputs(self) -> list[Any]:
        """The embedding inputs of the request as a list (one string or token array per input)."""
        value = self.body.get("input") if isinstance(self.body, dict) else None
        if value is None:
            return []
        if isinstance(value, list):
            return [value] if value and all(_is_token(v) for v in value) else list(value)
        return [value]

    @property
    def input_count(self) -> int:
        return len(self.inputs)


def completion_body(reply: FakeReply, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


# ====================================================================== embeddings
@dataclass(frozen=True)
class EmbeddingModelSpec:
    """An embedding model: its native vector size and whether ``dimensions`` may shorten it."""

    dimensions: int
    supports_dimensions: bool


EMBEDDING_MODELS: dict[str, EmbeddingModelSpec] = {
    "text-embedding-3-small": EmbeddingModelSpec(1536, True),
    "text-embedding-3-large": EmbeddingModelSpec(3072, True),
    "text-embedding-ada-002": EmbeddingModelSpec(1536, False),
}


@dataclass(frozen=True)
class EmbeddingLimits:
    """The real endpoint's limits (the same for every OpenAI embedding model)."""

    max_inputs: int = 2048
    max_request_tokens: int = 300_000
    max_input_tokens: int = 8192


INPUT_INVALID = (
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "best",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "my",
        "near",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
    ]
)
STOP_WORD_WEIGHT = 0.2
_WORD = re.compile(r"\w+")


class EmbeddingRequestError(Exception):
    """A request the real endpoint refuses; ``payload`` is OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.error_type = error_type

    def payload(self) -> dict[str, Any]:
        return error_body(self.message, error_type=self.error_type, param=self.param, code=self.code)


def error_body(
    message: str,
    *,
    error_type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request (scripted by the fake server).", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model.", "invalid_request_error", None),
    404: ("Not found (scripted by the fake server).", "invalid_request_error", None),
    408: ("Request timed out.", "timeout", None),
    429: ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


def scripted_error_body(
    status: int, message: str | None = None, *, code: str | None = None, error_type: str | None = None
) -> dict[str, Any]:
    """OpenAI's error shape for a scripted status, with the real API's usual type and code for it."""
    default_message, default_type, default_code = _DEFAULT_ERRORS.get(
        status, (f"Fake error {status}.", "server_error" if status >= 500 else "invalid_request_error", None)
    )
    return error_body(
        message or default_message, error_type=error_type or default_type, code=code or default_code
    )


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def count_tokens(item: str | Sequence[int]) -> int:
    """Approximate token count: ceil(UTF-8 bytes / 4), at least 1; a token array counts its length.

    Real OpenAI models count with tiktoken (cl100k_base), which needs downloaded files; English text
    averages about 4 bytes per token, so this approximation is close for the limits' purpose and is
    deterministic. Clients under test should budget with the same or a more conservative estimate.
    """
    if isinstance(item, str):
        return max(1, math.ceil(len(item.encode("utf-8")) / 4))
    return len(item)


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def text_features(item: str | Sequence[int]) -> Counter[str]:
    """The weighted features whose vectors are summed: the text's lower-cased words (a trailing plural
    ``s`` dropped, common English stop words weighted 0.2), or the tokens of a token array."""
    if not isinstance(item, str):
        return Counter(f"#token:{token}" for token in item)
    words = [_stem(word) for word in _WORD.findall(item.lower())]
    return Counter(words) if words else Counter({item.strip().lower() or item: 1})


@lru_cache(maxsize=8192)
def _feature_vector(model: str, feature: str, size: int) -> npt.NDArray[np.float64]:
    """A seeded pseudo-random vector of one feature: components uniform in [-1, 1) from SHAKE-256 of
    (model, feature), so its length is about sqrt(size / 3) for every feature.

    It is deliberately not normalised per size: SHAKE-256 output is a prefix of its longer outputs,
    so a shorter ``size`` gives exactly the first components of the longer vector, and a sum cut to
    ``dimensions`` then renormalised equals the full sum truncated and renormalised (Matryoshka)."""
    digest = hashlib.shake_256(f"{model}\x00{feature}".encode()).digest(4 * size)
    vector = np.frombuffer(digest, dtype="<u4").astype(np.float64) / 2.0**31 - 1.0
    vector.setflags(write=False)
    return vector


def fake_embedding(
    item: str | Sequence[int], model: str = "text-embedding-3-small", dimensions: int | None = None
) -> npt.NDArray[np.float32]:
    """The vector the fake returns for one input: the weighted sum of its features' seeded random
    vectors, cut to ``dimensions`` (default: the model's size) and L2-normalised, as float32.

    Texts sharing words are close; texts without common words are near-orthogonal (cosine about
    ±1/sqrt(dimensions)). Deterministic per (input, model, dimensions), across processes and runs."""
    spec = EMBEDDING_MODELS.get(model)
    size = dimensions or (spec.dimensions if spec else 1536)
    total: npt.NDArray[np.float64] = np.zeros(size, dtype=np.float64)
    for feature, count in text_features(item).items():
        weight = STOP_WORD_WEIGHT if feature in STOP_WORDS else 1.0
        total += weight * count * _feature_vector(model, feature, size)
    norm = float(np.linalg.norm(total))
    if norm == 0.0:
        total = np.array(_feature_vector(model, "#empty", size))
        norm = 1.0
    return (total / norm).astype("<f4")


def _parse_inputs(value: object) -> list[str | list[int]]:
    """The inputs of a request: ``str | list[str] | list[int] | list[list[int]]``."""
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, list) and value and all(_is_token(v) for v in value):
        items = [value]
    elif isinstance(value, list) and value:
        items = list(value)
    else:
        raise EmbeddingRequestError(400, INPUT_INVALID)
    parsed: list[str | list[int]] = []
    for item in items:
        if isinstance(item, str) and item:
            parsed.append(item)
        elif isinstance(item, list) and item and all(_is_token(v) and v >= 0 for v in item):
            parsed.append([int(v) for v in item])
        else:  # an empty string, an empty or malformed token array, a number among strings...
            raise EmbeddingRequestError(400, INPUT_INVALID)
    return parsed


def create_embedding_response(
    body: object,
    *,
    models: dict[str, EmbeddingModelSpec] | None = None,
    limits: EmbeddingLimits | None = None,
) -> dict[str, Any]:
    """The response of ``POST /v1/embeddings`` to ``body``, or ``EmbeddingRequestError``.

    Checks, in this order, with the real API's messages: a JSON object with ``model`` and ``input``;
    a known model (else 404 ``model_not_found``); ``encoding_format`` ``float`` or ``base64``;
    ``dimensions`` only for models that support it and within 1..the model's size; inputs that are a
    non-empty string, a list of non-empty strings or a list of token arrays; at most
    ``limits.max_inputs`` inputs; at most ``limits.max_input_tokens`` tokens per input and
    ``limits.max_request_tokens`` summed over the request (tokens by ``count_tokens``).
    """
    models = EMBEDDING_MODELS if models is None else models
    limits = limits or EmbeddingLimits()
    if not isinstance(body, dict):
        raise EmbeddingRequestError(
            400,
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
        )
    model = body.get("model")
    if not model:
        raise EmbeddingRequestError(400, "you must provide a model parameter")
    if "input" not in body:
        raise EmbeddingRequestError(400, "'input' is a required property", param="input")
    if not isinstance(model, str) or model not in models:
        raise EmbeddingRequestError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    spec = models[model]

    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise EmbeddingRequestError(
            400,
            f"Invalid value: '{encoding}'. Supported values are: 'float' and 'base64'.",
            param="encoding_format",
            code="invalid_value",
        )

    dimensions = body.get("dimensions")
    if dimensions is not None:
        if not _is_token(dimensions):
            raise EmbeddingRequestError(
                400,
                f"Invalid type for 'dimensions': expected an integer, but got {type(dimensions).__name__} instead.",
                param="dimensions",
                code="invalid_type",
            )
        if not spec.supports_dimensions:
            raise EmbeddingRequestError(400, "This model does not support specifying dimensions.")
        if dimensions < 1:
            raise EmbeddingRequestError(
                400,
                f"Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got {dimensions} instead.",
                param="dimensions",
                code="integer_below_min_value",
            )
        if dimensions > spec.dimensions:
            raise EmbeddingRequestError(
                400,
                f"Invalid 'dimensions': integer above maximum value. Expected a value <= {spec.dimensions}, "
                f"but got {dimensions} instead.",
                param="dimensions",
                code="integer_above_max_value",
            )

    raw_input = body["input"]
    if isinstance(raw_input, list) and len(raw_input) > limits.max_inputs:
        raise EmbeddingRequestError(
            400,
            f"Invalid 'input': array too long. Expected an array with maximum length {limits.max_inputs}, "
            f"but got an array with length {len(raw_input)} instead.",
            param="input",
            code="array_above_max_length",
        )
    inputs = _parse_inputs(raw_input)
    tokens = [count_tokens(item) for item in inputs]
    for index, count in enumerate(tokens):
        if count > limits.max_input_tokens:
            where = "input" if isinstance(raw_input, str) or len(inputs) == 1 else f"input[{index}]"
            raise EmbeddingRequestError(
                400,
                f"Invalid '{where}': maximum context length is {limits.max_input_tokens} tokens, however you "
                f"requested {count} tokens.",
            )
    total = sum(tokens)
    if total > limits.max_request_tokens:
        raise EmbeddingRequestError(
            400,
            f"Requested {total} tokens, max {limits.max_request_tokens} tokens per request",
            error_type="max_tokens_per_request",
            code="max_tokens_per_request",
        )

    size = dimensions or spec.dimensions
    data: list[dict[str, Any]] = []
    for index, item in enumerate(inputs):
        vector = fake_embedding(item, model, size)
        embedding: str | list[float] = (
            base64.b64encode(vector.tobytes()).decode("ascii") if encoding == "base64" else vector.tolist()
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": total, "total_tokens": total},
    }


# ====================================================================== server
class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class FakeOpenAIServer:
    """Start with ``start()``; its ``base_url`` goes into OPENAI_BASE_URL."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.replies: deque[FakeReply] = deque()
        self.responder: Callable[[ReceivedRequest], FakeReply] | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._in_flight = 0
        self._init_embeddings()

    def _init_embeddings(self) -> None:
        #: scripted embedding answers, one per request in arrival order; None answers normally.
        self.embedding_replies: deque[FakeReply | None] = deque()
        #: consulted when no scripted reply is left; returning None answers normally.
        self.embedding_responder: Callable[[ReceivedRequest], FakeReply | None] | None = None
        self.embedding_models: dict[str, EmbeddingModelSpec] = dict(EMBEDDING_MODELS)
        self.embedding_limits = EmbeddingLimits()
        #: seconds every embeddings answer waits (a benchmark's simulated API latency).
        self.embedding_delay = 0.0
        #: whether requests are kept in ``requests`` (the benchmark runner turns it off).
        self.record_requests = True
        #: the most embeddings requests seen in flight at once.
        self.peak_concurrent_embeddings = 0
        #: counters over every embeddings request: requests, inputs, tokens (answered), errors.
        self.embedding_stats: Counter[str] = Counter()

    # ------------------------------------------------------------ scripting
    def queue(self, *replies: FakeReply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def queue_json(self, value: Any, **kwargs: Any) -> None:
        self.queue(FakeReply(content=json.dumps(value), **kwargs))

    def queue_embedding(self, *replies: FakeReply | None) -> None:
        """Script the next embeddings requests, one reply each in arrival order.

        ``None`` answers normally; a ``FakeReply`` with a ``body`` returns that body; one with an error
        ``status`` returns OpenAI's error shape (``content`` as message); any other waits ``delay`` and
        adds ``headers`` to the normal answer."""
        with self._lock:
            self.embedding_replies.extend(replies)

    def queue_embedding_error(
        self,
        status: int = 429,
        message: str | None = None,
        *,
        code: str | None = None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """The next ``times`` embeddings requests fail with ``status`` in OpenAI's error shape (for 429:
        type ``requests``, code ``rate_limit_exceeded``; for 5xx: type ``server_error``)."""
        body = scripted_error_body(status, message, code=code, error_type=error_type)
        reply = FakeReply(status=status, body=body, headers=dict(headers or {}), delay=delay)
        self.queue_embedding(*([reply] * times))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.replies.clear()
            self.responder = None
            self._init_embeddings()

    def _next(self, request: ReceivedRequest) -> FakeReply:
        with self._lock:
            if self.record_requests:
                self.requests.append(request)
            if self.replies:
                return self.replies.popleft()
        if self.responder is not None:
            return self.responder(request)
        return FakeReply(status=500, body={"error": {"message": "fake server: no reply scripted"}})

    # ------------------------------------------------------------ embeddings
    def embedding_requests(self) -> list[ReceivedRequest]:
        """Every ``/embeddings`` request received (answered or refused), in arrival order."""
        with self._lock:
            return [request for request in self.requests if request.is_embeddings]

    def chat_requests(self) -> list[ReceivedRequest]:
        """Every other request received (chat completions), in arrival order."""
        with self._lock:
            return [request for request in self.requests if not request.is_embeddings]

    def embedding_input_counts(self) -> list[int]:
        """The number of inputs of each embeddings request, in arrival order."""
        return [request.input_count for request in self.embedding_requests()]

    def embedded_inputs(self) -> list[Any]:
        """All inputs of all embeddings requests, in arrival order (repeats included)."""
        return [item for request in self.embedding_requests() for item in request.inputs]

    def _answer_embeddings(
        self, request: ReceivedRequest, body: object
    ) -> tuple[int, dict[str, str], Any, float]:
        with self._lock:
            if self.record_requests:
                self.requests.append(request)
            self.embedding_stats["requests"] += 1
            self.embedding_stats["inputs"] += request.input_count
            reply = self.embedding_replies.popleft() if self.embedding_replies else None
            scripted = reply is not None
            responder = self.embedding_responder
            models, limits, delay = self.embedding_models, self.embedding_limits, self.embedding_delay
        if not scripted and responder is not None:
            reply = responder(request)
        headers = dict(reply.headers) if reply is not None else {}
        delay += reply.delay if reply is not None else 0.0
        status: int
        payload: Any
        if reply is not None and reply.body is not None:
            status, payload = reply.status, reply.body
        elif reply is not None and reply.status >= 400:
            status, payload = reply.status, scripted_error_body(reply.status, reply.content)
        else:
            try:
                payload = create_embedding_response(body, models=models, limits=limits)
                status = reply.status if reply is not None else 200
            except EmbeddingRequestError as err:
                status, payload = err.status, err.payload()
        with self._lock:
            if status >= 400:
                self.embedding_stats["errors"] += 1
            elif isinstance(payload, dict) and isinstance(payload.get("usage"), dict):
                self.embedding_stats["tokens"] += int(payload["usage"].get("total_tokens", 0))
        return status, headers, payload, delay

    def _enter_embeddings(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.peak_concurrent_embeddings = max(self.peak_concurrent_embeddings, self._in_flight)

    def _leave_embeddings(self) -> None:
        with self._lock:
            self._in_flight -= 1

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self, port: int = 0) -> FakeOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, headers: dict[str, str], payload: Any) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                parsed: object
                try:
                    parsed = json.loads(raw or b"{}")
                except ValueError:
                    parsed = None
                body = parsed if isinstance(parsed, dict) else {}
                request = ReceivedRequest(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                if request.is_embeddings:
                    server._enter_embeddings()
                    try:
                        status, headers, payload, delay = server._answer_embeddings(request, parsed)
                        if delay:
                            time.sleep(delay)
                        self._send(status, headers, payload)
                    finally:
                        server._leave_embeddings()
                    return
                reply = server._next(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.body is not None:
                    payload = reply.body
                elif reply.status >= 400:
                    payload = {
                        "error": {"message": reply.content or f"fake error {reply.status}", "type": "fake"}
                    }
                else:
                    payload = completion_body(reply, str(body.get("model", "fake-model")))
                self._send(reply.status, reply.headers, payload)

        self._httpd = _HTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True, name="fake-openai").start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


# ====================================================================== standalone runner
def main(argv: Sequence[str] | None = None) -> int:
    """Serve the fake on 127.0.0.1 until ``--max-seconds`` pass or SIGTERM / SIGINT arrives."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.openai_server",
        description="Fake OpenAI-compatible server (embeddings computed, with the real limits) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument(
        "--max-seconds", type=float, default=3600.0, help="stop after this long (default 3600)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every embeddings answer")
    args = parser.parse_args(argv)
    if args.max_seconds <= 0:
        parser.error("--max-seconds must be positive")
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")

    server = FakeOpenAIServer()
    server.record_requests = False
    server.embedding_delay = args.latency_ms / 1000.0
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    server.start(port=args.port)
    started = time.monotonic()
    print(server.base_url, flush=True)
    try:
        stop.wait(args.max_seconds)
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stats = server.embedding_stats
    print(
        f"fake openai server stopped after {time.monotonic() - started:.1f}s: "
        f"{stats['requests']} embeddings requests, {stats['inputs']} inputs, {stats['tokens']} tokens, "
        f"{stats['errors']} errors, peak concurrency {server.peak_concurrent_embeddings}",
        file=sys.stderr,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
