"""Redaction on the real path: every entity type in, zero raw values out; a forced failure fails closed.

The worker runs with ``CXPULSE_REDACTION__FAIL_MARKER`` set (a test-only setting: the analyzer raises for any
text containing the marker), so the fail-closed path is exercised on the real broker and ClickHouse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from dashboards import queries
from schemas import topics
from tests.integration.conftest import Deployment, dump_table, post_signed, query_rows, signed_message_post, wait_for

pytestmark = pytest.mark.integration

_TIMEOUT_S = 120
MARKER = "zz-force-redaction-failure-zz"
#: One raw value per entity type; each must vanish everywhere downstream.
VALUES = {
    "PERSON": "Priya Raman",
    "PHONE_NUMBER": "+44 7400 123987",
    "EMAIL_ADDRESS": "olusegun.adeyemi@example.net",
    "CREDIT_CARD": "5425 2334 3010 9903",
    "US_SSN": "536-22-8726",
    "IBAN_CODE": "GB33BUKB20201555555555",
    "IP_ADDRESS": "203.0.113.77",
    "US_BANK_NUMBER": "987654321012",
    "LOCATION": "Nairobi",
    "STREET_ADDRESS": "742 Evergreen Terrace",
    "DATE_OF_BIRTH": "09/21/1984",
}


@pytest.fixture(scope="module")
def deployment(make_deployment_module: Callable[[], Deployment]) -> Deployment:
    deployment = make_deployment_module()
    deployment.env["CXPULSE_REDACTION__FAIL_MARKER"] = MARKER
    deployment.worker().start()
    return deployment


def _audited(deployment: Deployment, event_id: str) -> bool:
    with deployment.clickhouse() as ch:
        return bool(query_rows(ch, "SELECT 1 FROM redaction_audit WHERE event_id = {id:String}", id=event_id))


def _dashboard_text(deployment: Deployment) -> str:
    since = datetime.now(UTC) - timedelta(days=1)
    with deployment.clickhouse() as ch:
        frames = [
            queries.messages_by_channel(ch, since),
            queries.messages_per_minute(ch, since),
            queries.latest_messages(ch, 1000),
        ]
        return "\n".join(f.to_csv() for f in frames) + str(queries.totals(ch))


def test_every_entity_type_is_redacted_everywhere(deployment: Deployment) -> None:
    body = (
        f"Hi, this is {VALUES['PERSON']} from {VALUES['LOCATION']}. Call me on {VALUES['PHONE_NUMBER']} or mail "
        f"{VALUES['EMAIL_ADDRESS']}. Card {VALUES['CREDIT_CARD']}, my ssn is {VALUES['US_SSN']}, IBAN "
        f"{VALUES['IBAN_CODE']}, router ip {VALUES['IP_ADDRESS']}, account number {VALUES['US_BANK_NUMBER']}. "
        f"Ship to {VALUES['STREET_ADDRESS']}. I was born on {VALUES['DATE_OF_BIRTH']}."
    )
    author = "+14155550142"
    response = post_signed(deployment, signed_message_post(deployment, body, author, tag="every-entity"))
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]
    wait_for(lambda: _audited(deployment, event_id), _TIMEOUT_S, "the audit row in ClickHouse")

    raw = b"\n".join(deployment.topic_messages(topics.RAW)).decode()
    assert VALUES["EMAIL_ADDRESS"] in raw, "the raw topic must hold the original (or this test proves nothing)"
    with deployment.clickhouse() as ch:
        tables = ("events", "messages", "conversations", "redaction_audit", "redaction_failures")
        stored = "\n".join(dump_table(ch, t) for t in tables)
        audit_types = query_rows(
            ch, "SELECT entity_types FROM redaction_audit WHERE event_id = {id:String}", id=event_id
        )[0][0]
    places = {
        "redacted topic": b"\n".join(deployment.topic_messages(topics.REDACTED)).decode(),
        "audit topic": b"\n".join(deployment.topic_messages(topics.REDACTION_AUDIT)).decode(),
        "ClickHouse": stored,
        "worker log": "\n".join(w.log_text() for w in deployment.workers),
        "dashboard queries": _dashboard_text(deployment),
    }
    for value in [*VALUES.values(), author, "4155550142"]:
        for place, text in places.items():
            assert value.lower() not in text.lower(), f"{value!r} reached the {place}"
    assert set(VALUES) <= set(audit_types), set(VALUES) - set(audit_types)


def test_forced_analyzer_failure_goes_to_the_dead_letter_topic_only(deployment: Deployment) -> None:
    secret = "4716 8397 1528 3021"
    response = post_signed(
        deployment, signed_message_post(deployment, f"{MARKER} my card is {secret}", "+14155550177", tag="fail-closed")
    )
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]

    def counted() -> bool:
        with deployment.clickhouse() as ch:
            return bool(query_rows(ch, "SELECT 1 FROM redaction_failures WHERE event_id = {id:String}", id=event_id))

    wait_for(counted, _TIMEOUT_S, "the failure row in ClickHouse")
    dlq = b"\n".join(deployment.topic_messages(topics.REDACTION_DLQ)).decode()
    assert event_id in dlq and secret in dlq, "the restricted DLQ keeps the raw record for reprocessing"
    redacted = b"\n".join(deployment.topic_messages(topics.REDACTED)).decode()
    assert event_id not in redacted and secret not in redacted
    with deployment.clickhouse() as ch:
        stored = "\n".join(dump_table(ch, t) for t in ("events", "messages", "redaction_audit", "redaction_failures"))
        reason = query_rows(ch, "SELECT reason FROM redaction_failures WHERE event_id = {id:String}", id=event_id)
    assert secret not in stored and MARKER not in stored
    assert "AnalysisFailure" in reason[0][0]
