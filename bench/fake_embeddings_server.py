"""Serve the fake OpenAI-compatible server (``tests/fakes/openai_server.py``) for benchmarks.

Run from anywhere::

    python bench/fake_embeddings_server.py [--port N] [--max-seconds S] [--latency-ms MS]

It listens on 127.0.0.1, prints its base URL (``http://127.0.0.1:PORT/v1``, for OPENAI_BASE_URL) on
stdout, answers ``POST /v1/embeddings`` like the real endpoint with its limits (2,048 inputs and
300,000 tokens per request, 8,192 tokens per input; deterministic word-based vectors), and stops after
``--max-seconds`` (default 3600) or on SIGTERM / SIGINT, printing request counters on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.fakes.openai_server import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
