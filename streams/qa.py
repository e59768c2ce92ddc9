"""Faust wiring of the QA sampler: validated events + SLA facts → ``cx.qa.samples`` → ``qa_samples``.

The policy is pure (:mod:`streams.qa_policy`); this module only moves records:

* one agent reads ``cx.events.validated``, ``cx.sla.responses`` and ``cx.sla.conversations`` (all keyed by
  ConversationSid with the same partition count, so Faust assigns them co-partitioned with the state table),
  folds each record into its conversation's :class:`~streams.qa_policy.QaState` (a changelog-backed Table),
  and publishes the conversation's sample whenever it changed;
* the sample is sent and acknowledged by Kafka *before* the state is written, so a crash in between replays
  the input and publishes again (a duplicate the ReplacingMergeTree collapses) rather than losing a pick;
* a sink stores ``cx.qa.samples`` → ``qa_samples`` through :func:`sinks.agent.register_table_sink`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from cxpulse.settings import Settings
from schemas.events import ConversationEvent
from sinks.agent import register_table_sink
from sinks.writer import TableRows
from streams.qa_policy import (
    QaPolicy,
    QaState,
    Sample,
    observe_conversation_fact,
    observe_event,
    observe_response_fact,
    sample,
)
from streams.sla.facts import from_iso, iso
from streams.topics import Topics

__all__ = ["SAMPLE_COLUMNS", "TABLE_NAME", "fold", "register", "sample_record", "sample_tables"]

log = logging.getLogger(__name__)

TABLE_NAME = "qa-state"
SAMPLE_COLUMNS = (
    "conversation_sid",
    "reasons",
    "picked_at",
    "policy_version",
    "channel",
    "queue",
    "intent",
    "sentiment",
    "ai_confidence",
    "version",
)
_EVENTS, _RESPONSES, _CONVERSATIONS = "events", "responses", "conversations"


def fold(state: QaState | None, kind: str, value: bytes, policy: QaPolicy) -> QaState | None:
    """One input record → the conversation's new state (``None``: unusable record, logged without content)."""
    try:
        if kind == _EVENTS:
            event = ConversationEvent.from_json(value)
            current = state or QaState(event.conversation_sid)
            return observe_event(
                current,
                policy,
                event_type=str(event.event_type),
                occurred_at=event.occurred_at,
                author_role=str(event.author_role),
                channel=event.channel,
                queue=event.queue,
                state_from=event.state_from,
                state_to=event.state_to,
                attributes=event.attributes,
            )
        fact = json.loads(value)
        current = state or QaState(fact["conversation_sid"])
        if kind == _RESPONSES:
            return observe_response_fact(current, fact)
        return observe_conversation_fact(current, fact)
    except (ValidationError, ValueError, KeyError, TypeError) as exc:
        log.error("unusable record skipped by qa input=%s error=%s", kind, type(exc).__name__)
        return None


def sample_record(picked: Sample, version: int) -> bytes:
    """The ``cx.qa.samples`` value: the sample with ISO times and its version (higher = newer)."""
    data = picked.to_dict()
    data["picked_at"] = iso(picked.picked_at)
    data["version"] = version
    return json.dumps(data).encode()


def sample_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """``cx.qa.samples`` records → ``qa_samples`` rows (pure: a replayed record gives the identical row)."""
    rows: list[list[object]] = []
    for value in values:
        try:
            data = json.loads(value)
            rows.append([from_iso(data[c]) if c == "picked_at" else data[c] for c in SAMPLE_COLUMNS])
        except (ValueError, KeyError, TypeError) as exc:
            log.error("unusable qa sample skipped error=%s", type(exc).__name__)
    return {"qa_samples": TableRows(SAMPLE_COLUMNS, rows)}


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """Mount the sampler agent and its sink on ``app``."""
    policy = QaPolicy.from_settings(settings.qa)
    kinds = {
        topics.validated.get_topic_name(): _EVENTS,
        topics.sla_responses.get_topic_name(): _RESPONSES,
        topics.sla_conversations.get_topic_name(): _CONVERSATIONS,
    }
    source = app.topic(*kinds, key_serializer="raw", value_serializer="raw", partitions=settings.kafka.partitions)
    # JSON values: {"state": QaState, "published": last sample dict or None, "version": publications so far}.
    table = app.Table(TABLE_NAME, default=None, partitions=settings.kafka.partitions)

    @app.agent(source, name=f"{settings.worker.app_id}.qa")
    async def sampler(stream: Any) -> None:
        async for record in stream.events():
            kind = kinds.get(record.message.topic)
            if kind is None:
                continue
            key = record.key.decode() if isinstance(record.key, bytes) else None
            stored = table.get(key) if key else None
            previous = QaState.from_dict(stored["state"]) if stored else None
            state = fold(previous, kind, record.value, policy)
            if state is None or state == previous:
                continue
            picked = sample(state, policy)
            published = stored.get("published") if stored else None
            version = stored.get("version", 0) if stored else 0
            current = picked.to_dict() if picked else None
            if current is not None and current != published:
                version += 1
                delivery = await topics.qa_samples.send(
                    key=state.conversation_sid.encode(), value=sample_record(picked, version)
                )
                await delivery  # stored before the state says "published": a crash re-publishes, never loses
                log.debug(
                    "qa sample conversation=%s reasons=%s version=%d",
                    state.conversation_sid,
                    ",".join(picked.reasons),
                    version,
                )
                published = current
            table[state.conversation_sid] = {"state": state.to_dict(), "published": published, "version": version}

    register_table_sink(app, settings, topic=topics.qa_samples, name="qa-samples", build_rows=sample_tables)
