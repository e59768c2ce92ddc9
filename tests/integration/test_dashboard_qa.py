"""QA samples, Compliance and Data quality pages against seeded data in the real ClickHouse engine.

Every figure asserted here is computed by hand from the seed. The seed holds redacted text only; a canary raw
value is produced onto the deployment's raw topic (the only place raw text may live) and must never show.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from cxpulse.kafka_auth import confluent_config
from dashboards import queries
from expectations.records import dlq_tables, dq_result_tables
from schemas import topics
from schemas.events import AuthorRole, ConversationEvent, EventType
from sinks.clickhouse import make_client
from sinks.rows import event_tables
from sinks.writer import BatchWriter, TableRows
from streams.qa import sample_record, sample_tables
from streams.qa_policy import BREACH, ESCALATION, LOW_CONFIDENCE, RANDOM, Sample
from streams.redact.audit import AuditFinding, RedactionAudit, audit_tables, failure_tables
from tests.integration.conftest import Deployment, page_text, query_rows

pytestmark = pytest.mark.integration

ACCOUNT = "AC" + "0" * 32
PAGES = Path(__file__).resolve().parents[2] / "dashboards" / "app_pages"
CANARY = "canary.qa.page.7f3a19@example.com"
POLICY_VERSION = "test-policy.1"


def _sid(n: int) -> str:
    return f"CH{n:032x}"


def _write(deployment: Deployment, tables: dict[str, TableRows], token: str) -> None:
    BatchWriter(lambda: make_client(deployment.settings.clickhouse), deployment.settings.sink).write(
        tables, token=token
    )


def _canary_on_raw_topic(deployment: Deployment, sid: str, at: datetime) -> None:
    """A raw (unredacted) event with the canary, on the raw topic only: no worker runs, nothing reads it."""
    raw = ConversationEvent(
        event_id=f"{sid}-raw",
        event_type=EventType.MESSAGE_ADDED,
        account_sid=ACCOUNT,
        conversation_sid=sid,
        message_sid="IM" + "c" * 32,
        author=CANARY,
        author_role=AuthorRole.CUSTOMER,
        body=f"write to me at {CANARY}",
        channel="sms",
        occurred_at=at,
    )
    producer = Producer(confluent_config(deployment.settings, "admin"))
    producer.produce(deployment.settings.topic(topics.RAW), key=sid.encode(), value=raw.to_json())
    assert producer.flush(10) == 0


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    def run(deployment: Deployment, name: str, *, reviewer: str | None = None) -> AppTest:
        """Open page ``name``; with ``reviewer``, as that OIDC user with the qa_reviewer role."""
        env = dict(deployment.env)
        if reviewer is not None:
            env["CXPULSE_DASHBOARD__OIDC_PROVIDER"] = "test-idp"
            env["CXPULSE_DASHBOARD__ROLES"] = json.dumps({reviewer: ["qa_reviewer"]})
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings_module.load_settings.cache_clear()
        app = AppTest.from_file(str(PAGES / name), default_timeout=60)
        if reviewer is not None:
            app.user = {"is_logged_in": True, "email": reviewer, "email_verified": True}
        app.run()
        assert not app.exception, app.exception
        return app

    yield run
    settings_module.load_settings.cache_clear()


def _metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


# --- QA samples ------------------------------------------------------------------------------------------


def _transcript(sid: str, at: datetime) -> list[ConversationEvent]:
    common = {"account_sid": ACCOUNT, "conversation_sid": sid, "redacted": True, "received_at": at}
    return [
        ConversationEvent(
            event_id=f"{sid}-a",
            event_type=EventType.CONVERSATION_ADDED,
            channel="whatsapp",
            queue="billing",
            occurred_at=at,
            **common,
        ),
        ConversationEvent(
            event_id=f"{sid}-m0",
            event_type=EventType.MESSAGE_ADDED,
            channel="whatsapp",
            message_sid="IM" + "0" * 32,
            index=0,
            author="whatsapp:cust_3f2a",
            author_role=AuthorRole.CUSTOMER,
            body="my email is <EMAIL_ADDRESS>",
            occurred_at=at + timedelta(seconds=1),
            **common,
        ),
        ConversationEvent(
            event_id=f"{sid}-m1",
            event_type=EventType.MESSAGE_ADDED,
            channel="chat",
            message_sid="IM" + "1" * 32,
            index=1,
            author="agent:sam",
            author_role=AuthorRole.AGENT,
            body="thanks, updating it now",
            occurred_at=at + timedelta(seconds=95),
            **common,
        ),
    ]


def _sample(sid: str, reasons: tuple[str, ...], picked: datetime, **meta: object) -> Sample:
    defaults = {"channel": "sms", "queue": "support", "intent": "", "sentiment": "", "ai_confidence": None}
    return Sample(
        conversation_sid=sid,
        reasons=reasons,
        picked_at=picked.timestamp(),
        policy_version=POLICY_VERSION,
        **{**defaults, **meta},
    )


def _seed_qa(deployment: Deployment) -> tuple[str, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    breach_sid = _sid(1)
    records = [
        # The breach sample was first published with one reason, then again with two (a higher version).
        sample_record(_sample(breach_sid, (BREACH,), now - timedelta(hours=1), channel="whatsapp", queue="billing"), 1),
        sample_record(
            _sample(
                breach_sid,
                (BREACH, ESCALATION),
                now - timedelta(hours=1),
                channel="whatsapp",
                queue="billing",
                intent="billing_dispute",
                sentiment="negative",
                ai_confidence=0.82,
            ),
            2,
        ),
        sample_record(
            _sample(_sid(2), (LOW_CONFIDENCE,), now - timedelta(hours=3), intent="refund", ai_confidence=0.41), 1
        ),
        sample_record(_sample(_sid(3), (RANDOM,), now - timedelta(hours=5)), 1),
        # Picked 40 days ago: outside the default "last 7 days".
        sample_record(_sample(_sid(4), (BREACH,), now - timedelta(days=40)), 1),
    ]
    _write(deployment, sample_tables(records), token="qa-seed")
    _write(deployment, sample_tables(records), token="qa-seed-replayed")  # a replay must not add samples
    events = _transcript(breach_sid, now - timedelta(hours=1, minutes=2))
    _write(deployment, event_tables([e.to_json() for e in events]), token="qa-events")
    _canary_on_raw_topic(deployment, breach_sid, now - timedelta(hours=1))
    return breach_sid, now


def test_qa_page_lists_samples_shows_the_redacted_transcript_and_stores_a_review(
    make_deployment: Callable[[], Deployment], page: Callable[..., AppTest]
) -> None:
    deployment = make_deployment()
    breach_sid, _now = _seed_qa(deployment)
    app = page(deployment, "qa.py", reviewer="rita@example.com")

    metrics = _metrics(app)
    assert metrics["Samples"] == "3"  # sid 4 is older than 7 days; the replay added nothing
    assert (
        metrics["Breach"],
        metrics["Escalation"],
        metrics["Low ai confidence"],
        metrics["Random"],
        metrics["Reopen"],
    ) == ("1", "1", "1", "1", "0")
    listing = app.dataframe[0].value
    assert list(listing["conversation_sid"]) == [_sid(1), _sid(2), _sid(3)]  # newest pick first
    assert listing.iloc[0]["reasons"] == "breach, escalation"  # the latest version of the sample
    assert list(listing["reviews"]) == [0, 0, 0]

    assert app.selectbox[0].value == breach_sid
    metrics = _metrics(app)
    assert (metrics["Intent"], metrics["Sentiment"], metrics["AI confidence"]) == (
        "billing_dispute",
        "negative",
        "0.82",
    )
    transcript = app.table[0].value
    assert list(transcript["body"]) == ["my email is <EMAIL_ADDRESS>", "thanks, updating it now"]
    assert list(transcript["author_role"]) == ["customer", "agent"]
    text = page_text(app)
    assert "my email is <EMAIL_ADDRESS>" in text and "billing_dispute" in text  # the check can see the page
    assert CANARY not in text

    # The reasons filter narrows the list and the counts.
    app.multiselect[0].set_value([LOW_CONFIDENCE]).run()
    assert not app.exception
    assert _metrics(app)["Samples"] == "1"
    assert list(app.dataframe[0].value["conversation_sid"]) == [_sid(2)]
    app.multiselect[0].set_value([]).run()

    # A review through the form lands in qa_reviews with the rubric's scores.
    rubric = deployment.settings.qa.rubric
    wanted = {criterion: (i % deployment.settings.qa.rubric_scale) + 1 for i, criterion in enumerate(rubric)}
    for criterion, score in wanted.items():
        next(s for s in app.slider if s.label == criterion.capitalize()).set_value(score)
    app.text_area[0].input("good recovery after the wait")
    submit = next(b for b in app.button if b.label == "Submit review")
    submit.click().run()
    assert not app.exception
    with deployment.clickhouse() as ch:
        rows = query_rows(
            ch, "SELECT conversation_sid, reviewer, scores, comment, policy_version FROM qa_reviews FINAL"
        )
    assert rows == [(breach_sid, "rita@example.com", wanted, "good recovery after the wait", POLICY_VERSION)]
    reviews = app.table[-1].value
    assert list(reviews["reviewer"]) == ["rita@example.com"]
    assert [int(reviews.iloc[0][c]) for c in rubric] == [wanted[c] for c in rubric]

    # Submitting the same review again (a double click) keeps one review.
    next(b for b in app.button if b.label == "Submit review").click().run()
    with deployment.clickhouse() as ch:
        assert query_rows(ch, "SELECT count() FROM qa_reviews FINAL") == [(1,)]
    assert list(app.dataframe[0].value["reviews"])[0] == 1
    assert CANARY not in page_text(app)


def test_a_review_is_signed_by_the_login_not_by_a_typed_name(
    make_deployment: Callable[[], Deployment], page: Callable[..., AppTest]
) -> None:
    deployment = make_deployment()
    breach_sid, _now = _seed_qa(deployment)
    app = page(deployment, "qa.py", reviewer="Sam@Example.com")
    assert not any(t.label == "Reviewer" for t in app.text_input)
    next(b for b in app.button if b.label == "Submit review").click().run()
    assert not app.exception
    with deployment.clickhouse() as ch:
        assert query_rows(ch, "SELECT conversation_sid, reviewer FROM qa_reviews FINAL") == [
            (breach_sid, "sam@example.com")
        ]


# --- Compliance ------------------------------------------------------------------------------------------


def _audit(event: ConversationEvent, entity_types: tuple[str, ...]) -> bytes:
    findings = tuple(
        AuditFinding(field="body", entity_type=t, start=0, end=5, score=0.9, recognizer="test") for t in entity_types
    )
    return RedactionAudit(
        event_id=event.event_id,
        conversation_sid=event.conversation_sid,
        event_type=str(event.event_type),
        occurred_at=event.occurred_at,
        redacted_at=event.occurred_at + timedelta(milliseconds=40),
        fields_scanned=1,
        chars_scanned=30,
        media_count=0,
        findings=findings,
        engine="presidio",
        model_version="m1",
        config_version="c1",
        latency_ms=3.0,
        batch_size=4,
    ).to_json()


def _dlq(event_id: str, at: datetime, reason: str, event_type: str = "message.added") -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "detected_at": at.isoformat(),
            "batch_id": "b-dlq",
            "reason": reason,
            "suite": "message",
            "expectation": "body_length",
            "message": "the body is too long",
            "failures": [{"suite": "message", "expectation": "body_length", "reason": reason, "message": "m"}],
            "event_type": event_type,
            "conversation_sid": _sid(9),
            "occurred_at": at.isoformat(),
        }
    ).encode()


def test_compliance_page_shows_coverage_entities_fail_closed_dlq_and_retention(
    make_deployment: Callable[[], Deployment], page: Callable[[Deployment, str], AppTest]
) -> None:
    deployment = make_deployment()
    at = datetime.now(UTC) - timedelta(hours=2)
    events = [e for n in range(3) for e in _transcript(_sid(10 + n), at + timedelta(minutes=n))]
    with_text = [e for e in events if e.body is not None]  # 6 messages; conversation.added carries no text
    _write(deployment, event_tables([e.to_json() for e in events]), token="c-events")
    # 5 of the 6 messages were audited (one is missing); entities: 3 emails, 1 phone.
    entity_plan = [("EMAIL_ADDRESS",), ("EMAIL_ADDRESS", "PHONE_NUMBER"), (), ("EMAIL_ADDRESS",), ()]
    _write(
        deployment,
        audit_tables([_audit(e, t) for e, t in zip(with_text[:5], entity_plan, strict=True)]),
        token="c-audit",
    )
    # One event failed closed (it never reached `events`), once with a timeout and once again on replay.
    failed = [
        json.dumps(
            {
                "event_id": "ev-failed-1",
                "conversation_sid": _sid(11),
                "reason": r,
                "failed_at": (at + timedelta(minutes=9)).isoformat(),
            }
        ).encode()
        for r in ("timeout", "analyzer error")
    ]
    _write(deployment, failure_tables(failed), token="c-failed")
    _write(deployment, dlq_tables([_dlq("ev-dlq-1", at, "too_long"), _dlq("ev-dlq-2", at, "bad_state")]), token="c-dlq")
    _canary_on_raw_topic(deployment, _sid(10), at)

    app = page(deployment, "compliance.py")
    metrics = _metrics(app)
    received = len(with_text) + 1  # + the failed-closed event
    assert metrics["Received"] == f"{received}"
    assert metrics["Scanned"] == "5"
    assert metrics["Coverage"] == f"{5 / received:.2%}"  # 71.43%
    assert metrics["Fail-closed"] == "1"
    assert metrics["Missing"] == "1"
    assert metrics["Data-quality DLQ"] == "2"
    assert app.error and "2 received messages were not scanned" in app.error[0].value
    gap = app.table[0].value
    assert sorted(gap["status"]) == ["failed closed", "missing"]
    assert set(gap["event_id"]) == {"ev-failed-1", with_text[5].event_id}
    totals = app.dataframe[0].value.set_index("entity_type")["entities"].to_dict()
    assert totals == {"EMAIL_ADDRESS": 3, "PHONE_NUMBER": 1}
    reasons = app.dataframe[1].value.set_index("reason")["events"].to_dict()
    assert reasons == {"timeout": 1, "analyzer error": 1}
    retention = app.table[-1].value["keeps"].to_dict()
    raw_topic = f"Kafka {deployment.settings.topic(topics.RAW)} (raw text)"
    assert retention[raw_topic] == f"{deployment.settings.retention.raw_topic_hours} h"
    assert retention["ClickHouse tables (TTL)"] == f"{deployment.settings.retention.clickhouse_days} days"
    assert CANARY not in page_text(app)


def test_compliance_page_says_100_percent_when_every_message_was_scanned(
    make_deployment: Callable[[], Deployment], page: Callable[[Deployment, str], AppTest]
) -> None:
    deployment = make_deployment()
    events = _transcript(_sid(20), datetime.now(UTC) - timedelta(minutes=30))
    _write(deployment, event_tables([e.to_json() for e in events]), token="e")
    _write(deployment, audit_tables([_audit(e, ()) for e in events if e.body is not None]), token="a")
    app = page(deployment, "compliance.py")
    metrics = _metrics(app)
    assert (metrics["Received"], metrics["Scanned"], metrics["Coverage"]) == ("2", "2", "100.00%")
    assert not app.error
    assert app.success[0].value.startswith("Every received message was scanned")


# --- Data quality ----------------------------------------------------------------------------------------


def _result(batch: str, at: datetime, suite: str, expectation: str, evaluated: int, failed: int) -> bytes:
    return json.dumps(
        {
            "batch_id": batch,
            "validated_at": at.isoformat(),
            "suite": suite,
            "expectation": expectation,
            "expectation_type": "expect_column_values_to_not_be_null",
            "success": failed == 0,
            "evaluated": evaluated,
            "unexpected_count": failed,
            "sample_event_ids": [],
            "duration_ms": 1.5,
        }
    ).encode()


def test_quality_page_shows_pass_rates_reasons_and_dlq_samples_without_text(
    make_deployment: Callable[[], Deployment], page: Callable[[Deployment, str], AppTest]
) -> None:
    deployment = make_deployment()
    at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    results = [
        _result("b1", at, "message", "body_length", 100, 5),
        _result("b1", at, "conversation", "state_known", 10, 0),
        _result("b2", at + timedelta(hours=1), "message", "body_length", 100, 0),
    ]
    _write(deployment, dq_result_tables(results), token="r")
    _write(deployment, dq_result_tables(results), token="r-replayed")  # replays collapse on batch_id
    dlq = [
        _dlq("ev-1", at, "too_long"),
        _dlq("ev-2", at, "too_long"),
        _dlq("ev-3", at + timedelta(minutes=5), "bad_state", "conversation.state_updated"),
    ]
    _write(deployment, dlq_tables(dlq), token="d")
    _canary_on_raw_topic(deployment, _sid(30), at)

    app = page(deployment, "quality.py")
    metrics = _metrics(app)
    assert metrics["Micro-batches validated"] == "2"
    assert metrics["Checks evaluated"] == "210"
    assert metrics["Pass rate"] == f"{1 - 5 / 210:.2%}"  # 97.62%
    assert metrics["Dead-lettered events"] == "3"
    per_expectation = app.dataframe[0].value.set_index("expectation")["pass_rate"].to_dict()
    assert per_expectation["body_length"] == pytest.approx(1 - 5 / 200)
    assert per_expectation["state_known"] == pytest.approx(1.0)
    top = app.dataframe[1].value.set_index("reason")["events"].to_dict()
    assert top == {"too_long": 2, "bad_state": 1}
    samples = app.table[0].value
    assert list(samples["event_id"]) == ["ev-3", "ev-1", "ev-2"]  # newest first, then by id
    assert "message" not in samples.columns and "body" not in samples.columns
    assert set(samples["event_type"]) == {"message.added", "conversation.state_updated"}
    assert CANARY not in page_text(app)

    # The chart's data: the page's default period is 24 h, so hourly buckets (two, an hour apart).
    bucket = at.replace(minute=0)
    with deployment.clickhouse() as ch:
        trend = queries.dq_pass_rates_over_time(ch, at - timedelta(minutes=1), datetime.now(UTC), 3600)
    got = {(row.bucket.replace(tzinfo=UTC), row.suite): row.pass_rate for row in trend.itertuples()}
    assert got == pytest.approx(
        {
            (bucket, "conversation"): 1.0,
            (bucket, "message"): 0.95,
            (bucket + timedelta(hours=1), "message"): 1.0,
        }
    )


# --- Navigation ------------------------------------------------------------------------------------------


def test_the_three_pages_are_reachable_from_the_app_and_cope_with_an_empty_database(
    make_deployment: Callable[[], Deployment], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = make_deployment()
    for key, value in deployment.env.items():
        monkeypatch.setenv(key, value)
    settings_module.load_settings.cache_clear()
    try:
        app = AppTest.from_file(str(PAGES.parent / "app.py"), default_timeout=60).run()
        seen = {}
        for path, title in (("qa.py", "QA samples"), ("compliance.py", "Compliance"), ("quality.py", "Data quality")):
            app.switch_page(f"app_pages/{path}").run()
            assert not app.exception, (path, app.exception)
            seen[title] = [t.value for t in app.title]
    finally:
        settings_module.load_settings.cache_clear()
    assert seen == {"QA samples": ["QA samples"], "Compliance": ["Compliance"], "Data quality": ["Data quality"]}
