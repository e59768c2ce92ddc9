"""The coverage report's pure parts: time parsing, bucket choice, and the three renderers on fixed data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from cxpulse.cli import main
from streams.redact.report import (
    Coverage,
    EntityBucket,
    FailureReason,
    GapEvent,
    RedactionReport,
    ReportInputError,
    VersionSpan,
    bucket_seconds,
    parse_moment,
)
from streams.redact.report_render import render_csv, render_html, render_md, status_line

NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
H10, H11 = datetime(2026, 11, 25, 10, tzinfo=UTC), datetime(2026, 11, 25, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("15m", NOW - timedelta(minutes=15)),
        ("2w", NOW - timedelta(weeks=2)),
        (" 30s ", NOW - timedelta(seconds=30)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T08:00:00Z", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        ("2026-11-20T10:00:00+02:00", datetime(2026, 11, 20, 8, tzinfo=UTC)),
    ],
)
def test_parse_moment_accepts_relative_and_iso(text: str, expected: datetime) -> None:
    assert parse_moment(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "24", "h", "-1h", "7y", "2026-13-01", ""])
def test_parse_moment_rejects_anything_else_with_the_forms_in_the_message(text: str) -> None:
    with pytest.raises(ReportInputError, match="--until must be a relative time like"):
        parse_moment(text, now=NOW, option="--until")


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "redaction", "--since", "yesterday"],
        ["report", "redaction", "--since", "1h", "--until", "2h"],  # since after until
        ["report", "redaction", "--since", "1h", "--format", "pdf"],
        ["report", "redaction"],  # --since is required
    ],
)
def test_bad_cli_input_exits_2_before_touching_clickhouse(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    assert "error" in capsys.readouterr().err


def test_bucket_is_hourly_up_to_the_configured_span_then_daily() -> None:
    assert bucket_seconds(NOW - timedelta(hours=72), NOW, hourly_max_h=72) == 3600
    assert bucket_seconds(NOW - timedelta(hours=73), NOW, hourly_max_h=72) == 86400
    assert bucket_seconds(NOW - timedelta(hours=2), NOW, hourly_max_h=1) == 86400


def _report(coverage: Coverage, gap: tuple[GapEvent, ...] = ()) -> RedactionReport:
    return RedactionReport(
        since=NOW - timedelta(hours=24),
        until=NOW,
        generated_at=NOW,
        bucket_s=3600,
        coverage=coverage,
        gap=gap,
        gap_limit=100,
        entities=(
            EntityBucket(H10, "PERSON", 3, 2),
            EntityBucket(H10, "PHONE_NUMBER", 1, 1),
            EntityBucket(H11, "PERSON", 2, 2),
            EntityBucket(H11, "EMAIL_ADDRESS", 4, 3),
        ),
        failed_closed=1,
        failed_without_id=0,
        failure_reasons=(FailureReason("AnalysisFailure: RuntimeError", 1, H11, H11),),
        versions=(VersionSpan("cxpulse-fast", "en_core_web_sm-3.8.0", "cfg-a1", 7, H10, H11),),
    )


COMPLETE = _report(Coverage(received=7, scanned=7, failed_closed=0, missing=0))
GAPPED = _report(
    Coverage(received=9, scanned=7, failed_closed=1, missing=1),
    gap=(GapEvent("EVfailed", "CHone", H11, "failed closed"), GapEvent("EVmissing", "CHtwo", H11, "missing")),
)


def test_status_line_says_complete_or_what_the_gap_is_made_of() -> None:
    assert status_line(COMPLETE).startswith("COMPLETE: 100%")
    line = status_line(GAPPED)
    assert line.startswith("NOT 100%: 77.78%") and "(7 of 9)" in line
    assert "1 failed closed" in line and "1 missing" in line
    only_failed = _report(Coverage(received=2, scanned=1, failed_closed=1, missing=0))
    assert "missing" not in status_line(only_failed)


def test_empty_period_is_vacuously_complete() -> None:
    empty = Coverage(0, 0, 0, 0)
    assert empty.complete and empty.ratio == 1.0


def test_markdown_has_status_gap_entity_matrix_failures_versions() -> None:
    text = render_md(GAPPED)
    assert "**NOT 100%" in text
    assert "| EVfailed | CHone | 2026-11-25T11:00:00Z | failed closed |" in text
    assert "| EVmissing | CHtwo | 2026-11-25T11:00:00Z | missing |" in text
    # types ordered by total (PERSON 5, EMAIL 4, PHONE 1); zero where a type had nothing in an hour
    assert "| hour | PERSON | EMAIL_ADDRESS | PHONE_NUMBER |" in text
    assert "| 2026-11-25 10:00 | 3 | 0 | 1 |" in text
    assert "| 2026-11-25 11:00 | 2 | 4 | 0 |" in text
    assert "| **total** | **5** | **4** | **1** |" in text
    assert "| AnalysisFailure: RuntimeError | 1 |" in text
    assert "| cxpulse-fast | en_core_web_sm-3.8.0 | cfg-a1 | 7 |" in text
    assert "### Gap" not in render_md(COMPLETE)


def test_markdown_says_when_the_gap_list_is_truncated() -> None:
    many = _report(
        Coverage(received=50, scanned=40, failed_closed=0, missing=10), gap=(GapEvent("EV1", "CH1", H10, "missing"),)
    )
    assert "### Gap (first 1 of 10)" in render_md(many)


def test_csv_is_one_long_table_tools_can_filter_by_section() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(GAPPED))))
    summary = {r["name"]: r["value"] for r in rows if r["section"] == "summary"}
    assert summary["received"] == "9" and summary["scanned"] == "7" and summary["complete"] == "false"
    assert summary["not_scanned_failed_closed"] == "1" and summary["not_scanned_missing"] == "1"
    entities = [(r["time"], r["name"], int(r["value"]), int(r["events"])) for r in rows if r["section"] == "entities"]
    assert ("2026-11-25T11:00:00Z", "EMAIL_ADDRESS", 4, 3) in entities and len(entities) == 4
    assert [r["name"] for r in rows if r["section"] == "gap"] == ["EVfailed", "EVmissing"]
    assert [r["name"] for r in rows if r["section"] == "versions"] == ["cfg-a1"]
    assert {r["section"] for r in rows} == {"summary", "gap", "entities", "failures", "versions"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.bars: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} or (value and "url(" in value):
                self.external.append(f"{tag} {name}={value}")
            if tag == "span" and name == "style" and value and value.startswith("width:"):
                self.bars.append(value)


def test_html_is_self_contained_with_a_chart_and_escapes_data() -> None:
    hostile = _report(
        Coverage(received=1, scanned=0, failed_closed=1, missing=0),
        gap=(GapEvent("EV<script>", "CH1", H10, "failed closed"),),
    )
    page = render_html(hostile)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "EV&lt;script&gt;" in page
    parser = _Links()
    parser.feed(page)
    assert parser.external == []
    # one bar segment per (hour, type) with entities; the busiest hour (6 entities) spans 100%
    widths = [bar.split(";")[0] for bar in parser.bars]
    assert widths == ["width:50.00%", "width:16.67%", "width:33.33%", "width:66.67%"]
    assert 'class="status bad"' in page and 'class="status ok"' in render_html(COMPLETE)
