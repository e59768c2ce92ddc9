"""Redaction on the real path: every entity type in, zero raw values out; a forced failure fails closed.

The worker runs with ``CXPULSE_REDACTION__FAIL_MARKER`` set (a test-only setting: the analyzer raises for any
text containing the marker), so the fail-closed path is exercised on the real broker and ClickHouse.

The last tests send what a hostile customer controls (a message claiming ``{"role": "agent"}``, PII in queue,
reason and channel, attributes nested thousands deep) and check that none of it reaches a cx.* topic, ClickHouse
or the worker log, and that the valid events around it still land.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from cxpulse.simulate import WebhookPost, generate_posts
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


# -- trust nothing the customer controls ---------------------------------------------------------------------------

CLOUDEVENTS = Path(__file__).resolve().parents[1] / "data" / "twilio" / "cloudevents"
#: Every cx.* topic a worker of this deployment writes (the restricted redaction DLQ included: none of these
#: events may fail closed, so none of their raw values may appear there either).
CX_TOPICS = [name for name in vars(topics).values() if isinstance(name, str) and name.startswith("cx.")]


_CANONICAL_FIELDS_SQL = (
    "SELECT event_id, queue, channel, reason, state_to, attributes FROM events WHERE event_id IN {ids:Array(String)}"
)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _simulated_post(deployment: Deployment, event_type: str, tag: str, **changes: str) -> WebhookPost:
    """The simulator's first post of ``event_type`` (a real, signed-shape Twilio form), changed and re-tokened."""
    posts = generate_posts(seed=99, settings=deployment.settings.simulator, start=datetime.now(UTC))
    post = next(p for p in itertools.islice(posts, 5000) if p.form["EventType"] == event_type)
    return dataclasses.replace(
        post, form={**post.form, **changes}, idempotency_token=f"{post.idempotency_token}-{tag}-{secrets.token_hex(3)}"
    )


def _with_form(post: WebhookPost, **changes: str) -> WebhookPost:
    return dataclasses.replace(post, form={**post.form, **changes})


def _stored_event_ids(deployment: Deployment, event_ids: list[str]) -> set[str]:
    with deployment.clickhouse() as ch:
        rows = query_rows(ch, "SELECT event_id FROM events WHERE event_id IN {ids:Array(String)}", ids=event_ids)
    return {row[0] for row in rows}


def _wait_stored(deployment: Deployment, event_ids: list[str]) -> None:
    wait_for(lambda: _stored_event_ids(deployment, event_ids) == set(event_ids), _TIMEOUT_S, "the events in ClickHouse")


def _everywhere(deployment: Deployment) -> dict[str, str]:
    """Every place a raw value must never reach: ClickHouse, the cx.* topics, the worker log."""
    with deployment.clickhouse() as ch:
        tables = ("events", "messages", "conversations", "redaction_audit", "redaction_failures", "dlq_events")
        places = {"ClickHouse": "\n".join(dump_table(ch, t) for t in tables)}
    for name in CX_TOPICS:
        places[name] = b"\n".join(deployment.topic_messages(name)).decode("utf-8", "replace")
    places["worker log"] = "\n".join(w.log_text() for w in deployment.workers)
    return places


def _assert_nowhere(deployment: Deployment, values: list[str]) -> None:
    for place, text in _everywhere(deployment).items():
        for value in values:
            assert value.lower() not in text.lower(), f"{value!r} reached {place}"


def test_customer_message_claiming_to_be_an_agent_is_stored_as_a_pseudonymised_customer(
    deployment: Deployment,
) -> None:
    phone = "+14155550163"
    post = signed_message_post(deployment, "where is my parcel?", phone, tag="claims-agent")
    post = _with_form(post, Attributes=json.dumps({"role": "agent"}))
    response = post_signed(deployment, post)
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]
    _wait_stored(deployment, [event_id])

    raw = b"\n".join(deployment.topic_messages(topics.RAW)).decode()
    assert phone in raw, "the raw topic must hold the original (or this test proves nothing)"
    with deployment.clickhouse() as ch:
        (role, author), *_ = query_rows(
            ch, "SELECT author_role, author FROM events WHERE event_id = {id:String}", id=event_id
        )
        messages = query_rows(ch, "SELECT author_role, author FROM messages FINAL WHERE last_event_id = {id:String}",
                              id=event_id)  # fmt: skip
    assert role == "customer" and author.startswith("cust_"), (role, author)
    assert messages == [(role, author)]
    _assert_nowhere(deployment, [phone, phone.removeprefix("+"), "4155550163"])


def test_pii_in_queue_reason_and_channel_never_leaves_the_raw_topic(deployment: Deployment) -> None:
    pii = {
        "queue phone": "+1 415 555 0181",
        "queue name": "Kavya Banerjee",
        "channel": "olusegun.adeyemi@example.org",
        "source": "+14155550182",
        "reason": "Priya Raman",
        "state": "priya.raman@example.org",
    }
    added = _simulated_post(
        deployment, "onConversationAdded", "pii-added",
        Attributes=json.dumps({"queue": pii["queue phone"], "channel": pii["channel"]}), DateCreated=_now(),
    )  # fmt: skip
    message = _with_form(
        signed_message_post(deployment, "hello", "+14155550183", tag="pii-queue"),
        Attributes=json.dumps({"queue": pii["queue name"], "channel": pii["channel"]}),
        Source=pii["source"],
    )
    state = _simulated_post(
        deployment, "onConversationStateUpdated", "pii-state",
        Reason=pii["reason"], StateTo=pii["state"], DateUpdated=_now(), StateUpdated=_now(),
    )  # fmt: skip
    ids = []
    for post in (added, message, state):
        response = post_signed(deployment, post)
        assert response.status_code == 200, response.text
        ids.append(response.json()["event_id"])
    _wait_stored(deployment, ids)
    raw = b"\n".join(deployment.topic_messages(topics.RAW)).decode()
    assert all(json.dumps(value)[1:-1] in raw for value in pii.values()), "the raw topic must hold the originals"

    with deployment.clickhouse() as ch:
        stored = query_rows(ch, _CANONICAL_FIELDS_SQL, ids=ids)
    by_id = {row[0]: row[1:] for row in stored}
    known = set(deployment.settings.quality.channels)
    assert by_id[ids[0]][0] == "" and by_id[ids[0]][1] in known  # refused at the edge, kept (redacted) in attributes
    assert by_id[ids[1]][0] == "<PERSON>" and by_id[ids[1]][1] in known  # a name-shaped queue: scanned, redacted
    assert by_id[ids[2]][2:4] == ("", "")  # reason and state_to refused; their values are in raw_extra, redacted
    refused = [json.loads(row[-1])["refused_fields"] for row in (by_id[i] for i in ids)]
    assert refused == [
        {"channel": ["Attributes.channel"], "queue": ["Attributes.queue"]},
        {"channel": ["Source", "Attributes.channel"]},
        {"reason": ["Reason"], "state_to": ["StateTo"]},
    ]
    _assert_nowhere(deployment, [*pii.values(), "4155550181", "4155550182", "olusegun.adeyemi", "priya.raman"])


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _cloudevent(name: str, event_id: str) -> dict[str, Any]:
    event = json.loads((CLOUDEVENTS / f"{name}.json").read_text())
    event["id"] = event_id
    event["data"]["DateCreated"] = _now()
    return event


def _post_cloudevents(deployment: Deployment, body: bytes) -> httpx.Response:
    """A signed Event Streams delivery: Twilio appends bodySHA256 to the URL and signs the URL."""
    token = deployment.settings.twilio_auth_token
    assert token is not None
    path_qs = f"/twilio/events?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = RequestValidator(token.get_secret_value()).compute_signature(
        f"{deployment.settings.public_url}{path_qs}", {}
    )
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/json"}
    return httpx.post(f"{deployment.ingest_url}{path_qs}", content=body, headers=headers, timeout=10)


def test_json_nested_5000_deep_is_400_and_the_events_around_it_land(deployment: Deployment) -> None:
    accepted = []
    before = signed_message_post(deployment, "first of three", "+14155550191", tag="around-before")
    response = post_signed(deployment, before)
    assert response.status_code == 200, response.text
    accepted.append(response.json()["event_id"])

    deep = _with_form(
        signed_message_post(deployment, "second of three", "+14155550192", tag="too-deep"), Attributes=_deep(5000)
    )
    response = post_signed(deployment, deep)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "too_deep"
    assert "Attributes" in response.json()["message"] and "max_json_depth" in response.json()["message"]

    tag = secrets.token_hex(3)
    deep_body = json.dumps([_cloudevent("message.added", f"deep-body-{tag}")]).encode()[:-2]
    deep_body += b', "Extra": ' + _deep(5000).encode() + b"}]"
    response = _post_cloudevents(deployment, deep_body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "too_deep"

    deep_data = {**_cloudevent("message.added", f"deep-data-{tag}"), "data": '{"x":' + _deep(5000) + "}"}
    body = json.dumps([_cloudevent("message.added", f"ok-ce-{tag}"), deep_data]).encode()
    response = _post_cloudevents(deployment, body)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert [(r["id"], r["reason"]) for r in response.json()["rejected"]] == [(f"deep-data-{tag}", "too_deep")]
    accepted.append(f"ok-ce-{tag}")

    after = signed_message_post(deployment, "third of three", "+14155550193", tag="around-after")
    response = post_signed(deployment, after)
    assert response.status_code == 200, response.text
    accepted.append(response.json()["event_id"])

    _wait_stored(deployment, accepted)
    raw = b"\n".join(deployment.topic_messages(topics.RAW)).decode()
    for rejected in (deep.idempotency_token, f"deep-body-{tag}", f"deep-data-{tag}"):
        assert rejected not in raw, f"{rejected} reached the raw topic"
    log = "\n".join(w.log_text() for w in deployment.workers)
    assert "RecursionError" not in log
    assert "rejected webhook reason=too_deep" in log
