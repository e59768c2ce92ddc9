"""Faust wiring of the SLA stage: one agent over the redacted events, one wall-clock timer, three sinks.

* The agent applies each event to its conversation's state (a changelog-backed Table keyed by
  ConversationSid, co-partitioned with the source topic), publishes the facts that changed, and acknowledges
  the event only after Kafka acknowledged those facts. A duplicate (a replay after a crash) re-publishes the
  conversation's current facts, because the first delivery's output may have been lost.
* The timer (``sla.timer_interval_s``, at most 1 s) turns the latest live view of every conversation this
  worker owns into a status (awaiting / breaching / …) by the wall clock and publishes changes, so a breach
  shows up with no further event (faust #250).
* Sinks store ``cx.sla.responses`` → ``responses``, ``cx.sla.conversations`` → ``sla_conversations`` and
  ``cx.sla.live`` → ``sla_live`` through :func:`sinks.agent.register_table_sink`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from pydantic import ValidationError

from cxpulse.settings import Settings
from schemas.events import ConversationEvent, EventType
from sinks.agent import register_table_sink
from streams.sla import window_agent
from streams.sla.acks import AckAfterDelivery
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, Fact
from streams.sla.live import CLOSED, LiveRow, live_row
from streams.sla.rows import conversation_tables, live_tables, response_tables
from streams.sla.state import ConversationState, LiveView, apply, current_facts, derive
from streams.sla.windows import WindowInput, from_fact, opened
from streams.topics import Topics

__all__ = ["TABLE_NAME", "register", "source_topic"]

log = logging.getLogger(__name__)

TABLE_NAME = "sla-state"


def source_topic(topics: Topics) -> Any:
    """The one place that names the stage's input: events that passed redaction and the data-quality suites."""
    return topics.validated


class _LiveBoard:
    """This worker's latest live view per conversation and the last status it published for each.

    Not durable on purpose: after a restart or rebalance it is rebuilt from the table, and every status is
    published once again (the ``sla_live`` table keeps the latest row per conversation, so that is harmless).
    """

    def __init__(self) -> None:
        self.views: dict[str, LiveView] = {}
        self.published: dict[str, tuple[str, float | None]] = {}
        self.owned: frozenset[int] | None = None

    def due(self, now: float, cfg: SlaConfig) -> list[LiveRow]:
        rows: list[LiveRow] = []
        for sid, view in list(self.views.items()):
            row = live_row(view, now, cfg)
            if self.published.get(sid) != row.change_key:
                rows.append(row)
        return rows

    def mark(self, row: LiveRow) -> None:
        self.published[row.conversation_sid] = row.change_key
        if row.status == CLOSED:  # final: stop watching it
            self.views.pop(row.conversation_sid, None)
            self.published.pop(row.conversation_sid, None)


def _owned_partitions(app: Any, topic_name: str) -> frozenset[int]:
    return frozenset(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic_name)


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """Mount the SLA agent, its live timer and its three sinks on ``app``."""
    cfg = SlaConfig.from_settings(settings)
    source = source_topic(topics)
    # JSON keys and values (faust's table default); same partition count as the source: co-partitioned.
    table = app.Table(TABLE_NAME, default=None, partitions=settings.kafka.partitions)
    board = _LiveBoard()

    async def publish(facts: list[Fact], extra_inputs: list[WindowInput]) -> list[Any]:
        deliveries = []
        for fact in facts:
            topic = topics.sla_conversations if isinstance(fact, ConversationFact) else topics.sla_responses
            deliveries.append(await topic.send(key=fact.conversation_sid.encode(),
                                               value=json.dumps(fact.to_dict()).encode()))
        for item in [*extra_inputs, *(from_fact(f) for f in facts)]:
            deliveries.append(await topics.sla_window_inputs.send(key=item.key.encode(),
                                                                  value=json.dumps(item.to_dict()).encode()))
        return deliveries

    @app.agent(source, name=f"{settings.worker.app_id}.sla")
    async def sla(stream: Any) -> None:
        acks = AckAfterDelivery(stream)
        async for record in stream.noack().events():
            try:
                event = ConversationEvent.from_json(record.value)
            except ValidationError as exc:
                log.error("unparsable event skipped by sla: %d validation errors", exc.error_count())
                await stream.ack(record)
                continue
            stored = table.get(event.conversation_sid)
            state = ConversationState.from_json(stored) if stored else None
            result = apply(state, event, cfg, partition=record.message.partition)
            if result.duplicate:
                facts = current_facts(result.state, cfg)
                log.info("sla replayed duplicate conversation=%s facts=%d", event.conversation_sid, len(facts))
            else:
                facts = result.facts
                if result.live is not None:  # the event joined the timeline (ignored kinds change nothing)
                    table[event.conversation_sid] = result.state.to_json()
            markers = []
            if event.event_type is EventType.CONVERSATION_ADDED and result.state.timeline:
                live_now = derive(result.state, cfg).live
                markers.append(opened(event.conversation_sid, live_now.channel, live_now.queue,
                                      event.occurred_at.timestamp()))
            deliveries = await publish(facts, markers)
            if result.live is not None:
                board.views[event.conversation_sid] = result.live
            await acks.submit(record, deliveries)

    @app.timer(cfg.sla.timer_interval_s, name=f"{settings.worker.app_id}.sla.live")
    async def live() -> None:
        if not app.tables.recovery.completed.is_set():
            return  # the table is still being restored from its changelog
        owned = _owned_partitions(app, source.get_topic_name())
        if owned != board.owned:  # first tick, restart or rebalance: rebuild from the recovered table
            board.views = {
                sid: derive(s, cfg).live
                for sid, s in ((k, ConversationState.from_json(v)) for k, v in list(table.items()) if v)
                if s.partition in owned
            }
            board.published.clear()
            board.owned = owned
            log.info("sla live board rebuilt partitions=%s conversations=%d", sorted(owned), len(board.views))
        rows = board.due(time.time(), cfg)
        if not rows:
            return
        deliveries = [
            await topics.sla_live.send(key=r.conversation_sid.encode(), value=json.dumps(r.to_dict()).encode())
            for r in rows
        ]
        await asyncio.gather(*deliveries)
        for row in rows:
            board.mark(row)

    register_table_sink(app, settings, topic=topics.sla_responses, name="sla-responses", build_rows=response_tables)
    register_table_sink(app, settings, topic=topics.sla_conversations, name="sla-conversations",
                        build_rows=conversation_tables)
    register_table_sink(app, settings, topic=topics.sla_live, name="sla-live", build_rows=live_tables)
    window_agent.register(app, settings, topics)
