"""The whole path on the real broker and the real ClickHouse engine:
signed webhook → ingest → twilio.conversations.raw → redaction → cx.events.redacted → ClickHouse.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from cxpulse.kafka_auth import confluent_config
from cxpulse.simulate import WebhookPost, run_simulation
from schemas import topics
from tests.integration.conftest import (
    Deployment,
    dump_table,
    post_signed,
    query_rows,
    signed_message_post,
    wait_for,
)

pytestmark = pytest.mark.integration

#: An upper bound for a loaded 2-core CI machine, not a speed target (those live in bench/).
_STORE_TIMEOUT_S = 300


def _stored_ids(deployment: Deployment) -> set[str]:
    with deployment.clickhouse() as ch:
        return {row[0] for row in query_rows(ch, "SELECT event_id FROM events FINAL")}


def _final_count(deployment: Deployment) -> int:
    with deployment.clickhouse() as ch:
        return query_rows(ch, "SELECT count() FROM events FINAL")[0][0]


def _simulate(deployment: Deployment, total: int, seed: int) -> set[str]:
    """Post exactly ``total`` signed webhooks; returns the event ids the ingest endpoint accepted."""
    settings = deployment.settings.model_copy(
        update={"simulator": deployment.settings.simulator.model_copy(update={"seed": seed})}
    )
    report = asyncio.run(
        run_simulation(settings, rate=400, duration=None, total=total, target_url=deployment.ingest_url, progress=False)
    )
    assert report.failed == 0 and not report.rejected, report
    assert len(report.accepted_ids) == total
    return set(report.accepted_ids)


def _sink_caught_up(deployment: Deployment) -> bool:
    """The sink's consumer group committed everything on the redacted topic."""
    from confluent_kafka import Consumer, TopicPartition

    name = deployment.settings.topic(topics.REDACTED)
    consumer = Consumer(
        confluent_config(
            deployment.settings, "admin", **{"group.id": deployment.settings.worker.app_id, "enable.auto.commit": False}
        )
    )
    try:
        parts = [TopicPartition(name, p) for p in range(deployment.settings.kafka.partitions)]
        committed = consumer.committed(parts, timeout=10)
        ends = [consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts]
        return all(c.offset == end for c, end in zip(committed, ends, strict=True) if end > 0)
    finally:
        consumer.close()


@pytest.mark.slow
def test_1000_events_exactly_once_across_kill_restart_and_full_replay(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    # Every stage on: the SLA stage's tables (changelogs, recovery) are what made restarts and replays hard.
    deployment.env["CXPULSE_SLA__ENABLED"] = "1"
    deployment.env["CXPULSE_QA__ENABLED"] = "1"
    worker = deployment.worker().start()

    # 1. First 600 events; kill -9 the worker while the pipeline is still storing them.
    first = _simulate(deployment, total=600, seed=7)
    wait_for(lambda: _final_count(deployment) > 0, _STORE_TIMEOUT_S, "the first rows in ClickHouse")
    worker.kill()
    stored_at_kill = _final_count(deployment)

    # 2. Restart: uncommitted offsets are processed again; then the remaining 400 events.
    restarted = deployment.worker().start()
    back_s = restarted.seconds_until_processing()
    second = _simulate(deployment, total=400, seed=8)
    sent = first | second
    assert len(sent) == 1000
    wait_for(lambda: _final_count(deployment) >= 1000, _STORE_TIMEOUT_S, "1,000 events in ClickHouse")
    assert _stored_ids(deployment) == sent
    assert _final_count(deployment) == 1000

    # 3. Full replay: stop, forget every committed offset, start again from the beginning of the raw topic.
    stop_s = deployment.workers[-1].stop()
    assert stop_s is not None and stop_s < 30, f"SIGTERM took {stop_s} s"
    redacted_before = deployment.end_offsets(topics.REDACTED)
    admin = AdminClient(confluent_config(deployment.settings, "admin"))

    def group_deleted() -> bool:
        # A worker that had to be killed stays a member until its session times out (NON_EMPTY_GROUP).
        future = admin.delete_consumer_groups([deployment.settings.worker.app_id], request_timeout=30)
        try:
            next(iter(future.values())).result()
            return True
        except Exception as exc:  # noqa: BLE001 - retried until the broker drops the old member
            if "NON_EMPTY_GROUP" not in str(exc):
                raise
            return False

    wait_for(group_deleted, _STORE_TIMEOUT_S, "the old consumer group to empty", poll=2)
    deployment.worker().start()
    wait_for(
        lambda: deployment.end_offsets(topics.REDACTED) >= redacted_before + 1000,
        _STORE_TIMEOUT_S,
        "the replay to redact every raw event again",
    )
    wait_for(lambda: _sink_caught_up(deployment), _STORE_TIMEOUT_S, "the sink to store the replayed events")

    assert _stored_ids(deployment) == sent
    assert _final_count(deployment) == 1000
    with deployment.clickhouse() as ch:
        messages, distinct = query_rows(ch, "SELECT count(), uniqExact(message_sid) FROM messages FINAL")[0]
    assert messages == distinct > 0
    print(
        f"rows stored when the worker was killed: {stored_at_kill} of 600; processing back {back_s:.1f} s after "
        f"the restart; SIGTERM stop took {stop_s:.1f} s"
    )


@pytest.fixture(scope="module")
def running(make_deployment_module: Callable[[], Deployment]) -> Deployment:
    deployment = make_deployment_module()
    deployment.worker().start()
    return deployment


CANARIES = {
    "name": "Zebulon Quartermaine",
    "phone": "+1 415 555 0199",
    "email": "zebulon.quartermaine@example.org",
    "card": "4111 1111 1111 1111",
}


def test_canary_pii_never_leaves_the_raw_topic(running: Deployment) -> None:
    author = "+14155550199"
    body = (
        f"Hi, this is {CANARIES['name']}. Call me on {CANARIES['phone']} or write to {CANARIES['email']}; "
        f"my card is {CANARIES['card']}."
    )
    post = signed_message_post(running, body, author, tag="canary")
    response = post_signed(running, post)
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]
    wait_for(lambda: event_id in _stored_ids(running), _STORE_TIMEOUT_S, "the canary message in ClickHouse")

    needles = [*CANARIES.values(), author, "4111111111111111", "zebulon"]
    raw = b"\n".join(running.topic_messages(topics.RAW)).decode().lower()
    assert CANARIES["email"] in raw, "the raw topic must hold the original (or this test proves nothing)"

    redacted = b"\n".join(running.topic_messages(topics.REDACTED)).decode().lower()
    with running.clickhouse() as ch:
        stored = "\n".join(dump_table(ch, t) for t in ("events", "messages", "conversations")).lower()
        body_stored = query_rows(ch, "SELECT body FROM messages FINAL WHERE last_event_id = {id:String}", id=event_id)
    logs = "\n".join(w.log_text() for w in running.workers).lower()
    for needle in needles:
        assert needle.lower() not in redacted, f"{needle!r} reached {topics.REDACTED}"
        assert needle.lower() not in stored, f"{needle!r} reached ClickHouse"
        assert needle.lower() not in logs, f"{needle!r} reached the worker log"
    assert body_stored and "<EMAIL_ADDRESS>" in body_stored[0][0] and "<CREDIT_CARD>" in body_stored[0][0]


def test_bad_signature_is_403_and_nothing_reaches_kafka(running: Deployment) -> None:
    post = signed_message_post(running, "hello there", "+14155550100", tag="signature")
    before = running.end_offsets(topics.RAW)

    wrong = post_signed(running, post, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    missing = httpx.post(f"{running.ingest_url}{post.path}", data=post.form, timeout=10)
    tampered_body = str(httpx.QueryParams({**post.form, "Body": "changed"})).encode()
    tampered = post_signed(
        running, post, content=tampered_body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (wrong.status_code, missing.status_code, tampered.status_code) == (403, 403, 403)
    assert wrong.json()["error"] == "bad_signature"

    no_conversation = WebhookPost(
        path=post.path,
        form={k: v for k, v in post.form.items() if k != "ConversationSid"},
        idempotency_token=post.idempotency_token + "-bad",
        conversation_sid="",
        pii=(),
    )
    malformed = post_signed(running, no_conversation)
    assert malformed.status_code == 400
    assert "ConversationSid" in malformed.json()["message"]

    huge = WebhookPost(
        path=post.path,
        form={**post.form, "Body": "x" * (running.settings.ingest.max_body_bytes + 1)},
        idempotency_token=post.idempotency_token + "-huge",
        conversation_sid="",
        pii=(),
    )
    assert post_signed(running, huge).status_code == 413

    assert running.end_offsets(topics.RAW) == before, "a rejected request reached Kafka"
    assert post_signed(running, post).status_code == 200
    assert running.end_offsets(topics.RAW) == before + 1, "the accepted request did not reach Kafka"
    # A Twilio retry of the same delivery is acknowledged but not produced twice.
    assert post_signed(running, post).status_code == 200
    assert running.end_offsets(topics.RAW) == before + 1


def test_a_replay_with_a_fresh_idempotency_token_is_stored_once(running: Deployment) -> None:
    """The token header is not signed: a captured post replayed with a new one must not count twice."""
    post = signed_message_post(running, "did my refund go through?", "+14155550124", tag="replay")
    before = running.end_offsets(topics.RAW)
    first = post_signed(running, post)
    replay = post_signed(running, dataclasses.replace(post, idempotency_token=f"replayed-{secrets.token_hex(8)}"))
    assert (first.status_code, replay.status_code) == (200, 200), (first.text, replay.text)
    assert first.json()["event_id"] == replay.json()["event_id"]
    assert running.end_offsets(topics.RAW) == before + 1, "the replay reached Kafka"

    sid = post.form["MessageSid"]

    def counts() -> tuple[int, int]:
        with running.clickhouse() as ch:
            events = query_rows(ch, "SELECT count() FROM events FINAL WHERE message_sid = {s:String}", s=sid)[0][0]
            messages = query_rows(ch, "SELECT count() FROM messages FINAL WHERE message_sid = {s:String}", s=sid)[0][0]
        return events, messages

    wait_for(lambda: counts()[0] > 0, _STORE_TIMEOUT_S, "the message in ClickHouse")
    wait_for(lambda: _sink_caught_up(running), _STORE_TIMEOUT_S, "the sink to store everything produced")
    assert counts() == (1, 1)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_ingest_port_serves_no_faust_views_and_health_says_only_ok(running: Deployment) -> None:
    """Twilio must reach this port, so anyone can: no table reads, no cluster routes, no counters."""
    sla_table = f"{running.settings.worker.app_id}-sla-state"
    for path in ("/table/", f"/table/{sla_table}/", "/router/", "/graph/", "/assignment/", "/performance/"):
        assert _get(f"{running.ingest_url}{path}")[0] == 404, path
    assert _get(f"{running.ingest_url}/twilio/health") == (200, b'{"status":"ok"}')
