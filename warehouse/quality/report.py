"""The data-quality report of a load: one static HTML page per load under docs/quality/<load_id>/.

Written by the gates themselves (a few milliseconds, no Great Expectations import), so every
load, including one a blocking expectation stopped, leaves a readable record of what was
checked, what failed, how many rows were unexpected or quarantined, and sample values.
"""

from __future__ import annotations

from html import escape
from itertools import groupby
from pathlib import Path

from warehouse.config import Home
from warehouse.quality.evaluate import ExpectationResult

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:2em;width:100%}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f3f3f3}.ok{color:#186a3b}.fail{color:#b03a2e;font-weight:bold}
.warn{color:#9a7d0a;font-weight:bold}code{font-size:12px}
"""


def report_dir(home: Home, load_id: str) -> Path:
    return home.docs / "quality" / load_id


def _status(r: ExpectationResult) -> str:
    if r.success:
        return '<span class="ok">passed</span>'
    cls = "fail" if r.severity == "blocking" else "warn"
    return f'<span class="{cls}">failed ({escape(r.severity)})</span>'


def render(load_id: str, results: list[ExpectationResult], outcome: str) -> str:
    failed = [r for r in results if not r.success]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Data quality {escape(load_id)}"
             f"</title><style>{STYLE}</style></head><body>",
             f"<h1>Data quality, load {escape(load_id)}</h1>",
             f"<p>{escape(outcome)}. {len(results)} expectations in "
             f"{len({r.suite for r in results})} suites; {len(failed)} failed; "
             f"{sum(r.quarantined for r in results)} rows quarantined.</p>", "<h2>Suites</h2><ul>"]
    by_suite = [(s, list(g)) for s, g in groupby(results, key=lambda r: r.suite)]
    for suite, group in by_suite:
        bad = sum(not r.success for r in group)
        parts.append(f"<li><a href='#{escape(suite)}'>{escape(suite)}</a>: {len(group)} "
                     f"expectations, {'all passed' if not bad else f'{bad} failed'}</li>")
    parts.append("</ul>")
    for suite, group in by_suite:
        parts.append(f"<h2 id='{escape(suite)}'>{escape(suite)}</h2><table><tr><th>expectation"
                     "</th><th>column</th><th>status</th><th>on fail</th><th>observed</th>"
                     "<th>unexpected</th><th>quarantined</th><th>sample values</th></tr>")
        for r in group:
            pct = "" if r.unexpected_percent is None else f" ({r.unexpected_percent:.2f}%)"
            unexpected = "" if r.unexpected_count is None else f"{r.unexpected_count}{pct}"
            parts.append(
                f"<tr><td><code>{escape(r.expectation)}</code></td><td>{escape(r.column or '')}</td>"
                f"<td>{_status(r)}</td><td>{escape(r.on_fail)}</td><td>{escape(r.observed or '')}"
                f"</td><td>{unexpected}</td><td>{r.quarantined or ''}</td>"
                f"<td>{escape(', '.join(r.sample))}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(home: Home, load_id: str, results: list[ExpectationResult],
                 outcome: str) -> Path:
    folder = report_dir(home, load_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(load_id, results, outcome), encoding="utf-8")
    tmp.replace(path)
    return path
