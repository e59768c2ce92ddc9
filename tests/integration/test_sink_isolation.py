"""One bad row never stops storage, on the real ClickHouse engine and the real broker.

1. The writer on its own: 1,000 real event rows, one with a ``message_index`` its UInt32 column cannot hold
   (what a signed ``Index=4294967296`` produced before the edge bounded it): 999 stored, 1 returned with its
   reason, and a replay of the same batch stores nothing twice.
2. The running worker: 999 valid events and 1 poison pill on ``cx.events.validated`` (where only our own stages
   write, so it stands for a bug or an old record replayed): 999 in ``events``, the pill in ``cx.sink.dlq`` and
   ``sink_rejections`` with its reason, the offsets committed, and a signed webhook posted afterwards is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer

from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import SinkSettings
from schemas import topics
from schemas.events import ConversationEvent
from sinks.rows import EVENT_COLUMNS, event_tables
from sinks.writer import UNREADABLE, BatchWriter, TableRows
from tests.integration.conftest import (
    Deployment,
    post_signed,
    query_rows,
    seeded_conversation,
    signed_message_post,
    wait_for,
)

pytestmark = pytest.mark.integration

_TIMEOUT_S = 180
_INDEX = EVENT_COLUMNS.index("message_index")


def _events(count: int) -> list[ConversationEvent]:
    """``count`` stored-shape events (three per conversation), dated within the retention period."""
    at = datetime.now(UTC) - timedelta(hours=1)
    events = [e for n in range(count // 3 + 1) for e in seeded_conversation(n, "sms", at + timedelta(seconds=n))]
    return events[:count]


def _count(deployment: Deployment, sql: str) -> int:
    with deployment.clickhouse() as ch:
        return query_rows(ch, sql)[0][0]


def test_the_writer_stores_999_rows_and_returns_the_one_clickhouse_cannot_hold(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    tables = dict(event_tables([e.to_json() for e in _events(1000)]))
    tables.pop(UNREADABLE)
    events = tables["events"]
    bad = next(i for i, row in enumerate(events.rows) if row[_INDEX] is not None)
    events.rows[bad][_INDEX] = 2**32
    only_events = {"events": TableRows(events.columns, events.rows)}
    writer = BatchWriter(lambda: deployment.clickhouse(), SinkSettings(backoff_s=0.1, backoff_max_s=0.5))
    try:
        result = writer.write(only_events, token="poison")
        again = writer.write(only_events, token="poison")
    finally:
        writer.close()

    assert [(r.table, r.index) for r in result.rejected] == [("events", bad)]
    assert result.rejected[0].reason == (
        "DataError in column message_index: struct.error: 'I' format requires 0 <= number <= 4294967295"
    )
    assert result.rows == {"events": 999}
    assert [r.index for r in again.rejected] == [bad], "a replay bisects the same way"
    assert _count(deployment, "SELECT count() FROM events") == 999, "the replay stored nothing twice"
    assert _count(deployment, f"SELECT count() FROM events WHERE event_id = '{events.rows[bad][0]}'") == 0


def test_a_poison_pill_on_the_validated_topic_is_dead_lettered_and_storage_goes_on(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    deployment.worker().start()
    events = _events(999)
    pill = json.loads(events[1].to_json())
    pill.update(event_id="poison-pill", index=2**32, message_sid="IM" + "f" * 32)
    values = [e.to_json() for e in events[:500]] + [json.dumps(pill).encode()] + [e.to_json() for e in events[500:]]

    producer = Producer(confluent_config(deployment.settings, "admin", acks="all"))
    name = deployment.settings.topic(topics.VALIDATED)
    for value in values:
        producer.produce(name, key=json.loads(value)["conversation_sid"].encode(), value=value)
    assert producer.flush(30) == 0

    wait_for(
        lambda: _count(deployment, "SELECT count() FROM sink_rejections FINAL") >= 1,
        _TIMEOUT_S,
        "the poison pill in sink_rejections",
    )
    wait_for(lambda: _count(deployment, "SELECT count() FROM events FINAL") >= 999, _TIMEOUT_S, "999 events stored")
    assert _count(deployment, "SELECT count() FROM events FINAL") == 999
    with deployment.clickhouse() as ch:
        [(table, reason, value)] = query_rows(ch, "SELECT table_name, reason, value FROM sink_rejections FINAL")
    assert table == UNREADABLE
    assert reason == "unreadable event: index less_than_equal", reason
    assert json.loads(value)["event_id"] == "poison-pill", "the pill is kept for a replay after a fix"
    letters = [json.loads(v) for v in deployment.topic_messages(topics.SINK_DLQ)]
    assert [(x["source_topic"], x["reason"]) for x in letters] == [(name, reason)]

    # No stall: a webhook posted after the pill goes all the way to ClickHouse.
    post = signed_message_post(deployment, "has my parcel shipped yet?", "+14155550100", tag="after-pill")
    assert post_signed(deployment, post).status_code == 200
    wait_for(
        lambda: _count(deployment, "SELECT count() FROM messages FINAL WHERE body LIKE '%parcel shipped yet%'") == 1,
        _TIMEOUT_S,
        "a webhook posted after the pill in messages",
    )
