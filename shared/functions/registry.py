"""Function registry with lazy loading (the seed's registry.py).

Functions are registered by name with a loader; the class is imported only the first time it
is asked for, so a Lambda that runs one function never imports the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from shared.errors import InputInvalid
from shared.functions.base import BaseAIFunction

_FUNCTIONS: dict[str, type[BaseAIFunction]] = {}
_LAZY: dict[str, Callable[[], type[BaseAIFunction]]] = {}


def register_function(name: str, cls: type[BaseAIFunction]) -> None:
    _FUNCTIONS[name] = cls


def register_lazy_function(name: str, loader: Callable[[], type[BaseAIFunction]]) -> None:
    _LAZY[name] = loader


def get_function(name: str) -> type[BaseAIFunction]:
    """The class registered as ``name``; loads it on first use."""
    if name not in _FUNCTIONS:
        loader = _LAZY.get(name)
        if loader is None:
            raise InputInvalid(f"unknown AI function {name!r}; known: {', '.join(list_functions())}")
        _FUNCTIONS[name] = loader()
    return _FUNCTIONS[name]


def get_function_instance(name: str) -> BaseAIFunction:
    return get_function(name)()


def list_functions() -> list[str]:
    return sorted(set(_FUNCTIONS) | set(_LAZY))


def _lazy(module: str, attr: str) -> Callable[[], type[BaseAIFunction]]:
    def load() -> type[BaseAIFunction]:
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    return load


_load_auto_cluster = _lazy("shared.functions.auto_cluster.function", "AutoClusterFunction")
_load_generate_ideas = _lazy("shared.functions.generate_ideas.function", "GenerateIdeasFunction")
_load_generate_content = _lazy("shared.functions.generate_content.function", "GenerateContentFunction")

register_lazy_function("auto_cluster", _load_auto_cluster)
register_lazy_function("generate_ideas", _load_generate_ideas)
register_lazy_function("generate_content", _load_generate_content)
