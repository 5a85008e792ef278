"""Function registry with lazy loading (the seed's registry.py).

Functions are registered by name with the module that holds their class, and with their
legacy aliases (the seed's FUNCTION_ALIASES); the class is imported only the first time it is
asked for, so a Lambda that runs one function never imports the others. Adding a function is
one folder under ``shared/functions/`` and one ``register_lazy_function`` line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from shared.errors import InputInvalid
from shared.functions.base import BaseAIFunction

_FUNCTIONS: dict[str, type[BaseAIFunction]] = {}
_LAZY: dict[str, Callable[[], type[BaseAIFunction]]] = {}
_ALIASES: dict[str, str] = {}


def register_function(name: str, cls: type[BaseAIFunction], aliases: tuple[str, ...] = ()) -> None:
    _FUNCTIONS[name] = cls
    _ALIASES.update(dict.fromkeys(aliases, name))


def register_lazy_function(
    name: str, loader: Callable[[], type[BaseAIFunction]], aliases: tuple[str, ...] = ()
) -> None:
    _LAZY[name] = loader
    _ALIASES.update(dict.fromkeys(aliases, name))


def canonical_name(function_name: str) -> str:
    """The registered name of a function given by name or by a legacy alias."""
    return _ALIASES.get(function_name, function_name)


def get_function(name: str) -> type[BaseAIFunction]:
    """The class registered as ``name`` (or an alias of it); loads it on first use."""
    name = canonical_name(name)
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

register_lazy_function("auto_cluster", _load_auto_cluster, ("cluster_keywords", "auto_cluster_keywords"))
register_lazy_function("generate_ideas", _load_generate_ideas, ("auto_generate_ideas", "generate_idea"))
register_lazy_function(
    "generate_content", _load_generate_content, ("auto_generate_content", "generate_article")
)
