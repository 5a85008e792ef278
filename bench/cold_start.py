"""Cold-start import time of every Lambda handler in template.yaml.

For each handler: the median, over 5 fresh interpreter processes, of the time to import the
handler module (what Lambda's init phase pays before the first event), and whether the import
pulled in openai or numpy. Only the AI_CALL function may need openai, and it imports the SDK
when it first calls a provider, not at import time.

Target: every handler but AI_CALL imports in at most ``TARGET_MS``. The floor lines show what
no handler can avoid: the data layer (pynamodb -> botocore) and powertools' Logger/Metrics.

Run: `.venv/bin/python bench/cold_start.py` (or `make bench`).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_stack.template import function_definitions  # noqa: E402

RUNS = 5
TARGET_MS = 150.0
FLOOR = ("botocore.session", "shared.observability", "shared.db.models")
PROBE = """
import json, sys, time
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
print(json.dumps({{"ms": elapsed * 1000, "openai": "openai" in sys.modules, "numpy": "numpy" in sys.modules,
                   "modules": len(sys.modules)}}))
"""
ENV = {"TABLE_PREFIX": "bench", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}


def measure(module: str) -> dict[str, object]:
    samples = []
    for _ in range(RUNS):
        output = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(json.loads(output.strip().splitlines()[-1]))
    return {
        "median_ms": statistics.median(s["ms"] for s in samples),
        "openai": any(s["openai"] for s in samples),
        "numpy": any(s["numpy"] for s in samples),
        "modules": samples[-1]["modules"],
    }


def main() -> int:
    print(
        f"Handler import time, median of {RUNS} fresh processes ({sys.executable}, Python {sys.version.split()[0]})"
    )
    print(f"{'function':<18} {'module':<32} {'median ms':>9}  {'modules':>7}  openai  numpy")
    results = {}
    for logical_id, function in sorted(function_definitions().items()):
        result = measure(function.module)
        results[logical_id] = result
        print(
            f"{logical_id:<18} {function.module:<32} {result['median_ms']:>9.1f}  {result['modules']:>7}  "
            f"{'yes' if result['openai'] else 'no':<6}  {'yes' if result['numpy'] else 'no'}"
        )
    provider = measure("shared.ai.providers.openai_provider")
    print(
        f"{'(provider)':<18} {'shared.ai.providers.openai_provider':<32} {provider['median_ms']:>9.1f}  "
        f"{provider['modules']:>7}  {'yes' if provider['openai'] else 'no':<6}  (imported by AI_CALL on first use)"
    )
    for module in FLOOR:
        floor = measure(module)
        print(f"{'(floor)':<18} {module:<32} {floor['median_ms']:>9.1f}  {floor['modules']:>7}")
    slow = [n for n, r in results.items() if n != "AiCallFunction" and float(r["median_ms"]) > TARGET_MS]  # type: ignore[arg-type]
    print(f"over the {TARGET_MS:.0f} ms target: {', '.join(slow) or 'none'}")
    offenders = [name for name, r in results.items() if r["openai"] and name != "AiCallFunction"]
    if offenders:
        print(f"ERROR: openai imported by {', '.join(offenders)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
