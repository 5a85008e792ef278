"""The content-plan report in a real headless Chromium: the treemap is drawn, offline.

The plan comes from real offline jobs; the page is fetched through the API (``GET /v1/report``),
saved to a file and opened with Chromium (Debian's ``chromium``; .ci/run installs it) with every
host name unresolvable, so the page can only render from what it carries. Two checks: the layout
the browser computed for each cluster's rectangle (read by a script appended to a copy of the
page, from ``--dump-dom``), and the pixels of a screenshot (saved in the test's tmp dir).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from local_stack.apigw import call_api, proxy_event
from shared.db.models import Cluster
from shared.db.repo import query_account
from tests.helpers import add_keywords, api, run_job

pytestmark = pytest.mark.integration

TOPICS = ["espresso machine", "cold brew", "french press", "pour over", "moka pot", "latte art"]
MODIFIERS = [
    "best", "cheap", "review", "price", "guide", "near me", "for beginners", "recipe", "how to use",
    "problems", "buy", "sale", "comparison", "tips", "ideas", "kit", "set", "brands", "online", "deal",
]  # fmt: skip
WINDOW = (1100, 900)
#: Appended to a copy of the page: what the browser laid out, written into the DOM it dumps.
LAYOUT_PROBE = """<script>
(() => {
  const svg = document.querySelector('svg.treemap');
  const box = (el) => { const b = el.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, h: b.height}; };
  const cells = [...svg.querySelectorAll('rect.cluster')].map((r) => ({
    id: Number(r.dataset.clusterId), fill: getComputedStyle(r).fill, ...box(r)}));
  const out = document.createElement('pre');
  out.id = 'layout';
  out.textContent = JSON.stringify({svg: box(svg), cells});
  document.body.appendChild(out);
})();
</script>
"""


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("headless Chromium is needed: apt-get install -y chromium (.ci/run installs it)")
    return path


def run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium_path(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing outside the page can load
        f"--user-data-dir={tmp / 'profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def report(stack, tmp_path_factory) -> tuple[Path, list[Cluster]]:
    """The report of a plan made by offline jobs, as the API serves it, saved to a file."""
    from shared.services.accounts import create_account, create_api_key

    account_id = create_account("Browser agency", credits=100_000).account_id
    key = create_api_key(account_id)
    _, site = api("POST", "/v1/planner/sites/", key, {"name": "Coffee site"})
    _, sector = api("POST", "/v1/planner/sectors/", key, {"name": "Coffee", "site_id": site["id"]})
    keywords = [
        (f"{m} {t}", 100 + (n * 53) % 2000) for n, (t, m) in enumerate(itertools.product(TOPICS, MODIFIERS))
    ]
    add_keywords(account_id, keywords, site_id=site["id"], sector_id=sector["id"])
    job = run_job(stack, account_id, "auto_cluster", {"sector_id": sector["id"], "strategy": "semantic"}, 180)
    assert job.status == "completed", job.error
    clusters = list(query_account(Cluster, account_id))
    assert len(clusters) >= 3
    ideas = run_job(stack, account_id, "generate_ideas", {"ids": [int(clusters[0].id)]})
    assert ideas.status == "completed", ideas.error

    response = call_api(proxy_event("GET", "/v1/report", None, {"authorization": f"Bearer {key}"}))
    assert response["statusCode"] == 200
    page = (
        base64.b64decode(response["body"]).decode() if response.get("isBase64Encoded") else response["body"]
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path, clusters


def test_the_browser_lays_out_a_rectangle_per_cluster_sized_by_volume(report):
    path, clusters = report
    probe = path.with_name("probe.html")
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"))

    result = run_chromium(path.parent, "--dump-dom", probe.as_uri())

    found = re.search(r'<pre id="layout">(.*?)</pre>', result.stdout, flags=re.DOTALL)
    assert found, "the probe did not run: " + result.stdout[-500:]
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    svg, cells = layout["svg"], layout["cells"]
    assert svg["w"] >= 900 and svg["h"] >= 500  # drawn at its size in the window
    assert sorted(c["id"] for c in cells) == sorted(int(c.id) for c in clusters)
    for cell in cells:
        assert cell["w"] > 5 and cell["h"] > 5, cell
        assert svg["x"] - 0.5 <= cell["x"] and cell["x"] + cell["w"] <= svg["x"] + svg["w"] + 0.5
        assert svg["y"] - 0.5 <= cell["y"] and cell["y"] + cell["h"] <= svg["y"] + svg["h"] + 0.5
        assert re.fullmatch(r"rgb\(\d+, \d+, \d+\)", cell["fill"]), cell["fill"]
    # Areas follow search volume (up to the borders drawn between rectangles).
    volume = {int(c.id): int(c.volume) for c in clusters}
    biggest = max(cells, key=lambda c: c["w"] * c["h"])
    smallest = min(cells, key=lambda c: c["w"] * c["h"])
    assert volume[biggest["id"]] == max(volume.values()) and volume[smallest["id"]] == min(volume.values())
    pillars = {int(c.pillar_id) for c in clusters}
    assert len({c["fill"] for c in cells}) >= min(len(pillars), 3)  # pillars in their own colours


def read_png(path: Path) -> np.ndarray:
    """An 8-bit RGB(A) PNG as an (height, width, channels) array (the filters undone)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(chunks), dtype=np.uint8).reshape(height, stride + 1)
    image = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 1:  # Sub: a running sum per channel
            line = np.cumsum(line.reshape(width, bpp), axis=0).reshape(stride) % 256
        elif kind == 2:  # Up
            line = (line + previous) % 256
        elif kind in (3, 4):  # Average, Paeth: byte by byte
            out, up = line.tolist(), previous.tolist()
            for i in range(stride):
                left = out[i - bpp] if i >= bpp else 0
                corner = up[i - bpp] if i >= bpp else 0
                if kind == 3:
                    out[i] = (out[i] + (left + up[i]) // 2) % 256
                else:
                    p = left + up[i] - corner
                    pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - corner)
                    guess = left if pa <= pb and pa <= pc else (up[i] if pb <= pc else corner)
                    out[i] = (out[i] + guess) % 256
            line = np.array(out)
        image[y] = line.astype(np.uint8)
        previous = image[y]
    return image.reshape(height, width, bpp)[:, :, :3]


def test_a_screenshot_shows_the_coloured_treemap(report):
    path, clusters = report
    shot = path.with_name("report.png")

    run_chromium(path.parent, f"--screenshot={shot}", path.as_uri())

    image = read_png(shot)
    assert image.shape[:2] == (WINDOW[1], WINDOW[0])
    channels = image.astype(np.int16)
    colourful = (channels.max(axis=2) - channels.min(axis=2)) > 60  # the page itself is grey and white
    assert colourful.mean() > 0.25, f"only {colourful.mean():.0%} of the screenshot is coloured"
    rows, cols = np.nonzero(colourful)
    assert cols.max() - cols.min() > 800 and rows.max() - rows.min() > 400  # one big coloured block
    # Each cluster's fill covers a block of the screenshot: its pillar's hue, in up to 3 lightnesses.
    pixels = Counter(map(tuple, image[colourful].tolist()))
    fills = [colour for colour, count in pixels.items() if count >= 0.002 * colourful.size]
    expected = sum(min(n, 3) for n in Counter(c.pillar_id for c in clusters).values())
    assert len(fills) >= expected, (len(fills), expected)
