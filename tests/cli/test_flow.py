"""ideas, tasks, write, jobs, export, report and run on the local stack, as a user runs them.

``local_api`` records the test server as ``make api`` does, so each command below is invoked
without ``obj`` and finds it by itself; ``cli_target`` is the private in-process stack that
``import``, ``cluster`` and ``run`` use when no local API runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from igny8_cli.client import Api, ApiError, HttpTransport, InProcessTransport
from igny8_cli.local import LocalServer, find_local_server, write_local_file
from igny8_cli.main import cli
from tests.cli.run_checks import check_run_folder
from tests.helpers import api

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_keywords.csv"
COMMANDS = [
    "import",
    "cluster",
    "ideas",
    "tasks",
    "write",
    "jobs",
    "export",
    "report",
    "wordpress",
    "publish",
    "run",
]


def run(args: list[str], obj: Any = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, args, obj=obj, input=input, catch_exceptions=False, prog_name="igny8")


def ok(args: list[str], obj: Any = None) -> Result:
    result = run(args, obj)
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


def listed(key: str, path: str, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
    status, page = api("GET", path, key, query={"limit": "500", **(query or {})})
    assert status == 200 and page.get("next") is None
    return list(page["results"])


def test_ideas_tasks_write_on_the_local_api(local_api, account, tmp_path):
    clustered = ok(["cluster", str(SAMPLE), "--out", str(tmp_path / "clusters.csv")])
    assert f"Running on local API {local_api.url}" in clustered.stderr
    clusters = listed(account.api_key, "/v1/planner/clusters/")
    largest = sorted(clusters, key=lambda c: (-c["keywords_count"], -c["volume"], c["name"]))[:2]

    ideas_run = ok(["ideas", "--top", "2"])

    ideas = listed(account.api_key, "/v1/planner/ideas/")
    assert len(ideas) >= 2 and {i["cluster_id"] for i in ideas} == {c["id"] for c in largest}
    assert f"{len(ideas)} idea(s) for 2 cluster(s):" in ideas_run.stdout
    assert all(i["title"][:60] in ideas_run.stdout for i in ideas)
    assert "[generate_ideas] DONE    100%" in ideas_run.stderr

    queued = ok(["tasks", "--all-new"])

    tasks = listed(account.api_key, "/v1/writer/tasks/")
    assert f"{len(ideas)} writer task(s) queued, 0 already there:" in queued.stdout
    assert sorted(t["idea_id"] for t in tasks) == sorted(i["id"] for i in ideas)
    assert {t["status"] for t in tasks} == {"queued"}
    again = ok(["tasks", "--idea", str(ideas[0]["id"])])
    assert "0 writer task(s) queued, 1 already there:" in again.stdout
    assert len(listed(account.api_key, "/v1/writer/tasks/")) == len(tasks)  # no duplicate task
    assert f"{len(tasks)} writer task(s):" in ok(["tasks", "--status", "queued"]).stdout

    first, second, *rest = sorted(t["id"] for t in tasks)
    two = ok(["write", "--task", str(first), "--task", str(second)])

    assert "2 of 2 article(s) written:" in two.stdout and "[generate_content] DONE    100%" in two.stderr
    for task_id in (first, second):
        status, content = api("GET", f"/v1/writer/content/{task_id}/", account.api_key)
        assert status == 200 and content["word_count"] > 300 and content["title"][:50] in two.stdout
    still = {t["id"]: t["status"] for t in listed(account.api_key, "/v1/writer/tasks/")}
    assert {still[t] for t in rest} <= {"queued"} and still[first] == still[second] == "completed"

    others = ok(["write", "--all-queued"])

    assert f"{len(rest)} of {len(rest)} article(s) written:" in others.stdout
    assert {t["status"] for t in listed(account.api_key, "/v1/writer/tasks/")} == {"completed"}
    one_line_error(run(["write", "--all-queued"]), "no queued writer tasks", "igny8 tasks --all-new")


def test_run_on_the_local_api_then_jobs_export_report(local_api, account, tmp_path):
    out = tmp_path / "run"

    result = ok(["run", str(SAMPLE), "--out", str(out), "--articles", "2"])

    assert f"on local API {local_api.url}" in result.stdout
    summary = check_run_folder(out, articles=2)
    cluster_job, ideas_job, content_job = (j["task_id"] for j in summary["jobs"])

    jobs = ok(["jobs"]).stdout
    assert jobs.index(content_job) < jobs.index(ideas_job) < jobs.index(cluster_job)  # newest first
    only = json.loads(ok(["jobs", "--function", "generate_ideas", "--json"]).stdout)
    assert [j["task_id"] for j in only] == [ideas_job]
    newest = json.loads(ok(["jobs", "--limit", "1", "--json"]).stdout)
    assert [j["task_id"] for j in newest] == [content_job]
    assert ok(["jobs", "--status", "failed"]).stdout.strip() == "no jobs matching the filters"
    shown = ok(["jobs", "show", cluster_job]).stdout
    status, job = api("GET", f"/v1/jobs/{cluster_job}", account.api_key)
    assert status == 200 and "status:    completed, phase DONE 100%" in shown
    assert all(entry["message"] in shown for entry in job["history"])
    one_line_error(run(["jobs", "show", "no-such-job"]), "GET /v1/jobs/no-such-job: 404")

    exported = tmp_path / "export"
    saved = ok(["export", "--out", str(exported)])

    assert "Saved 7 file(s)" in saved.stdout  # keywords.csv, keywords.xlsx, ideas.md, 2 x (html, md)
    assert sorted(p.name for p in (exported / "articles").iterdir()) == sorted(
        p.name for p in (out / "articles").iterdir()
    )
    assert (exported / "keywords.csv").read_text() == (out / "keywords.csv").read_text()  # one run: same rows
    assert (exported / "keywords.xlsx").read_bytes()[:2] == b"PK"
    ideas_md = (exported / "ideas.md").read_text().replace("\\", "")
    assert all(i["title"] in ideas_md for i in summary["ideas"])
    csv_only = tmp_path / "csv-only"
    ok(["export", "--out", str(csv_only), "--format", "csv"])
    assert [p.name for p in csv_only.iterdir()] == ["keywords.csv"]

    report = tmp_path / "report.html"
    assert f"Saved {report}" in ok(["report", "--out", str(report)]).stdout
    assert report.read_text().lower().startswith("<!doctype html") and report.stat().st_size > 2000


def test_run_end_to_end_on_a_private_stack(cli_target, account, tmp_path):
    out = tmp_path / "out"

    result = ok(["run", str(SAMPLE), "--out", str(out), "--clusters", "3", "--articles", "1"], cli_target)

    assert "on local stack in process (AI: offline local provider)" in result.stdout
    assert "AI provider: offline local provider" in result.stdout
    summary = check_run_folder(out, articles=1)
    assert "Offline draft" in (out / summary["articles"][0]["path"]).read_text()
    assert f"Jobs: 3 run, 0 failed. Wrote {out / 'summary.json'}" in result.stdout


def test_the_local_api_record_is_found_only_while_the_server_answers(http_api, account, local_file):
    assert find_local_server() is None  # no record

    write_local_file(LocalServer("http://127.0.0.1:9", "igy_gone", pid=4))
    assert find_local_server() is None  # a record left by a server that is gone
    one_line_error(run(["jobs"]), "no local API is running", "make api")

    live = LocalServer(http_api, account.api_key, account.account_id, "offline local provider", pid=5)
    write_local_file(live)
    assert find_local_server() == live
    assert local_file.stat().st_mode & 0o077 == 0  # the key is readable by its owner only
    assert ok(["jobs"]).stdout.strip() == "no jobs yet"


@pytest.mark.parametrize(
    "args",
    [["ideas"], ["tasks"], ["write", "--all-queued"], ["jobs"], ["jobs", "show", "t"], ["report"]],
)
def test_commands_that_need_saved_data_say_how_to_start_a_local_api(args, tmp_path):
    one_line_error(run(args), "no local API is running: start one with `make api`", "--api URL --key KEY")


def test_export_without_a_local_api_writes_nothing(tmp_path):
    one_line_error(run(["export", "--out", str(tmp_path / "x")]), "`make api`")
    assert not (tmp_path / "x").exists()


def test_bad_options_are_clear(local_api, account, tmp_path):
    both = run(["ideas", "--cluster", "1", "--top", "2"])
    assert both.exit_code == 2 and "give --cluster ID ... or --top N" in both.stderr
    assert run(["write"]).exit_code == 2 and "give --task ID ... or --all-queued" in run(["write"]).stderr
    assert run(["tasks", "--idea", "1", "--all-new"]).exit_code == 2
    pdf = run(["export", "--out", str(tmp_path), "--format", "csv,pdf"])
    assert pdf.exit_code == 2 and "pdf: choose from csv, xlsx, md, html" in pdf.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    one_line_error(run(["export", "--out", str(a_file)]), "is a file; --out takes a folder")
    one_line_error(run(["report", "--out", str(tmp_path / "no" / "r.html")]), "does not exist")
    one_line_error(run(["ideas"]), "no clusters yet")  # a fresh account
    one_line_error(run(["ideas", "--cluster", "999999"]), "auto_generate_ideas/: 404", "999999")
    one_line_error(run(["write", "--task", "424242"]), "auto_generate_content/: 404", "424242")


def test_help_of_every_command():
    top = run(["--help"])
    assert top.exit_code == 0
    section = top.stdout.split("Commands:")[1].splitlines()
    names = [line.split()[0] for line in section if line.startswith("  ") and not line.startswith("   ")]
    assert names == COMMANDS  # in the order of the flow
    for args in [[name] for name in COMMANDS] + [["jobs", "show"]]:
        shown = run([*args, "--help"])
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.startswith(f"Usage: igny8 {' '.join(args)} ") and "--help" in shown.stdout
    assert "--top N" in run(["ideas", "--help"]).stdout and "--all-new" in run(["tasks", "--help"]).stdout
    assert "--all-queued" in run(["write", "--help"]).stdout
    assert (
        "--format LIST" in run(["export", "--help"]).stdout and "--out DIR" in run(["run", "--help"]).stdout
    )


@pytest.mark.parametrize("transport", ["in-process", "http"])
def test_a_bytes_body_is_sent_as_it_is(transport, account, http_api):
    client = Api(
        InProcessTransport(account.api_key)
        if transport == "in-process"
        else HttpTransport(http_api, account.api_key)
    )
    raw = '{"name": "Café Crème"}'.encode()

    site = client.call("POST", "/v1/planner/sites/", raw, content_type="application/json; charset=utf-8")

    assert site["name"] == "Café Crème"
    assert [s["name"] for s in listed(account.api_key, "/v1/planner/sites/")] == ["Café Crème"]
    with pytest.raises(ApiError, match="POST /v1/planner/sites/: 4"):
        client.call("POST", "/v1/planner/sites/", b"name=x", content_type="text/plain")


def test_wordpress_and_publish(local_api, account, monkeypatch):
    from shared.config import reset_settings
    from shared.db.models import Content
    from tests.fakes.wordpress_server import FakeWordPress

    monkeypatch.setenv("WORDPRESS_ALLOW_LOOPBACK", "true")
    reset_settings()
    fake = FakeWordPress().start()
    try:
        status, site = api("POST", "/v1/planner/sites/", account.api_key, {"name": "Coffee"})
        assert status == 201
        Content(
            account.account_id, 5, title="Cold brew", html_content="<p>Steep it.</p>", site_id=site["id"]
        ).save()
        connected = run(["wordpress", str(site["id"]), fake.url, fake.user], input=f"{fake.password}\n")
        assert connected.exit_code == 0, connected.output
        assert f"site {site['id']} publishes to {fake.url} as editor" in connected.stdout
        assert fake.password not in connected.stdout
        first = ok(["publish", "5"]).stdout
        again = ok(["publish", "5"]).stdout
        (post_id,) = fake.posts
        assert f"task 5: post {post_id} created (draft)" in first
        assert f"task 5: post {post_id} updated (draft)" in again
        one_line_error(run(["publish", "6"]), "no article for writer task 6")
    finally:
        fake.stop()
        reset_settings()
