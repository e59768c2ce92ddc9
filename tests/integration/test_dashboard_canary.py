"""The recall canary on the Compliance page and in ``cxpulse report redaction``, against seeded ClickHouse.

Two canary runs are seeded into ``redaction_canary`` (an older one under config ``cfg-old``, the latest under
``cfg-new``): every figure asserted here is worked out by hand from that seed.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from sinks.clickhouse import make_client
from sinks.writer import BatchWriter
from streams.redact.canary_worker import CanaryRecord, canary_tables
from tests.integration.conftest import Deployment

pytestmark = pytest.mark.integration

PAGES = Path(__file__).resolve().parents[2] / "dashboards" / "app_pages"
#: (entity, gold, leaked, target) of the latest run; the older run had nothing leaked.
LATEST = [("PERSON", 60, 1, 0.97), ("PHONE_NUMBER", 40, 4, 0.99), ("US_SSN", 10, 0, 0.99)]


def _record(run: str, at: datetime, config: str, entity: str, gold: int, leaked: int, target: float) -> bytes:
    recall = (gold - leaked) / gold
    return CanaryRecord(
        run_id=run,
        checked_at=at,
        entity=entity,
        gold=gold,
        leaked=leaked,
        recall=recall,
        target=target,
        below_target=recall < target,
        canary_version="canary-v1",
        canary_messages=240,
        failed_messages=0,
        negatives=33,
        negatives_redacted=2,
        engine="cxpulse-fast-presidio",
        model_version="en_core_web_sm-3.8.0",
        config_version=config,
        worker_id="cxpulse@host:1",
        host="host",
        duration_ms=812.5,
    ).to_json()


def _seed(deployment: Deployment, latest: list[tuple[str, int, int, float]]) -> datetime:
    now = datetime.now(UTC)
    old, new = now - timedelta(hours=2), now - timedelta(minutes=10)
    values = [_record("run-old", old, "cfg-old", e, g, 0, t) for e, g, _, t in latest]
    values += [_record("run-new", new, "cfg-new", e, g, leaked, t) for e, g, leaked, t in latest]
    writer = BatchWriter(lambda: make_client(deployment.settings.clickhouse), deployment.settings.sink)
    writer.write(canary_tables(values), token="canary-seed")
    writer.write(canary_tables(values), token="canary-replayed")  # a replay must not add a run
    return new


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Deployment], AppTest]]:
    def run(deployment: Deployment) -> AppTest:
        for key, value in deployment.env.items():
            monkeypatch.setenv(key, value)
        settings_module.load_settings.cache_clear()
        app = AppTest.from_file(str(PAGES / "compliance.py"), default_timeout=60).run()
        assert not app.exception, app.exception
        return app

    yield run
    settings_module.load_settings.cache_clear()


def _report(deployment: Deployment, fmt: str) -> tuple[int, str]:
    out = deployment.workdir / f"canary-report.{fmt}"
    result = subprocess.run(
        [sys.executable, "-m", "cxpulse", "report", "redaction", "--since", "24h", "--format", fmt, "--output", out],
        env={**os.environ, **deployment.env},
        cwd=deployment.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, out.read_text()


def test_compliance_page_shows_latest_canary_recall_red_below_target_and_the_config_drop(
    make_deployment: Callable[[], Deployment], page: Callable[[Deployment], AppTest]
) -> None:
    deployment = make_deployment()
    _seed(deployment, LATEST)
    app = page(deployment)

    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Coverage"] == "100.00%", "no events: coverage is vacuously complete"
    assert metrics["Recall canary"] == "1 below target"
    assert app.error and app.error[0].value.startswith("RECALL CANARY: 1 of 3 entity types below target")
    assert "PHONE_NUMBER 90.0% < 99.0%" in app.error[0].value
    warnings = [w.value for w in app.warning]
    assert [w.split(":")[0] for w in warnings] == ["PERSON", "PHONE_NUMBER"], "both fell with the config change"
    assert warnings[1].startswith(
        "PHONE_NUMBER: recall fell from 100.0% to 90.0% when the redaction config changed from cfg-old to cfg-new"
    )
    assert warnings[0].startswith("PERSON: recall fell from 100.0% to 98.3%")
    table = app.dataframe[0].value.set_index("entity")
    assert table["recall"].round(4).to_dict() == {"PERSON": 0.9833, "PHONE_NUMBER": 0.9, "US_SSN": 1.0}
    assert table["target"].to_dict() == {"PERSON": 0.97, "PHONE_NUMBER": 0.99, "US_SSN": 0.99}
    assert table["status"].to_dict() == {"PERSON": "ok", "PHONE_NUMBER": "🔴 below target", "US_SSN": "ok"}
    assert table["labelled"].to_dict() == {"PERSON": 60, "PHONE_NUMBER": 40, "US_SSN": 10}
    assert table["leaked"].to_dict() == {"PERSON": 1, "PHONE_NUMBER": 4, "US_SSN": 0}
    assert set(table["config"]) == {"cfg-new"}
    styles = app.dataframe[0].proto.arrow_data.styler.styles
    assert "rgba(255, 75, 75, 0.22)" in styles, "the row below target is red"
    assert any("Canary set canary-v1; hard negatives changed anyway: 2 of 33" in c.value for c in app.caption)


def test_dropped_recall_with_a_config_change_is_reported_even_above_target(
    make_deployment: Callable[[], Deployment], page: Callable[[Deployment], AppTest]
) -> None:
    deployment = make_deployment()
    _seed(deployment, [("PERSON", 60, 1, 0.97), ("US_SSN", 10, 0, 0.99)])
    app = page(deployment)
    assert {m.label: m.value for m in app.metric}["Recall canary"] == "at target"
    assert not app.error and app.success[1].value.startswith("RECALL CANARY: every entity type at or above")
    assert [w.value.split(":")[0] for w in app.warning] == ["PERSON"]


def test_report_exits_1_below_target_and_0_at_target(make_deployment: Callable[[], Deployment]) -> None:
    below = make_deployment()
    _seed(below, LATEST)
    code, text = _report(below, "csv")
    assert code == 1, "an entity below its canary target fails the report even at 100% coverage"
    rows = list(csv.DictReader(io.StringIO(text)))
    summary = {r["name"]: r["value"] for r in rows if r["section"] == "summary"}
    assert (summary["complete"], summary["canary_below_target"], summary["passed"]) == ("true", "1", "false")
    canary = {r["name"]: r for r in rows if r["section"] == "canary"}
    assert set(canary) == {"PERSON", "PHONE_NUMBER", "US_SSN"}
    assert canary["PHONE_NUMBER"]["value"] == "0.900000" and "below_target=true" in canary["PHONE_NUMBER"]["detail"]
    code, markdown = _report(below, "md")
    assert code == 1 and "| PHONE_NUMBER | 90.0% | 99.0% | **BELOW TARGET** | 40 | 4 | cfg-new |" in markdown

    at_target = make_deployment()
    _seed(at_target, [("PERSON", 60, 1, 0.97), ("US_SSN", 10, 0, 0.99)])
    code, page_html = _report(at_target, "html")
    assert code == 0
    assert 'class="status ok">RECALL CANARY: every entity type at or above its target (2 types).' in page_html
