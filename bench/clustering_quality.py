"""Quality and speed benchmark of the offline keyword clustering (``shared.functions.auto_cluster.offline``).

Run from the repository root (or anywhere)::

    python bench/clustering_quality.py [--csv PATH] [--sample PATH]

1. Banking77 test split (3,080 short customer queries, 77 labelled intents, kept in the workplace's
   ``shared/data`` beside the repository): clusters the ``text`` column without being told the number
   of labels and prints the number of texts, clusters found, adjusted Rand index, NMI and seconds.
   ARI and NMI are computed here in pure Python; a text the algorithm leaves out counts as a cluster
   of its own.
2. ``data/sample_keywords.csv`` (a Semrush-style export of a home-coffee site): clusters found, the
   largest cluster sizes and seconds.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared.functions.auto_cluster.offline import cluster_keywords  # noqa: E402

BANKING77 = Path(__file__).resolve().parents[2] / "shared/data/banking77/test.csv"
SAMPLE = REPO / "data/sample_keywords.csv"


def _comb2(n: int) -> int:
    return n * (n - 1) // 2


def _contingency(
    truth: Sequence[Hashable], predicted: Sequence[Hashable]
) -> tuple[Counter, Counter, Counter]:
    if len(truth) != len(predicted):
        raise ValueError("label sequences differ in length")
    return Counter(zip(truth, predicted, strict=True)), Counter(truth), Counter(predicted)


def adjusted_rand_index(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Adjusted Rand index (Hubert & Arabie) of two labelings of the same items."""
    joint, rows, cols = _contingency(truth, predicted)
    n = len(truth)
    if n < 2:
        return 1.0
    index = sum(_comb2(c) for c in joint.values())
    sum_rows = sum(_comb2(c) for c in rows.values())
    sum_cols = sum(_comb2(c) for c in cols.values())
    expected = sum_rows * sum_cols / _comb2(n)
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def _entropy(counts: Counter, n: int) -> float:
    return -sum(c / n * math.log(c / n) for c in counts.values() if c)


def normalized_mutual_info(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Normalised mutual information with the arithmetic-mean normaliser (scikit-learn's default)."""
    joint, rows, cols = _contingency(truth, predicted)
    n = len(truth)
    if n == 0:
        return 1.0
    mutual = sum(c / n * math.log(c * n / (rows[t] * cols[p])) for (t, p), c in joint.items())
    h_truth, h_pred = _entropy(rows, n), _entropy(cols, n)
    if h_truth == 0 and h_pred == 0:
        return 1.0
    denominator = (h_truth + h_pred) / 2
    return max(0.0, mutual / denominator) if denominator else 0.0


def labels_from_clusters(clusters: Sequence[dict], texts: Sequence[str]) -> list[int]:
    """One label per text from the clusters' keyword lists.

    A repeated text shares its first occurrence's cluster; a text in no cluster gets a label of its own.
    """
    cluster_of = {keyword: label for label, c in enumerate(clusters) for keyword in c["keywords"]}
    labels = []
    next_label = len(clusters)
    for text in texts:
        if text in cluster_of:
            labels.append(cluster_of[text])
        else:
            labels.append(next_label)
            next_label += 1
    return labels


def bench_banking77(path: Path) -> None:
    """Cluster the labelled texts and print agreement with the labels."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    truth = [row["label"] for row in rows]
    start = time.perf_counter()
    result = cluster_keywords([{"id": i, "keyword": t, "volume": None} for i, t in enumerate(texts)])
    seconds = time.perf_counter() - start
    clusters = result["clusters"]
    predicted = labels_from_clusters(clusters, texts)
    singletons = sum(1 for c in clusters if len(c["keywords"]) == 1)
    print(f"== {path}")
    print(f"texts:            {len(texts)} ({len(set(truth))} labels)")
    print(f"clusters found:   {len(clusters)} ({singletons} of one text)")
    print(f"adjusted Rand:    {adjusted_rand_index(truth, predicted):.3f}")
    print(f"NMI:              {normalized_mutual_info(truth, predicted):.3f}")
    print(f"seconds:          {seconds:.2f} (cluster_keywords, naming included)")


def bench_sample(path: Path) -> None:
    """Cluster the sample keyword export and print the cluster sizes."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    data = [
        {
            "id": i,
            "keyword": row["Keyword"],
            "volume": int(row["Volume"]) if row.get("Volume") else None,
            "difficulty": int(row["Keyword Difficulty"]) if row.get("Keyword Difficulty") else None,
            "intent": row.get("Intent") or None,
        }
        for i, row in enumerate(rows)
    ]
    start = time.perf_counter()
    clusters = cluster_keywords(data)["clusters"]
    seconds = time.perf_counter() - start
    sizes = sorted((len(c["keywords"]) for c in clusters), reverse=True)
    print(f"== {path}")
    print(f"keywords:         {len(data)}")
    print(f"clusters found:   {len(clusters)} ({sum(1 for s in sizes if s == 1)} of one keyword)")
    print(f"largest sizes:    {sizes[:10]}")
    print(f"largest clusters: {', '.join(c['name'] for c in clusters[:10])}")
    print(f"seconds:          {seconds:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=BANKING77, help="labelled CSV with text,label columns")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="Semrush-style keyword export")
    args = parser.parse_args(argv)
    if args.csv.exists():
        bench_banking77(args.csv)
    else:
        print(f"== {args.csv}: not found, labelled benchmark skipped")
    bench_sample(args.sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
