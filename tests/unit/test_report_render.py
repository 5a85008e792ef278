"""The report page for a large plan stays bounded, and escapes what it shows."""

from __future__ import annotations

import re

from shared.db.models import Cluster, Job
from shared.services import report
from shared.services.report import ClusterLine, PlanReport, render


def _line(n: int, pillar: int) -> ClusterLine:
    cluster = Cluster("acct", n, name=f"cluster {n}", volume=1000 + n, pillar_id=pillar)
    return ClusterLine(cluster, f"pillar {pillar}", keywords=3, difficulty_total=90)


def test_a_large_plan_draws_the_largest_clusters_and_lists_a_bounded_table(monkeypatch):
    monkeypatch.setattr(report, "TABLE_MAX", 50)
    lines = [_line(n, n % 7) for n in range(1, 451)]

    page = render(PlanReport("Big agency", "2026-12-01T10:00:00.000Z", lines, [], 1350, 0))

    drawn = [int(i) for i in re.findall(r'<rect class="cluster" data-cluster-id="(\d+)"', page)]
    assert len(drawn) == report.TREEMAP_MAX == 400
    assert sorted(drawn) == list(range(51, 451))  # the 400 largest by volume
    assert "The 400 largest of 450 clusters are drawn." in page
    assert page.count('<td class="name">') == 50 and "400 more cluster(s)" in page
    assert len(page) < 1_000_000


def test_job_messages_and_names_are_escaped():
    cluster = Cluster("acct", 1, name="<script>alert(1)</script>", volume=10, pillar_id=1)
    job = Job("acct", "t1", function_name="auto_cluster", status="failed", error='<img src=x onerror="y">')

    page = render(
        PlanReport("A & B <agency>", "2026-12-01T10:00:00.000Z", [ClusterLine(cluster, cluster.name)], [job])
    )

    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "A &amp; B &lt;agency&gt;" in page
    assert "&lt;img src=x onerror=&quot;y&quot;&gt;" in page
