"""Price table per model (USD per 1M tokens, from the catalogue) and cost of one call.

Overridable without a deploy: ``PRICE_TABLE_JSON`` in the environment, e.g.
``{"my-model": {"input": 0.5, "output": 1.5, "cached_input": 0.25}}``, merged over the defaults
(``cached_input`` is optional and defaults to the input price). Dated snapshots
(``gpt-4o-mini-2024-07-18``) cost as their longest known prefix; unknown models (a local
Ollama or vLLM model) cost 0.
"""

from __future__ import annotations

import json
from functools import lru_cache

from shared.ai.catalogue import default_prices
from shared.config import get_settings, reset_settings

_FREE = {"input": 0.0, "output": 0.0, "cached_input": 0.0}


class PriceTableError(ValueError):
    """PRICE_TABLE_JSON is malformed."""


def _entry(name: str, prices: object) -> dict[str, float]:
    if not isinstance(prices, dict):
        raise PriceTableError(f"PRICE_TABLE_JSON: {name} must be an object with input and output prices")
    try:
        entry = {"input": float(prices["input"]), "output": float(prices["output"])}
        entry["cached_input"] = float(prices.get("cached_input", entry["input"]))
    except (KeyError, TypeError, ValueError):
        raise PriceTableError(f"PRICE_TABLE_JSON: {name} needs numeric input and output prices") from None
    if any(v < 0 for v in entry.values()):
        raise PriceTableError(f"PRICE_TABLE_JSON: {name} has a negative price")
    return entry


@lru_cache(maxsize=1)
def price_table() -> dict[str, dict[str, float]]:
    table = {name: _entry(name, prices) for name, prices in default_prices().items()}
    extra = get_settings().price_table_json
    if extra:
        try:
            overrides = json.loads(extra)
        except ValueError:
            raise PriceTableError("PRICE_TABLE_JSON is not valid JSON") from None
        if not isinstance(overrides, dict):
            raise PriceTableError("PRICE_TABLE_JSON must be an object keyed by model")
        for name, prices in overrides.items():
            table[str(name)] = _entry(str(name), prices)
    return table


def reset_price_table() -> None:
    """Forget the cached table (tests and scripts change PRICE_TABLE_JSON)."""
    reset_settings()
    price_table.cache_clear()


def prices_for(model: str) -> dict[str, float]:
    """USD per 1M tokens for ``model`` (exact, else the longest known prefix, else free)."""
    table = price_table()
    prices = table.get(model)
    if prices is None:
        prefix = max((name for name in table if model.startswith(name)), key=len, default=None)
        prices = table[prefix] if prefix else _FREE
    return prices


def cost_of(model: str, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> float:
    """USD cost of a call. ``cached_input_tokens`` (part of ``input_tokens``) cost the cached price."""
    prices = prices_for(model)
    cached = min(max(int(cached_input_tokens or 0), 0), max(int(input_tokens or 0), 0))
    uncached = max(int(input_tokens or 0), 0) - cached
    total = (
        uncached * prices["input"]
        + cached * prices.get("cached_input", prices["input"])
        + max(int(output_tokens or 0), 0) * prices["output"]
    )
    return round(total / 1_000_000, 8)
