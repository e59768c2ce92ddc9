"""Pure renderers of a :class:`~streams.redact.report.RedactionReport`: Markdown for people, CSV for tools, and
a self-contained HTML page (inline CSS, table-based chart, no external asset) to attach to an audit.

The recall canary section sits right after coverage: coverage says everything was scanned, the canary says how
much of the PII in its labelled messages the scan removed; an entity type below target is marked in every format.

Pure functions of plain data: tested on fixed reports, no ClickHouse needed. Every string taken from the data is
escaped (HTML) or quoted (CSV, Markdown pipes), even though the tables read hold no message text.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from datetime import datetime

from streams.redact.canary_report import canary_status
from streams.redact.report import RedactionReport

__all__ = [
    "RENDERERS",
    "canary_drops",
    "canary_footnote",
    "canary_notes",
    "render_csv",
    "render_html",
    "render_md",
    "status_line",
]

#: Colours of entity types in the HTML chart, cycled in order of first appearance.
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1b9e77",
    "#7570b3",
)
CSV_COLUMNS = ("section", "time", "name", "value", "events", "detail")


def _t(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bucket(report: RedactionReport, value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:00") if report.bucket_name == "hour" else value.strftime("%Y-%m-%d")


def status_line(report: RedactionReport) -> str:
    """One sentence that says, first of all, whether coverage is 100% and, if not, what the gap is made of."""
    c = report.coverage
    if c.complete:
        return f"COMPLETE: 100% of received messages were scanned ({c.scanned} of {c.received})."
    parts = []
    if c.failed_closed:
        parts.append(
            f"{c.failed_closed} failed closed (held on the restricted dead-letter topic, never sent downstream)"
        )
    if c.missing:
        parts.append(f"{c.missing} missing (no audit row and no failure record: investigate)")
    return (
        f"NOT 100%: {c.ratio:.2%} of received messages were scanned ({c.scanned} of {c.received}); "
        f"{c.not_scanned} not scanned: " + "; ".join(parts) + "."
    )


_CANARY_HEADER = (
    "entity",
    "recall",
    "target",
    "status",
    "labelled",
    "leaked",
    "config_version",
    "model_version",
    "checked_at",
)
_CANARY_INTRO = (
    "Leak-free recall on the labelled canary set shipped with cxpulse, measured by the worker's own analyser: the "
    'latest run per entity type at or before the end of the period (docs/redaction.md, "Recall canary").'
)


def _canary_rows(report: RedactionReport) -> list[tuple[object, ...]]:
    return [
        (
            c.entity,
            f"{c.recall:.1%}",
            f"{c.target:.1%}",
            "BELOW TARGET" if c.below_target else "ok",
            c.gold,
            c.leaked,
            c.config_version,
            c.model_version,
            _t(c.checked_at),
        )
        for c in report.canary
    ]


def canary_drops(report: RedactionReport) -> list[str]:
    """One sentence per entity type whose recall fell on the latest run while the redaction config changed."""
    return [
        f"{c.entity}: recall fell from {c.previous_recall:.1%} to {c.recall:.1%} when the redaction config changed "
        f"from {c.previous_config_version} to {c.config_version} (previous run {_t(c.previous_checked_at)})."
        for c in report.canary
        if c.dropped_after_config_change and c.previous_checked_at is not None and c.previous_recall is not None
    ]


def canary_footnote(report: RedactionReport) -> str:
    """Which canary set measured, and what else the run saw (over-redaction, failures); counts only."""
    if not report.canary:
        return ""
    first = report.canary[0]
    return (
        f"Canary set {first.canary_version}; hard negatives changed anyway: {first.negatives_redacted} of "
        f"{first.negatives}; canary messages that failed closed: {first.failed_messages}."
    )


def canary_notes(report: RedactionReport) -> list[str]:
    """Sentences under the canary table: recall drops that came with a config change, then the footnote."""
    footnote = canary_footnote(report)
    return canary_drops(report) + ([footnote] if footnote else [])


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return lines


def _entity_matrix(report: RedactionReport) -> tuple[list[str], list[datetime], dict[tuple[datetime, str], int]]:
    types = list(report.entity_totals())
    buckets = sorted({b.start for b in report.entities})
    cells = {(b.start, b.entity_type): b.entities for b in report.entities}
    return types, buckets, cells


def render_md(report: RedactionReport) -> str:
    c = report.coverage
    out = [
        "# Redaction coverage report",
        "",
        f"Period: {_t(report.since)} to {_t(report.until)} (generated {_t(report.generated_at)})",
        "",
        f"**{status_line(report)}**",
        "",
        f"**{canary_status(report.canary)}**",
        "",
        "## Coverage",
        "",
        *_md_table(
            ("metric", "value"),
            [
                ("received (distinct events with text to scan)", c.received),
                ("scanned (audited)", c.scanned),
                ("coverage", f"{c.ratio:.2%}"),
                ("not scanned: failed closed", c.failed_closed),
                ("not scanned: missing", c.missing),
            ],
        ),
        "",
    ]
    if report.gap:
        shown = f" (first {len(report.gap)} of {c.not_scanned})" if len(report.gap) < c.not_scanned else ""
        out += [
            f"### Gap{shown}",
            "",
            *_md_table(
                ("event_id", "conversation_sid", "at", "status"),
                [(g.event_id, g.conversation_sid, _t(g.at), g.status) for g in report.gap],
            ),
            "",
        ]
    out += ["## Recall canary", "", _CANARY_INTRO, ""]
    if report.canary:
        rows = [(*row[:3], f"**{row[3]}**" if row[3] != "ok" else row[3], *row[4:]) for row in _canary_rows(report)]
        out += [*_md_table(_CANARY_HEADER, rows), ""]
        out += [*(f"- {note}" for note in canary_notes(report)), ""]
    else:
        out += ["No canary run recorded.", ""]
    types, buckets, cells = _entity_matrix(report)
    out += [f"## Entities by type per {report.bucket_name}", ""]
    if types:
        totals = report.entity_totals()
        out += _md_table(
            (report.bucket_name, *types),
            [(_bucket(report, b), *(cells.get((b, t), 0) for t in types)) for b in buckets],
        )
        out += ["| **total** | " + " | ".join(f"**{totals[t]}**" for t in types) + " |", ""]
    else:
        out += ["No entities found in the period.", ""]
    out += [
        "## Fail-closed",
        "",
        f"Distinct events that failed closed: **{report.failed_closed}**"
        + (
            f" (+ {report.failed_without_id} undecodable records without an event id)"
            if report.failed_without_id
            else ""
        ),
        "",
    ]
    if report.failure_reasons:
        out += _md_table(
            ("reason", "events", "first", "last"),
            [(r.reason, r.events, _t(r.first_at), _t(r.last_at)) for r in report.failure_reasons],
        )
        out.append("")
    out += ["## Config and model versions in force", ""]
    if report.versions:
        out += _md_table(
            ("engine", "model_version", "config_version", "events", "first", "last"),
            [
                (v.engine, v.model_version, v.config_version, v.events, _t(v.first_at), _t(v.last_at))
                for v in report.versions
            ],
        )
        out.append("")
    else:
        out += ["No audited events in the period.", ""]
    return "\n".join(out)


def render_csv(report: RedactionReport) -> str:
    """One long table (``section,time,name,value,events,detail``): easy to filter by section in any tool."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    c = report.coverage
    for name, value in (
        ("since", _t(report.since)),
        ("until", _t(report.until)),
        ("bucket", report.bucket_name),
        ("received", c.received),
        ("scanned", c.scanned),
        ("coverage", f"{c.ratio:.6f}"),
        ("complete", str(c.complete).lower()),
        ("not_scanned_failed_closed", c.failed_closed),
        ("not_scanned_missing", c.missing),
        ("failed_closed_events", report.failed_closed),
        ("failed_without_event_id", report.failed_without_id),
        ("canary_entities", len(report.canary)),
        ("canary_below_target", len(report.canary_below_target)),
        ("passed", str(report.passed).lower()),
    ):
        w.writerow(("summary", "", name, value, "", ""))
    for g in report.gap:
        w.writerow(("gap", _t(g.at), g.event_id, "", "", f"status={g.status};conversation_sid={g.conversation_sid}"))
    for c in report.canary:
        previous = (
            f";previous_recall={c.previous_recall:.6f};previous_config_version={c.previous_config_version}"
            if c.previous_recall is not None
            else ""
        )
        w.writerow(
            (
                "canary",
                _t(c.checked_at),
                c.entity,
                f"{c.recall:.6f}",
                c.gold,
                f"target={c.target:.6f};below_target={str(c.below_target).lower()};leaked={c.leaked};"
                f"config_version={c.config_version};model_version={c.model_version};"
                f"canary_version={c.canary_version}{previous}",
            )
        )
    for b in report.entities:
        w.writerow(("entities", _t(b.start), b.entity_type, b.entities, b.events, ""))
    for r in report.failure_reasons:
        w.writerow(("failures", _t(r.first_at), r.reason, r.events, r.events, f"last={_t(r.last_at)}"))
    for v in report.versions:
        w.writerow(
            (
                "versions",
                _t(v.first_at),
                v.config_version,
                v.events,
                v.events,
                f"engine={v.engine};model_version={v.model_version};last={_t(v.last_at)}",
            )
        )
    return buf.getvalue()


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;
text-align:left;font-size:.9rem}th{background:#f3f3f3}.ok{background:#e6f4ea;border-left:6px solid #1e8e3e}
.bad{background:#fce8e6;border-left:6px solid #d93025}.status{padding:.75rem 1rem;font-weight:600}
tr.below td{background:#fce8e6;color:#a50e0e;font-weight:600}
.chart td{border:none;padding:2px 4px}.bar{display:flex;height:16px;min-width:1px}.bar span{display:block;
height:16px}.key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
"""


def _html_table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_chart(report: RedactionReport) -> str:
    """Stacked horizontal bars, one row per bucket, widths relative to the busiest bucket: plain table + CSS."""
    types, buckets, cells = _entity_matrix(report)
    if not types:
        return "<p>No entities found in the period.</p>"
    colour = {t: _PALETTE[i % len(_PALETTE)] for i, t in enumerate(types)}
    peak = max(sum(cells.get((b, t), 0) for t in types) for b in buckets) or 1
    legend = "".join(f'<span class="key" style="background:{colour[t]}"></span>{html.escape(t)}' for t in types)
    rows = []
    for b in buckets:
        total = sum(cells.get((b, t), 0) for t in types)
        spans = "".join(
            f'<span style="width:{100 * cells[(b, t)] / peak:.2f}%;background:{colour[t]}" '
            f'title="{html.escape(t)}: {cells[(b, t)]}"></span>'
            for t in types
            if cells.get((b, t))
        )
        rows.append(
            f"<tr><td>{html.escape(_bucket(report, b))}</td>"
            f'<td style="width:70%"><div class="bar">{spans}</div></td><td>{total}</td></tr>'
        )
    return f'<p>{legend}</p><table class="chart"><tbody>{"".join(rows)}</tbody></table>'


def _html_canary(report: RedactionReport) -> str:
    """The canary table with rows below target in red, then the notes."""
    if not report.canary:
        return "<p>No canary run recorded.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _CANARY_HEADER)
    body = "".join(
        f'<tr class="{"below" if row[3] != "ok" else "met"}">'
        + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in _canary_rows(report)
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in canary_notes(report))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><ul>{notes}</ul>"


def render_html(report: RedactionReport) -> str:
    c = report.coverage
    types, buckets, cells = _entity_matrix(report)
    totals = report.entity_totals()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>cxpulse redaction coverage report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Redaction coverage report</h1>",
        f"<p>Period: {_t(report.since)} to {_t(report.until)} (generated {_t(report.generated_at)})</p>",
        f'<p class="status {"ok" if c.complete else "bad"}">{html.escape(status_line(report))}</p>',
        f'<p class="status {"bad" if report.canary_below_target else "ok"}">'
        f"{html.escape(canary_status(report.canary))}</p>",
        "<h2>Coverage</h2>",
        _html_table(
            ("metric", "value"),
            [
                ("received (distinct events with text to scan)", c.received),
                ("scanned (audited)", c.scanned),
                ("coverage", f"{c.ratio:.2%}"),
                ("not scanned: failed closed", c.failed_closed),
                ("not scanned: missing", c.missing),
            ],
        ),
    ]
    if report.gap:
        shown = f" (first {len(report.gap)} of {c.not_scanned})" if len(report.gap) < c.not_scanned else ""
        parts += [
            f"<h3>Gap{html.escape(shown)}</h3>",
            _html_table(
                ("event_id", "conversation_sid", "at", "status"),
                [(g.event_id, g.conversation_sid, _t(g.at), g.status) for g in report.gap],
            ),
        ]
    parts += ["<h2>Recall canary</h2>", f"<p>{html.escape(_CANARY_INTRO)}</p>", _html_canary(report)]
    parts += [f"<h2>Entities by type per {report.bucket_name}</h2>", _html_chart(report)]
    if types:
        parts.append(
            _html_table(
                (report.bucket_name, *types, "total"),
                [
                    (
                        _bucket(report, b),
                        *(cells.get((b, t), 0) for t in types),
                        sum(cells.get((b, t), 0) for t in types),
                    )
                    for b in buckets
                ]
                + [("total", *(totals[t] for t in types), sum(totals.values()))],
            )
        )
    parts += [
        "<h2>Fail-closed</h2>",
        f"<p>Distinct events that failed closed: <strong>{report.failed_closed}</strong>"
        + (
            f" (+ {report.failed_without_id} undecodable records without an event id)"
            if report.failed_without_id
            else ""
        )
        + "</p>",
    ]
    if report.failure_reasons:
        parts.append(
            _html_table(
                ("reason", "events", "first", "last"),
                [(r.reason, r.events, _t(r.first_at), _t(r.last_at)) for r in report.failure_reasons],
            )
        )
    parts.append("<h2>Config and model versions in force</h2>")
    parts.append(
        _html_table(
            ("engine", "model_version", "config_version", "events", "first", "last"),
            [
                (v.engine, v.model_version, v.config_version, v.events, _t(v.first_at), _t(v.last_at))
                for v in report.versions
            ],
        )
        if report.versions
        else "<p>No audited events in the period.</p>"
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)


#: ``--format`` name → renderer.
RENDERERS: dict[str, Callable[[RedactionReport], str]] = {"md": render_md, "html": render_html, "csv": render_csv}
