"""Price table per model (USD per 1M tokens) and cost of one call.

Overridable without a deploy: ``PRICE_TABLE_JSON`` in the environment, e.g.
``{"my-model": {"input": 0.5, "output": 1.5}}``, merged over the defaults.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-4.1": {"input": 2.00, "output": 8.00},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
    "gpt-4.1-nano": {"input": 0.10, "output": 0.40},
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4-turbo": {"input": 10.00, "output": 30.00},
    "gpt-3.5-turbo": {"input": 0.50, "output": 1.50},
    "o3-mini": {"input": 1.10, "output": 4.40},
    "o4-mini": {"input": 1.10, "output": 4.40},
    "gpt-5": {"input": 1.25, "output": 10.00},
    "gpt-5-mini": {"input": 0.25, "output": 2.00},
    "gpt-5-nano": {"input": 0.05, "output": 0.40},
    "igny8-local-offline": {"input": 0.0, "output": 0.0},
}


@lru_cache(maxsize=1)
def price_table() -> dict[str, dict[str, float]]:
    table = {name: dict(prices) for name, prices in DEFAULT_PRICES.items()}
    extra = os.environ.get("PRICE_TABLE_JSON")
    if extra:
        for name, prices in json.loads(extra).items():
            table[name] = {"input": float(prices["input"]), "output": float(prices["output"])}
    return table


def cost_of(model: str, input_tokens: int, output_tokens: int) -> float:
    """USD cost of a call; an unknown model costs as its longest known prefix, else 0."""
    table = price_table()
    prices = table.get(model)
    if prices is None:
        prefix = max((name for name in table if model.startswith(name)), key=len, default=None)
        prices = table[prefix] if prefix else {"input": 0.0, "output": 0.0}
    return round((input_tokens * prices["input"] + output_tokens * prices["output"]) / 1_000_000, 8)
