"""``cxpulse ingest``'s producer: a post is answered only after the broker acknowledged it, and every way the broker
can fail becomes a 503 (Twilio retries), never a hang, a 500 or a crash of the delivery thread."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from cxpulse.settings import Settings
from schemas.events import ConversationEvent
from streams.ingest import CONVERSATIONS_PATH, IngestResponse, IngestService
from streams.raw_producer import DeliveryError, RawProducer, producer_config
from tests.unit.streams.fake_kafka import FakeKafkaProducer

pytestmark = pytest.mark.usefixtures("defaults_only_settings")

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
PUBLIC_URL = "https://cxpulse.example.com"
TOKEN = "cxpulse-sample-auth-token"


def _settings(tmp_path: Path, **ingest: object) -> Settings:
    return Settings(
        twilio_auth_token=TOKEN,
        public_url=PUBLIC_URL,
        kafka={"topic_prefix": "t1."},
        ingest={"kafka_ack_timeout_s": 0.3, **ingest},
        stack={"state_dir": tmp_path / "state", "kafka_security": "scram"},
    )


def _signed_form(form: dict[str, str]) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{CONVERSATIONS_PATH}", form),
    }
    return headers, urlencode(form).encode()


def _form(name: str = "onMessageAdded", **fields: str) -> dict[str, str]:
    return {**json.loads((DATA / "webhooks" / f"{name}.json").read_text())["form"], **fields}


async def _post(settings: Settings, fake: FakeKafkaProducer, *forms: dict[str, str]) -> list[IngestResponse]:
    """Post ``forms`` concurrently through an IngestService backed by a RawProducer over ``fake``."""
    producer = RawProducer(settings, fake)
    producer.start(asyncio.get_running_loop())
    service = IngestService(settings, producer.produce)
    try:
        signed = [_signed_form(form) for form in forms]
        return list(await asyncio.gather(*(service.conversations_webhook(h, CONVERSATIONS_PATH, b) for h, b in signed)))
    finally:
        await asyncio.get_running_loop().run_in_executor(None, producer.close, 0.5)


def test_the_librdkafka_settings_are_idempotent_acks_all_as_the_ingest_principal(tmp_path: Path) -> None:
    config = producer_config(_settings(tmp_path, linger_ms=7.5, batch_max_bytes=65536, delivery_timeout_s=12))
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert (config["linger.ms"], config["batch.size"], config["message.timeout.ms"]) == (7.5, 65536, 12000)
    assert config["sasl.username"] == "ingest", "the edge writes as its own principal, not the worker"


def test_a_post_is_answered_200_only_after_the_broker_acknowledged_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_ack_timeout_s=30)
    fake = FakeKafkaProducer(away=True)  # holds every ack until the test lets it through
    form = _form()

    async def scenario() -> tuple[IngestResponse, bool]:
        producer = RawProducer(settings, fake)
        producer.start(asyncio.get_running_loop())
        service = IngestService(settings, producer.produce)
        headers, body = _signed_form(form)
        post = asyncio.create_task(service.conversations_webhook(headers, CONVERSATIONS_PATH, body))
        await asyncio.sleep(0.2)
        answered_without_ack = post.done()
        fake.away = False
        answer = await post
        await asyncio.get_running_loop().run_in_executor(None, producer.close, 0.5)
        return answer, answered_without_ack

    answer, answered_without_ack = asyncio.run(scenario())
    assert not answered_without_ack, "answered before the broker acknowledged"
    assert answer.status == 200
    [record] = fake.records
    event = ConversationEvent.from_json(record.value)
    assert record.topic == "t1.twilio.conversations.raw"
    assert record.key == form["ConversationSid"].encode() == event.conversation_sid.encode()
    assert event.message_sid == form["MessageSid"] and event.body == form["Body"]


def test_concurrent_posts_each_wait_for_their_own_ack(tmp_path: Path) -> None:
    forms = [_form(MessageSid=f"IM{n:032x}") for n in range(40)]
    fake = FakeKafkaProducer(ack_delay_s=0.01)
    answers = asyncio.run(_post(_settings(tmp_path), fake, *forms))
    assert [a.status for a in answers] == [200] * len(forms)
    assert sorted(ConversationEvent.from_json(r.value).message_sid for r in fake.records) == sorted(
        f["MessageSid"] for f in forms
    )


def test_a_refused_record_is_503_and_its_retry_is_produced_again(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    fake = FakeKafkaProducer(refuse_with="Broker: Not enough in-sync replicas")

    async def scenario() -> tuple[IngestResponse, IngestResponse, dict[str, int]]:
        producer = RawProducer(settings, fake)
        producer.start(asyncio.get_running_loop())
        service = IngestService(settings, producer.produce)
        headers, body = _signed_form(_form())
        refused = await service.conversations_webhook(headers, CONVERSATIONS_PATH, body)
        fake.refuse_with = None  # the broker is healthy again when Twilio retries
        retried = await service.conversations_webhook(headers, CONVERSATIONS_PATH, body)
        await asyncio.get_running_loop().run_in_executor(None, producer.close, 0.5)
        return refused, retried, service.counters

    refused, retried, counters = asyncio.run(scenario())
    assert refused.status == 503 and refused.payload["error"] == "kafka_unavailable"
    assert retried.status == 200 and len(fake.records) == 1
    assert counters["unavailable"] == 1 and counters["accepted"] == 1


def test_an_ack_later_than_the_timeout_is_503_and_the_late_report_is_harmless(tmp_path: Path) -> None:
    """The broker acks after ingest gave up waiting (cancelled the future): the report must not raise on the loop
    (``InvalidStateError``) nor kill the delivery thread, so the next post is still answered."""
    settings = _settings(tmp_path)
    fake = FakeKafkaProducer(ack_delay_s=0.6)
    errors: list[dict[str, object]] = []

    async def scenario() -> tuple[IngestResponse, IngestResponse]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        producer = RawProducer(settings, fake)
        producer.start(loop)
        service = IngestService(settings, producer.produce)
        headers, body = _signed_form(_form(MessageSid="IM" + "1" * 32))
        slow = await service.conversations_webhook(headers, CONVERSATIONS_PATH, body)
        await asyncio.sleep(0.5)  # the late ack arrives meanwhile
        fake.ack_delay_s = 0.0
        headers, body = _signed_form(_form(MessageSid="IM" + "2" * 32))
        fast = await service.conversations_webhook(headers, CONVERSATIONS_PATH, body)
        await loop.run_in_executor(None, producer.close, 0.5)
        return slow, fast

    slow, fast = asyncio.run(scenario())
    assert (slow.status, fast.status) == (503, 200)
    assert len(fake.records) == 2, "the late record was still delivered (a harmless duplicate of Twilio's retry)"
    assert errors == []


def test_a_full_local_queue_is_503_not_500(tmp_path: Path) -> None:
    answers = asyncio.run(_post(_settings(tmp_path), FakeKafkaProducer(queue_full=True), _form()))
    assert answers[0].status == 503


def test_close_flushes_what_is_still_in_flight_and_reports_what_was_left(tmp_path: Path) -> None:
    settings = _settings(tmp_path)

    async def scenario(fake: FakeKafkaProducer) -> int:
        loop = asyncio.get_running_loop()
        producer = RawProducer(settings, fake)
        producer.start(loop)
        service = IngestService(settings, producer.produce)
        headers, body = _signed_form(_form())
        await service.conversations_webhook(headers, CONVERSATIONS_PATH, body)  # 503: the ack takes longer
        return await loop.run_in_executor(None, producer.close, 2.0)

    slow = FakeKafkaProducer(ack_delay_s=0.5)
    assert asyncio.run(scenario(slow)) == 0 and len(slow.records) == 1, "the flush delivered the queued record"
    assert slow.flushed_with == [2.0]
    assert asyncio.run(scenario(FakeKafkaProducer(away=True))) == 1


def test_readiness_needs_the_raw_topic_with_partitions_and_no_error(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    fake = FakeKafkaProducer()
    producer = RawProducer(settings, fake)
    assert producer.raw_topic_writable() == "the broker did not describe the topic"
    fake.create_topic("t1.twilio.conversations.raw", error="Broker: Topic authorization failed")
    assert producer.raw_topic_writable() == "Broker: Topic authorization failed"
    fake.create_topic("t1.twilio.conversations.raw", partitions=0)
    assert producer.raw_topic_writable() == "the topic has no partitions"
    fake.create_topic("t1.twilio.conversations.raw")
    assert producer.raw_topic_writable() is None


class _FatalError:
    def fatal(self) -> bool:
        return True

    def str(self) -> str:
        return "Broker: Producer fenced"


def test_after_a_fatal_producer_error_nothing_is_produced_and_readiness_says_why(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    fake = FakeKafkaProducer()
    fake.create_topic("t1.twilio.conversations.raw")
    producer = RawProducer(settings, fake)
    producer._on_error(_FatalError())
    assert producer.raw_topic_writable() == "fatal producer error: Broker: Producer fenced"
    with pytest.raises(DeliveryError, match="stopped for good"):
        asyncio.run(producer.produce([]))
    headers, body = _signed_form(_form())
    answer = asyncio.run(
        IngestService(settings, producer.produce).conversations_webhook(headers, CONVERSATIONS_PATH, body)
    )
    assert answer.status == 503 and fake.records == []
