"""Time, CPU and peak memory of ``shared.clustering.cluster_vectors`` at 1,000, 10,000 and 50,000 vectors.

Run from the repository root::

    .venv/bin/python bench/cluster_algorithm_scale.py [--sizes 1000 10000 50000] [--dims 384]

Each size is a synthetic Gaussian mixture on the unit sphere (one topic per ~25 points, topic centres
random unit vectors, members = centre + isotropic noise, renormalised), so the known topics give an
adjusted Rand index too. Each size runs in a fresh child process so its peak RSS (``ru_maxrss``) is
its own; CPU seconds are user + system of that child (both cores count).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _ari(truth: list[int], predicted: list[int]) -> float:
    """Adjusted Rand index in pure numpy (unassigned -1 rows count as singletons)."""
    import numpy as np

    t = np.asarray(truth)
    p = np.asarray(predicted).copy()
    lone = np.flatnonzero(p < 0)
    p[lone] = p.max(initial=-1) + 1 + np.arange(lone.size)
    _, ti = np.unique(t, return_inverse=True)
    _, pi = np.unique(p, return_inverse=True)
    joint = np.unique(ti.astype(np.int64) * (pi.max() + 1) + pi, return_counts=True)[1]

    def comb(c: np.ndarray) -> float:
        return float((c * (c - 1) / 2).sum())

    index = comb(joint)
    a, b = comb(np.bincount(ti)), comb(np.bincount(pi))
    expected = a * b / (len(t) * (len(t) - 1) / 2)
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def run_one(n: int, dims: int) -> dict[str, float]:
    """Build the mixture, cluster it, and return the figures (runs inside the child)."""
    import numpy as np

    from shared.clustering import cluster_vectors

    rng = np.random.default_rng(n)
    topics = max(2, n // 25)
    centres = rng.standard_normal((topics, dims)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.integers(0, topics, size=n)
    # Noise of per-coordinate std 0.8/sqrt(dims) gives member-centre cosine ≈ 0.78, member-member ≈ 0.61.
    noise = rng.standard_normal((n, dims)).astype(np.float32) * (0.8 / np.sqrt(dims))
    x = centres[truth] + noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    wall, cpu = time.perf_counter(), time.process_time()
    result = cluster_vectors(x)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "n": n,
        "dims": dims,
        "topics": topics,
        "clusters": result.n_clusters,
        "placed": float((result.labels >= 0).mean()),
        "ari": _ari(truth.tolist(), result.labels.tolist()),
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """Run each size in a child process and print one line per size."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.dims)))
        return 0
    print(
        f"{'n':>7} {'dims':>5} {'topics':>6} {'clusters':>8} {'placed':>7} {'ARI':>6} "
        f"{'wall s':>7} {'CPU s':>7} {'peak RSS MB':>11}"
    )
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--dims", str(args.dims)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['n']:>7} {r['dims']:>5} {r['topics']:>6} {r['clusters']:>8} {r['placed']:>7.1%} "
            f"{r['ari']:>6.3f} {r['wall_s']:>7.1f} {r['cpu_s']:>7.1f} {r['peak_rss_mb']:>11.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
