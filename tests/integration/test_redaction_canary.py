"""The recall canary on the real path: a worker (real broker, real ClickHouse, its own analyser pool) fills
``redaction_canary`` at start; a weakened config shows the affected entity below target in the table, on the
Compliance page and in the report's exit code; and no canary value reaches ClickHouse, a topic or the log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import DEFAULT_CANARY_TARGETS, RedactionSettings
from streams.redact.canary import load_canary_set
from tests.integration.conftest import (
    Deployment,
    dump_table,
    post_signed,
    query_rows,
    signed_message_post,
    wait_for,
)

pytestmark = pytest.mark.integration

_TIMEOUT_S = 240
REPO = Path(__file__).resolve().parents[2]
#: The shipped config minus phone numbers: the canary must show PHONE_NUMBER below target.
WEAK_ENTITIES = [e for e in RedactionSettings().entities if e != "PHONE_NUMBER"]
CANARY = load_canary_set()
COLUMNS = (
    "run_id, entity, gold, leaked, recall, target, below_target, canary_version, canary_messages, failed_messages, "
    "engine, model_version, config_version, worker_id"
)


def _runs(deployment: Deployment) -> dict[str, dict[str, dict[str, object]]]:
    """run_id → entity → row, from ``redaction_canary FINAL``."""
    with deployment.clickhouse() as ch:
        result = ch.query(f"SELECT {COLUMNS} FROM redaction_canary FINAL ORDER BY checked_at, entity")
        rows = list(result.named_results())
    runs: dict[str, dict[str, dict[str, object]]] = {}
    for row in rows:
        runs.setdefault(str(row["run_id"]), {})[str(row["entity"])] = row
    return runs


def _wait_for_runs(deployment: Deployment, count: int) -> dict[str, dict[str, dict[str, object]]]:
    def complete() -> bool:
        runs = _runs(deployment)
        return len(runs) >= count and all(len(r) == len(CANARY.gold()) for r in runs.values())

    wait_for(complete, _TIMEOUT_S, f"{count} complete canary run(s) in redaction_canary", poll=1.0)
    return _runs(deployment)


@pytest.fixture(scope="module")
def deployment(make_deployment_module: Callable[[], Deployment]) -> Deployment:
    deployment = make_deployment_module()
    deployment.env["CXPULSE_CONFIG"] = str(REPO / "cxpulse.toml")  # the shipped config
    deployment.worker().start()
    return deployment


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Deployment], AppTest]]:
    def run(deployment: Deployment) -> AppTest:
        for key, value in deployment.env.items():
            monkeypatch.setenv(key, value)
        settings_module.load_settings.cache_clear()
        app = AppTest.from_file(str(REPO / "dashboards" / "app_pages" / "compliance.py"), default_timeout=60).run()
        assert not app.exception, app.exception
        return app

    yield run
    settings_module.load_settings.cache_clear()


def test_worker_fills_redaction_canary_at_start_with_the_config_it_redacts_with(deployment: Deployment) -> None:
    (run,) = _wait_for_runs(deployment, 1).values()
    assert {e: int(r["gold"]) for e, r in run.items()} == CANARY.gold()
    for entity, row in run.items():
        gold, leaked = int(row["gold"]), int(row["leaked"])
        assert 0 <= leaked <= gold
        assert float(row["recall"]) == pytest.approx((gold - leaked) / gold, abs=1e-6)
        assert float(row["target"]) == DEFAULT_CANARY_TARGETS[entity]
        assert bool(row["below_target"]) == (float(row["recall"]) < float(row["target"]))
        assert row["canary_version"] == CANARY.version and row["canary_messages"] == len(CANARY.messages)
        assert row["failed_messages"] == 0
        assert str(row["worker_id"]).startswith(deployment.settings.worker.app_id + "@")
    print("\ncanary recall, shipped config:", " ".join(f"{e}={float(r['recall']):.3f}" for e, r in run.items()))

    # The versions measured are those that redact real traffic: compare with a real message's audit row.
    response = post_signed(deployment, signed_message_post(deployment, "hello, is anyone there?", "+15005550006", "c"))
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]

    def audited() -> list[tuple]:
        with deployment.clickhouse() as ch:
            return query_rows(
                ch,
                "SELECT engine, model_version, config_version FROM redaction_audit WHERE event_id = {id:String}",
                id=event_id,
            )

    wait_for(lambda: bool(audited()), _TIMEOUT_S, "the audit row of a real message")
    row = next(iter(run.values()))
    assert audited()[0] == (row["engine"], row["model_version"], row["config_version"])


def test_a_weakened_config_shows_its_entity_below_target_on_the_page_and_in_the_report(
    deployment: Deployment, page: Callable[[Deployment], AppTest]
) -> None:
    (first_id, first), *_ = _wait_for_runs(deployment, 1).items()
    for worker in deployment.workers:
        worker.stop()
    deployment.env["CXPULSE_REDACTION__ENTITIES"] = json.dumps(WEAK_ENTITIES)
    try:
        deployment.worker().start()
        runs = _wait_for_runs(deployment, 2)
    finally:
        del deployment.env["CXPULSE_REDACTION__ENTITIES"]
    (weak,) = [r for run_id, r in runs.items() if run_id != first_id]
    phone = weak["PHONE_NUMBER"]
    assert phone["config_version"] != first["PHONE_NUMBER"]["config_version"]
    assert bool(phone["below_target"]) and float(phone["recall"]) < float(first["PHONE_NUMBER"]["recall"])
    assert float(phone["recall"]) < DEFAULT_CANARY_TARGETS["PHONE_NUMBER"]
    print("canary recall, no PHONE_NUMBER:", " ".join(f"{e}={float(r['recall']):.3f}" for e, r in weak.items()))

    app = page(deployment)
    assert {m.label: m.value for m in app.metric}["Recall canary"].endswith("below target")
    assert app.error and "PHONE_NUMBER" in app.error[-1].value and "below target" in app.error[-1].value
    table = app.dataframe[0].value.set_index("entity")
    assert table.loc["PHONE_NUMBER", "status"] == "🔴 below target"
    assert table.loc["PHONE_NUMBER", "config"] == phone["config_version"]
    assert any(
        w.value.startswith("PHONE_NUMBER: recall fell from")
        and f"changed from {first['PHONE_NUMBER']['config_version']} to {phone['config_version']}" in w.value
        for w in app.warning
    )

    result = subprocess.run(
        [sys.executable, "-m", "cxpulse", "report", "redaction", "--since", "1h"],
        env={**os.environ, **deployment.env},
        cwd=deployment.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "| PHONE_NUMBER |" in result.stdout and "**BELOW TARGET**" in result.stdout
    assert "PHONE_NUMBER: recall fell from" in result.stdout


def _deployment_topics(deployment: Deployment) -> list[str]:
    admin = AdminClient(confluent_config(deployment.settings, "admin"))
    names = admin.list_topics(timeout=10).topics
    prefixes = (deployment.settings.kafka.topic_prefix, deployment.settings.worker.app_id)
    return sorted(n for n in names if n.startswith(prefixes))


def test_no_canary_value_reaches_clickhouse_a_topic_or_the_worker_log(deployment: Deployment) -> None:
    _wait_for_runs(deployment, 1)
    with deployment.clickhouse() as ch:
        tables = [  # views only re-read these tables
            r[0]
            for r in query_rows(
                ch, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View%'"
            )
        ]
        places = {f"ClickHouse {t}": dump_table(ch, t) for t in tables}
    assert "redaction_canary" in tables
    topic_names = _deployment_topics(deployment)
    assert deployment.settings.topic("cx.redaction.canary") in topic_names
    for name in topic_names:
        values = [v for _, v in deployment.topic_records(name) if v is not None]
        places[f"topic {name}"] = b"\n".join(values).decode("utf-8", "replace")
    places.update({f"log {w.log_path.name}": w.log_text() for w in deployment.workers})
    assert "redaction canary canary_version=" + CANARY.version in places["log worker-0.log"]

    secrets = {m.text for m in CANARY.messages} | {m.text[s.start : s.end] for m in CANARY.messages for s in m.spans}
    for place, text in places.items():
        found = sorted(value for value in secrets if value in text)
        assert not found, f"{len(found)} canary values reached {place}"  # never print them
