"""``cxpulse dlq replay``: send dead-lettered events through validation again, after a fix.

The data-quality stage keeps the whole redacted event in each ``cx.events.dlq`` record (``expectations.records.
dlq_record``). When a rule turns out to reject legitimate traffic (the removed ``index_increasing`` sent 699 of
1,000 shuffled messages there) or a configuration is fixed (a channel added to ``[quality] channels``), the
records are read from the start of the topic, filtered by reason and time, and their events produced to
``cx.events.redacted`` again, keyed as before. They are validated like new traffic: what now passes reaches
``events``; what still fails is dead-lettered again. Replays are idempotent: every table keys events by
``event_id`` and collapses repeats, so replaying twice, or replaying an event that meanwhile arrived again, stores
it once.

Only redacted events are replayed (a DLQ record without one, e.g. an undecodable value, is counted and skipped),
so no raw text can re-enter the pipeline this way.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cxpulse.kafka_auth import Role, confluent_config
from cxpulse.settings import Settings
from schemas import topics as names

__all__ = ["ReplayResult", "replay_dlq", "select"]

log = logging.getLogger(__name__)

_POLL_S = 1.0
#: Consecutive empty polls after which the end of the topic is taken as reached.
_EMPTY_POLLS = 3
#: Replaying writes cx.events.redacted, which only the worker principal may (streams/acls.py): a replay is the
#: pipeline re-reading its own dead letters, not a reader's tool.
_ROLE: Role = "worker"


@dataclass
class ReplayResult:
    read: int = 0
    replayed: int = 0
    skipped_reason: int = 0
    skipped_time: int = 0
    without_event: int = 0
    undecodable: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def select(
    values: Iterable[tuple[bytes | None, bytes]], *, reasons: set[str] | None, since: datetime | None
) -> tuple[list[tuple[bytes | None, bytes]], ReplayResult]:
    """The ``(key, event JSON)`` pairs to replay among DLQ record ``(key, value)`` pairs, and what was skipped.

    Pure: the Kafka reading and producing is :func:`replay_dlq`'s."""
    result = ReplayResult()
    chosen: list[tuple[bytes | None, bytes]] = []
    for key, value in values:
        result.read += 1
        try:
            record = json.loads(value)
        except ValueError:
            result.undecodable += 1
            continue
        if not isinstance(record, dict):
            result.undecodable += 1
            continue
        reason = str(record.get("reason", ""))
        if reasons and reason not in reasons:
            result.skipped_reason += 1
            continue
        detected = _timestamp(record.get("detected_at"))
        if since is not None and (detected is None or detected < since):
            result.skipped_time += 1
            continue
        event = record.get("event")
        if not isinstance(event, dict) or event.get("redacted") is not True:
            result.without_event += 1
            continue
        chosen.append((key, json.dumps(event).encode()))
        result.replayed += 1
        result.reasons[reason] = result.reasons.get(reason, 0) + 1
    return chosen, result


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _read_all(settings: Settings, progress: Callable[[int], None]) -> list[tuple[bytes | None, bytes]]:
    from confluent_kafka import Consumer

    consumer = Consumer(
        confluent_config(
            settings,
            _ROLE,
            **{
                "group.id": f"{settings.worker.app_id}.dlq-replay.{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            },
        )
    )
    consumer.subscribe([settings.topic(names.DLQ)])
    values: list[tuple[bytes | None, bytes]] = []
    empty = 0
    try:
        while empty < _EMPTY_POLLS:
            message = consumer.poll(_POLL_S)
            if message is None:
                empty += 1
                continue
            if message.error():
                log.warning("dlq read error: %s", message.error())
                continue
            empty = 0
            values.append((message.key(), message.value() or b""))
            progress(len(values))
    finally:
        consumer.close()
    return values


def replay_dlq(
    settings: Settings,
    *,
    reasons: set[str] | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda _: None,
) -> ReplayResult:
    """Read ``cx.events.dlq`` from its start and produce the selected events to ``cx.events.redacted``."""
    from confluent_kafka import Producer

    chosen, result = select(_read_all(settings, progress), reasons=reasons, since=since)
    if dry_run or not chosen:
        return result
    producer = Producer(confluent_config(settings, _ROLE, **{"acks": "all", "enable.idempotence": True}))
    failures: list[str] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    topic = settings.topic(names.REDACTED)
    for key, value in chosen:
        producer.produce(topic, key=key, value=value, on_delivery=delivered)
        producer.poll(0)
    producer.flush()
    if failures:
        raise RuntimeError(f"{len(failures)} replayed events were not acknowledged by Kafka: {failures[0]}")
    return result
