"""Cold-start hygiene: importing a handler touches no AWS and imports no heavy AI packages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from local_stack.template import function_definitions

ROOT = Path(__file__).resolve().parents[2]


def test_no_handler_imports_openai_or_numpy_at_import_time():
    modules = [f.module for f in function_definitions().values()]
    probe = (
        "import json, sys\n"
        f"for name in {modules!r}:\n"
        "    __import__(name)\n"
        "print(json.dumps(sorted(m for m in ('openai', 'numpy', 'httpx') if m in sys.modules)))\n"
    )
    # No credentials and an unroutable endpoint: an import that called AWS would fail or hang.
    env = {"TABLE_PREFIX": "t", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
