"""`python scripts/demo.py`: the demo flow, the same as `igny8 run data/sample_keywords.csv --out out`.

`make demo` runs the igny8 command itself; this script stays for the habit and for its options
(`--csv`, `--clusters`, `--articles`, `--out`), which it hands to `igny8 run` (igny8_cli/commands_run.py):
keywords -> auto_cluster -> ideas for the largest clusters -> writer tasks -> articles -> exports
and report, on `make api`'s local API when it runs, else on a private local (moto) stack. Writes
out/summary.json, out/articles/*.html and *.md, the exports and out/report.html.

With OPENAI_API_KEY set, the OpenAI path is used (OPENAI_BASE_URL and OPENAI_MODEL honoured);
without it, the offline local provider answers and says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igny8_cli.main import cli  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csv", default=str(ROOT / "data" / "sample_keywords.csv"))
    parser.add_argument("--clusters", type=int, default=3, help="ideas for this many of the largest clusters")
    parser.add_argument("--articles", type=int, default=0, help="write at most this many articles (0: all)")
    parser.add_argument("--out", default=str(ROOT / "out"), help="where summary.json and articles/ go")
    args = parser.parse_args(argv)
    run = [
        "run",
        args.csv,
        "--out",
        args.out,
        "--clusters",
        str(args.clusters),
        "--articles",
        str(args.articles),
    ]
    try:
        cli.main(run, prog_name="igny8")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
