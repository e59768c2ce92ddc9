"""``cxpulse report redaction`` on the real path: its numbers equal direct ClickHouse counts, it flags the gap
(one event failed closed, one event stored without an audit row), and no raw PII is in any format.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.conftest import Deployment, post_signed, query_rows, signed_message_post, wait_for

pytestmark = pytest.mark.integration

_TIMEOUT_S = 120
MARKER = "zz-force-report-failure-zz"
PII = {
    "person": "Oluwaseun Bakare",
    "phone": "+44 7400 555 019",
    "email": "ingrid.solberg@example.com",
    "card": "4929 1813 0815 8706",
    "author": "+14155550163",
}
BODIES = [
    f"Hi, this is {PII['person']}, call me on {PII['phone']}",
    f"my email is {PII['email']} please",
    f"card {PII['card']} was charged twice",
]
FAILED_BODY = f"{MARKER} my card is {PII['card']}"
MISSING_ID = "EVreport-missing-audit"


def _report(deployment: Deployment, fmt: str, since: datetime, until: datetime, out: Path) -> int:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxpulse",
            "report",
            "redaction",
            "--since",
            since.isoformat(),
            "--until",
            until.isoformat(),
            "--format",
            fmt,
            "--output",
            str(out),
        ],
        env={**os.environ, **deployment.env},
        cwd=deployment.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode


def test_report_matches_clickhouse_and_holds_no_pii(make_deployment: Callable[[], Deployment]) -> None:
    deployment = make_deployment()
    deployment.env["CXPULSE_REDACTION__FAIL_MARKER"] = MARKER
    deployment.worker().start()
    start = datetime.now(UTC)
    ids = []
    for i, body in enumerate([*BODIES, FAILED_BODY]):
        response = post_signed(deployment, signed_message_post(deployment, body, PII["author"], tag=f"report-{i}"))
        assert response.status_code == 200, response.text
        ids.append(response.json()["event_id"])
    ok_ids, failed_id = ids[:3], ids[3]

    def stored() -> bool:
        with deployment.clickhouse() as ch:
            audited = query_rows(
                ch,
                "SELECT uniqExact(event_id) FROM redaction_audit WHERE has({ids:Array(String)}, event_id)",
                ids=ok_ids,
            )[0][0]
            in_events = query_rows(
                ch, "SELECT uniqExact(event_id) FROM events WHERE has({ids:Array(String)}, event_id)", ids=ok_ids
            )[0][0]
            failed = query_rows(
                ch, "SELECT count() FROM redaction_failures WHERE event_id = {id:String}", id=failed_id
            )[0][0]
        return audited == 3 and in_events == 3 and failed >= 1

    wait_for(stored, _TIMEOUT_S, "3 audited events and 1 failure in ClickHouse")
    with deployment.clickhouse() as ch:
        # A stored event the redaction stage never audited: the report must call it "missing".
        ch.insert(
            "events",
            [[MISSING_ID, "CHreport", "<PERSON> says hi", start, start]],
            column_names=["event_id", "conversation_sid", "body", "occurred_at", "received_at"],
        )

    since, until = start - timedelta(hours=1), start + timedelta(hours=1)
    outputs = {}
    for fmt in ("md", "html", "csv"):
        path = deployment.workdir / f"report.{fmt}"
        assert _report(deployment, fmt, since, until, path) == 1, "coverage is not 100%: exit code 1"
        outputs[fmt] = path.read_text()

    # Direct counts, written independently of the report's SQL.
    p = {"since": since.replace(tzinfo=None), "until": until.replace(tzinfo=None)}
    with deployment.clickhouse() as ch:
        from_events = {
            r[0]
            for r in query_rows(
                ch,
                "SELECT event_id FROM events WHERE occurred_at >= {since:DateTime64(3)} AND "
                "occurred_at < {until:DateTime64(3)} AND (body IS NOT NULL OR author != '')",
                **p,
            )
        }
        from_failures = {
            r[0]
            for r in query_rows(
                ch,
                "SELECT event_id FROM redaction_failures WHERE failed_at >= {since:DateTime64(3)} AND "
                "failed_at < {until:DateTime64(3)} AND event_id != ''",
                **p,
            )
        }
        audited = {r[0] for r in query_rows(ch, "SELECT event_id FROM redaction_audit")}
        entity_lists = query_rows(
            ch,
            "SELECT entity_types FROM redaction_audit FINAL WHERE occurred_at >= {since:DateTime64(3)} "
            "AND occurred_at < {until:DateTime64(3)}",
            **p,
        )
        versions = {r for r in query_rows(ch, "SELECT DISTINCT config_version, model_version FROM redaction_audit")}
        reasons = Counter(r[0] for r in query_rows(ch, "SELECT DISTINCT event_id, reason FROM redaction_failures"))
    received = from_events | from_failures
    assert received == {*ok_ids, failed_id, MISSING_ID}
    entities = Counter(t for (types,) in entity_lists for t in types)
    assert {"PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD"} <= set(entities)

    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    summary = {r["name"]: r["value"] for r in rows if r["section"] == "summary"}
    assert int(summary["received"]) == len(received) == 5
    assert int(summary["scanned"]) == len(received & audited) == 3
    assert int(summary["not_scanned_failed_closed"]) == len((received - audited) & from_failures) == 1
    assert int(summary["not_scanned_missing"]) == len(received - audited - from_failures) == 1
    assert int(summary["failed_closed_events"]) == len(from_failures) == 1 and reasons[failed_id] >= 1
    assert summary["complete"] == "false"
    gap = {r["name"]: r["detail"] for r in rows if r["section"] == "gap"}
    assert set(gap) == {failed_id, MISSING_ID}
    assert "status=failed closed" in gap[failed_id] and "status=missing" in gap[MISSING_ID]
    reported = Counter()
    for r in rows:
        if r["section"] == "entities":
            reported[r["name"]] += int(r["value"])
    assert reported == entities
    assert {
        (r["name"], r["detail"].split("model_version=")[1].split(";")[0]) for r in rows if r["section"] == "versions"
    } == versions

    assert "NOT 100%" in outputs["md"] and "NOT 100%" in outputs["html"]
    for fmt, text in outputs.items():
        assert MISSING_ID in text and failed_id in text, f"the {fmt} report must list the gap"
        for value in [*PII.values(), MARKER, "4155550163"]:
            assert value.lower() not in text.lower(), f"{value!r} reached the {fmt} report"
