"""The report's stylesheet, inlined in its `<style>`: system fonts only, light and dark."""

from __future__ import annotations

REPORT_CSS = """
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --stripe: #f6f8fa; --bad: #b42318; --bad-bg: #fef3f2; --grid: rgba(128, 128, 128, 0.35);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d;
    --stripe: #151b23; --bad: #ff7b72; --bad-bg: #2d1214;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
main { max-width: 1280px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.75rem; border-bottom: 1px solid var(--line); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
p.note { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; color: var(--muted); font-weight: 600; }
td { text-align: right; white-space: nowrap; }
td.t { text-align: left; white-space: normal; min-width: 8rem; overflow-wrap: anywhere; }
tbody tr:nth-child(even) { background: var(--stripe); }
tr.failed, tr.failed:nth-child(even) { background: var(--bad-bg); }
tr.failed .status, .error { color: var(--bad); }
th.group { text-align: center; border-bottom: 2px solid var(--line); }
#findings ul { list-style: none; padding: 0; }
li.finding { margin: 0 0 0.75rem; padding-left: 0.75rem; border-left: 3px solid var(--line); }
li.finding.warn { border-left-color: #d29922; }
li.finding.bad { border-left-color: var(--bad); }
li.finding span { color: var(--muted); }
figure.chart { margin: 1rem 0 2rem; max-width: 960px; }
figure.chart figcaption { color: var(--muted); margin-top: 0.25rem; }
figure.chart svg { display: block; width: 100%; height: auto; }
/* pygal draws its grid in black; the page decides. */
figure.chart svg .guide.line { stroke: var(--grid) !important; }
"""
