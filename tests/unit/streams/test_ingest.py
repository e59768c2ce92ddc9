"""The ingest edge's rules, with an in-memory producer standing in for Kafka."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from cxpulse.settings import Settings
from schemas.events import ConversationEvent, EventType
from schemas.twilio import webhook_event_id
from streams.ingest import CONVERSATIONS_PATH, EVENTS_PATH, IngestService

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
PUBLIC_URL = "https://cxpulse.example.com"
TOKEN = "cxpulse-sample-auth-token"


class FakeProducer:
    """Records produced events; can fail or hang like an unavailable broker."""

    def __init__(self) -> None:
        self.events: list[ConversationEvent] = []
        self.fail = False
        self.hang = False

    async def __call__(self, events: Sequence[ConversationEvent]) -> None:
        if self.hang:
            await asyncio.sleep(60)
        if self.fail:
            raise ConnectionError("broker down")
        self.events.extend(events)


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def service(producer: FakeProducer) -> IngestService:
    settings = Settings(
        twilio_auth_token=TOKEN, public_url=PUBLIC_URL, ingest={"kafka_ack_timeout_s": 0.2, "max_body_bytes": 4096}
    )
    return IngestService(settings, producer)


def sample(name: str) -> tuple[dict[str, str], dict[str, str]]:
    data = json.loads((DATA / "webhooks" / f"{name}.json").read_text())
    return data["headers"], data["form"]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_signed_webhook_is_produced_once_and_answered_200(service: IngestService, producer: FakeProducer) -> None:
    headers, form = sample("onMessageAdded")
    body = urlencode(form).encode()
    first = run(service.conversations_webhook(headers, CONVERSATIONS_PATH, body))
    retry = run(service.conversations_webhook(headers, CONVERSATIONS_PATH, body))
    assert (first.status, retry.status) == (200, 200)
    assert len(producer.events) == 1
    assert producer.events[0].event_type is EventType.MESSAGE_ADDED
    assert producer.events[0].event_id == webhook_event_id(form)
    assert service.counters["duplicates"] == 1


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda h, f: ({k: v for k, v in h.items() if k != "X-Twilio-Signature"}, f), id="missing"),
        pytest.param(lambda h, f: ({**h, "X-Twilio-Signature": "AAAA"}, f), id="wrong"),
        pytest.param(lambda h, f: (h, {**f, "Body": "tampered"}), id="tampered-body"),
    ],
)
def test_bad_signature_is_403_and_nothing_is_produced(
    service: IngestService,
    producer: FakeProducer,
    mutate,  # type: ignore[no-untyped-def]
) -> None:
    headers, form = mutate(*sample("onMessageAdded"))
    response = run(service.conversations_webhook(headers, CONVERSATIONS_PATH, urlencode(form).encode()))
    assert response.status == 403
    assert response.payload["error"] == "bad_signature"
    assert producer.events == []


def _signed(form: dict[str, str], headers: dict[str, str]) -> dict[str, str]:
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{CONVERSATIONS_PATH}", form)
    return {**headers, "X-Twilio-Signature": signature}


def test_signed_but_malformed_webhook_is_400_with_the_reason(service: IngestService, producer: FakeProducer) -> None:
    headers, form = sample("onMessageAdded")
    form.pop("ConversationSid")
    response = run(service.conversations_webhook(_signed(form, headers), CONVERSATIONS_PATH, urlencode(form).encode()))
    assert response.status == 400
    assert response.payload["error"] == "missing_field"
    assert "ConversationSid" in response.payload["message"]
    assert producer.events == []


def test_non_form_body_is_400(service: IngestService) -> None:
    headers, _ = sample("onMessageAdded")
    response = run(
        service.conversations_webhook({**headers, "Content-Type": "application/json"}, CONVERSATIONS_PATH, b"{}")
    )
    assert response.status == 400


def test_oversized_body_is_413(service: IngestService, producer: FakeProducer) -> None:
    headers, form = sample("onMessageAdded")
    form["Body"] = "x" * 5000
    response = run(service.conversations_webhook(_signed(form, headers), CONVERSATIONS_PATH, urlencode(form).encode()))
    assert response.status == 413
    assert producer.events == []


@pytest.mark.parametrize("failure", ["fail", "hang"])
def test_kafka_trouble_is_503_and_the_retry_is_not_deduplicated(
    service: IngestService, producer: FakeProducer, failure: str
) -> None:
    headers, form = sample("onMessageAdded")
    body = urlencode(form).encode()
    setattr(producer, failure, True)
    assert run(service.conversations_webhook(headers, CONVERSATIONS_PATH, body)).status == 503
    setattr(producer, failure, False)
    assert run(service.conversations_webhook(headers, CONVERSATIONS_PATH, body)).status == 200
    assert len(producer.events) == 1


def _cloudevents_request(items: list[dict]) -> tuple[dict[str, str], str, bytes]:
    body = json.dumps(items).encode()
    path_qs = f"{EVENTS_PATH}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path_qs}", {})
    return {"X-Twilio-Signature": signature, "Content-Type": "application/json"}, path_qs, body


def _cloudevent(name: str) -> dict:
    return json.loads((DATA / "cloudevents" / f"{name}.json").read_text())


def test_cloudevents_batch_keeps_valid_events_and_reports_invalid(
    service: IngestService, producer: FakeProducer
) -> None:
    unknown = {**_cloudevent("message.added"), "id": "unknown-1", "type": "com.twilio.conversations.user.added"}
    headers, path_qs, body = _cloudevents_request(
        [_cloudevent("message.added"), unknown, _cloudevent("participant.added")]
    )
    response = run(service.event_streams(headers, path_qs, body))
    assert response.status == 200
    assert response.payload["accepted"] == 2
    assert [r["reason"] for r in response.payload["rejected"]] == ["unknown_event_type"]
    assert [e.event_type for e in producer.events] == [EventType.MESSAGE_ADDED, EventType.PARTICIPANT_ADDED]


def test_cloudevents_body_hash_must_match(service: IngestService, producer: FakeProducer) -> None:
    headers, path_qs, body = _cloudevents_request([_cloudevent("message.added")])
    response = run(service.event_streams(headers, path_qs, body.replace(b"}", b" }", 1)))
    assert response.status == 403
    assert producer.events == []


def test_cloudevents_malformed_json_is_400(service: IngestService) -> None:
    headers, path_qs, _ = _cloudevents_request([])
    bad = b"[{not json"
    path_qs = f"{EVENTS_PATH}?bodySHA256={hashlib.sha256(bad).hexdigest()}"
    headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path_qs}", {})
    response = run(service.event_streams(headers, path_qs, bad))
    assert response.status == 400
    assert response.payload["error"] == "malformed_body"


def test_service_refuses_to_start_without_a_token(producer: FakeProducer) -> None:
    with pytest.raises(ValueError, match="CXPULSE_TWILIO_AUTH_TOKEN"):
        IngestService(Settings(twilio_auth_token=None), producer)


def test_health_says_starting_until_the_raw_topic_can_take_posts_and_processing_until_recovered(
    service: IngestService,
) -> None:
    """A load balancer (or the demo) must not send posts the worker can only time out on. Anyone can call these
    endpoints on the public port, so they say a status word and nothing else (no counters, no partitions)."""
    import faust
    from aiohttp.test_utils import TestClient, TestServer

    from streams.ingest import register_views

    ready = {"raw_topic": False}
    processing = {"state": (0, False)}
    app = faust.App("cxpulse-health-test", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=True)

    async def raw_topic_ready() -> bool:
        return ready["raw_topic"]

    register_views(app, lambda: service, ready=raw_topic_ready, processing=lambda: processing["state"])

    async def probe() -> list[tuple[int, dict]]:
        app.web.init_server()
        answers = []
        async with TestClient(TestServer(app.web.web_app)) as client:
            for raw_topic_ready_now in (False, True):
                ready["raw_topic"] = raw_topic_ready_now
                response = await client.get("/twilio/health")
                answers.append((response.status, await response.json()))
            for state in ((0, False), (2, True), (2, False)):
                processing["state"] = state
                response = await client.get("/health/processing")
                answers.append((response.status, await response.json()))
        return answers

    assert run(probe()) == [
        (503, {"status": "starting"}),
        (200, {"status": "ok"}),
        (503, {"status": "starting"}),
        (503, {"status": "recovering"}),
        (200, {"status": "ok"}),
    ]


@pytest.fixture
def roomy_service(producer: FakeProducer) -> IngestService:
    """Default body limit (256 KiB), so hostile nesting reaches the depth check instead of the 413."""
    return IngestService(Settings(twilio_auth_token=TOKEN, public_url=PUBLIC_URL), producer)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_form_attributes_are_400_too_deep(roomy_service: IngestService, producer: FakeProducer) -> None:
    headers, form = sample("onMessageAdded")
    form["Attributes"] = '{"a": ' + _deep(5000) + "}"
    response = run(
        roomy_service.conversations_webhook(_signed(form, headers), CONVERSATIONS_PATH, urlencode(form).encode())
    )
    assert response.status == 400
    assert response.payload["error"] == "too_deep"
    assert "Attributes" in response.payload["message"] and "max_json_depth" in response.payload["message"]
    assert producer.events == []
    # the same webhook with ordinary attributes is accepted
    form["Attributes"] = '{"a": ' + _deep(20) + "}"
    response = run(
        roomy_service.conversations_webhook(_signed(form, headers), CONVERSATIONS_PATH, urlencode(form).encode())
    )
    assert response.status == 200


def _raw_cloudevents_request(body: bytes) -> tuple[dict[str, str], str]:
    path_qs = f"{EVENTS_PATH}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path_qs}", {})
    return {"X-Twilio-Signature": signature, "Content-Type": "application/json"}, path_qs


def test_deeply_nested_cloudevents_body_is_400_too_deep(roomy_service: IngestService, producer: FakeProducer) -> None:
    event = _cloudevent("message.added")
    body = json.dumps([event]).encode()[:-2] + b', "Extra": ' + _deep(5000).encode() + b"}]"
    headers, path_qs = _raw_cloudevents_request(body)
    response = run(roomy_service.event_streams(headers, path_qs, body))
    assert response.status == 400
    assert response.payload["error"] == "too_deep"
    assert producer.events == []


def test_deeply_nested_cloudevent_data_rejects_only_that_event(
    roomy_service: IngestService, producer: FakeProducer
) -> None:
    deep = {**_cloudevent("message.added"), "id": "deep-1", "data": '{"x": ' + _deep(5000) + "}"}
    deep_attributes = {**_cloudevent("participant.added"), "id": "deep-2"}
    deep_attributes["data"] = {**deep_attributes["data"], "Attributes": '{"x": ' + _deep(5000) + "}"}
    headers, path_qs, body = _cloudevents_request([_cloudevent("message.added"), deep, deep_attributes])
    response = run(roomy_service.event_streams(headers, path_qs, body))
    assert response.status == 200
    assert response.payload["accepted"] == 1
    assert [(r["id"], r["reason"]) for r in response.payload["rejected"]] == [
        ("deep-1", "too_deep"),
        ("deep-2", "too_deep"),
    ]
    assert [e.event_type for e in producer.events] == [EventType.MESSAGE_ADDED]


def test_customer_message_claiming_agent_is_produced_as_customer(
    service: IngestService, producer: FakeProducer
) -> None:
    headers, form = sample("onMessageAdded")
    form.update(Author="+14155550142", Attributes='{"role": "agent"}')
    response = run(service.conversations_webhook(_signed(form, headers), CONVERSATIONS_PATH, urlencode(form).encode()))
    assert response.status == 200
    assert producer.events[0].author_role.value == "customer"


class _MultiDict(dict):  # type: ignore[type-arg]
    def getall(self, name: str) -> list[str]:
        return list(self[name])


def test_repeated_form_keys_are_checked_as_twilio_signs_them_never_a_500(
    service: IngestService, producer: FakeProducer
) -> None:
    """A plain dict of lists made the SDK raise TypeError before any signature was checked (a 500 for anyone)."""
    headers, form = sample("onMessageAdded")
    pairs = [*form.items(), ("Body", "second value")]
    body = urlencode(pairs).encode()
    unsigned = run(service.conversations_webhook({**headers, "X-Twilio-Signature": "AAAA"}, CONVERSATIONS_PATH, body))
    assert unsigned.status == 403
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    url = f"{PUBLIC_URL}{CONVERSATIONS_PATH}"
    signature = RequestValidator(TOKEN).compute_signature(url, _MultiDict(multi))
    signed = run(service.conversations_webhook({**headers, "X-Twilio-Signature": signature}, CONVERSATIONS_PATH, body))
    assert signed.status == 200


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("bodySHA256=", id="empty"),
        pytest.param("bodySHA256=&bodySHA256={hash}", id="decoy-first"),
        pytest.param("bodySHA256={hash}&bodySHA256=00", id="decoy-second"),
        pytest.param("bodySHA256={upper}", id="upper-case"),
        pytest.param("bodySHA256=zz", id="not-hex"),
        pytest.param("other=1", id="absent"),
    ],
)
def test_a_malformed_body_hash_is_403_not_500_and_nothing_is_produced(
    service: IngestService, producer: FakeProducer, query: str
) -> None:
    """The SDK skips the body check for an empty bodySHA256, so the signed URL alone would carry any body."""
    body = json.dumps([_cloudevent("message.added")]).encode()
    digest = hashlib.sha256(body).hexdigest()
    path_qs = f"{EVENTS_PATH}?{query.format(hash=digest, upper=digest.upper())}"
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path_qs}", {})
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/json"}
    assert run(service.event_streams(headers, path_qs, body)).status == 403
    assert producer.events == []
