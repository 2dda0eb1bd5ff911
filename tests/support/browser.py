"""Headless Chromium (Debian's package) for the tests of what a browser shows.

`screenshot` renders a page to a PNG; `measure_report` loads a copy of a report with a
small script appended that measures what the browser laid out (each chart's size,
its visible labels and series) and reads the numbers back from the dumped DOM. The
network is closed to the browser: an unreachable proxy and no name resolution, so a
page that needed the net would show it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NO_NETWORK = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")
MEASURE = """
<script>
(() => {
  const out = {
    resources: performance.getEntriesByType("resource").map((e) => e.name),
    charts: [],
  };
  for (const fig of document.querySelectorAll("figure.chart")) {
    const svg = fig.querySelector("svg");
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const label = svg.querySelector(".axis text");
    out.charts.push({
      id: fig.id,
      width: box.width,
      height: box.height,
      texts: [...svg.querySelectorAll("text")].filter((t) => t.getBBox().width > 0).length,
      lines: svg.querySelectorAll("path.line.reactive.nofill").length,
      dots: svg.querySelectorAll(".dot.reactive").length,
      bars: svg.querySelectorAll(".rect.reactive").length,
      label_px: label ? parseFloat(getComputedStyle(label).fontSize) * scale : 0,
    });
  }
  const pre = document.createElement("pre");
  pre.id = "vlmconsole-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def chromium() -> str:
    """Returns the path of chromium; fails the test when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("headless Chromium is needed: bash scripts/setup_browser.sh")
    return found


def _run(*args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", *NO_NETWORK, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def screenshot(url: str, out: Path, size: tuple[int, int] = (1400, 6000)) -> Path:
    """Renders `url` to the PNG `out` at `size` (width, height) and returns `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run(
        "--hide-scrollbars", f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", url
    )
    assert out.is_file(), done.stderr[-2000:]
    return out


def measure_report(report: Path, workdir: Path) -> dict[str, Any]:
    """Returns what the browser laid out for the report (see MEASURE)."""
    copy = workdir / "measured-report.html"
    text = report.read_text(encoding="utf-8")
    copy.write_text(text.replace("</body>", MEASURE + "</body>", 1), encoding="utf-8")
    done = _run(
        "--window-size=1400,6000", "--virtual-time-budget=3000", "--dump-dom", copy.as_uri()
    )
    start = done.stdout.find('<pre id="vlmconsole-measure">')
    assert start >= 0, done.stderr[-2000:]
    body = done.stdout[start:].split(">", 1)[1].split("</pre>", 1)[0]
    import html

    found: dict[str, Any] = json.loads(html.unescape(body))
    return found
