"""Faust wiring of the SLA stage: one agent over the redacted events, one wall-clock timer, three sinks.

* The agent applies each event to its conversation's state (a changelog-backed Table keyed by
  ConversationSid, co-partitioned with the source topic), publishes the facts that changed, and acknowledges
  the event only after Kafka acknowledged those facts. A duplicate (a replay after a crash) re-publishes the
  conversation's current facts, because the first delivery's output may have been lost.
* The timer (``sla.timer_interval_s``, at most 1 s) turns the live view of the conversations that changed or
  are due (:class:`~streams.sla.board.LiveBoard`: an index, not a scan) into a status (awaiting / breaching /
  …) by the wall clock and publishes changes, so a breach shows up with no further event (faust #250).
* Closed conversations leave the state table ``sla.evict_closed_after_s`` after their close (tombstones).
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
from schemas.events import ConversationEvent
from sinks.agent import register_table_sink
from streams.sla import window_agent
from streams.sla.acks import AckAfterDelivery
from streams.sla.board import LiveBoard
from streams.sla.cache import StateCache
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, Fact
from streams.sla.feed import window_inputs
from streams.sla.rows import conversation_tables, live_tables, response_tables
from streams.sla.state import ConversationState, LiveView, apply, current_facts
from streams.sla.windows import WindowInput
from streams.topics import Topics

__all__ = ["TABLE_NAME", "register", "source_topic"]

log = logging.getLogger(__name__)

TABLE_NAME = "sla-state"


def source_topic(topics: Topics) -> Any:
    """The one place that names the stage's input: events that passed redaction and the data-quality suites."""
    return topics.validated


def _owned_partitions(app: Any, topic_name: str) -> frozenset[int]:
    return frozenset(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic_name)


#: Work units between two yields to the event loop (table entries decoded, rows sent), so the SLA stage never
#: holds the loop for long when other stages share the worker.
_YIELD_EVERY = 200


def _stored_view(sid: str, stored: dict[str, Any], cfg: SlaConfig) -> LiveView:
    """A stored state's live view; from its checkpoint without decoding the timeline when it has one."""
    if stored.get("walk") is not None:
        return ConversationState(conversation_sid=sid, walk=stored["walk"]).live(cfg)
    return ConversationState.from_json(stored).live(cfg)


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """Mount the SLA agent, its live timer and its three sinks on ``app``."""
    cfg = SlaConfig.from_settings(settings)
    source = source_topic(topics)
    # JSON keys and values (faust's table default); same partition count as the source: co-partitioned.
    table = app.Table(TABLE_NAME, default=None, partitions=settings.kafka.partitions)
    board = LiveBoard(cfg)
    cache = StateCache(cfg.sla.state_cache_size)

    async def publish(facts: list[Fact], inputs: list[WindowInput]) -> list[Any]:
        deliveries = []
        for fact in facts:
            topic = topics.sla_conversations if isinstance(fact, ConversationFact) else topics.sla_responses
            deliveries.append(
                await topic.send(key=fact.conversation_sid.encode(), value=json.dumps(fact.to_dict()).encode())
            )
        for item in inputs:
            deliveries.append(
                await topics.sla_window_inputs.send(key=item.key.encode(), value=json.dumps(item.to_dict()).encode())
            )
        return deliveries

    def evict(partition: int) -> None:
        """Delete closed conversations of ``partition`` whose time is up (a tombstone in the changelog).

        Runs while an event of that partition is processed: faust writes a key's tombstone to the changelog
        partition of the current event. The stored state is re-checked: it must still be closed that long ago.
        """
        now = time.time()
        for sid in board.evictable(partition, now, cfg.sla.evict_max_per_event):
            stored = table.get(sid)
            closed_at = ((stored or {}).get("walk") or {}).get("closed_at")
            if stored and closed_at is not None and closed_at + cfg.sla.evict_closed_after_s <= now:
                del table[sid]
                cache.forget(sid)
                board.forget(sid)
                log.debug("sla state evicted conversation=%s", sid)

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
            sid = event.conversation_sid
            partition = record.message.partition
            state = cache.load(sid, table.get(sid))
            result = apply(state, event, cfg, partition=partition)
            if result.duplicate:
                facts = current_facts(result.state, cfg)
                log.info("sla replayed duplicate conversation=%s facts=%d", sid, len(facts))
            else:
                facts = result.facts
                if result.live is not None:  # the event joined the timeline (ignored kinds change nothing)
                    table[sid] = cache.store(sid, result.state)
            inputs = window_inputs(event, result, facts, cfg)
            deliveries = await publish(facts, inputs)
            if result.live is not None:
                board.update(result.live, partition)
            evict(partition)
            await acks.submit(record, deliveries)

    async def rebuild(owned: frozenset[int]) -> None:
        """Refill the board from the recovered table (first tick, restart, rebalance), yielding as it goes."""
        board.reset(owned)
        for n, (sid, stored) in enumerate(list(table.items()), start=1):
            if stored and stored.get("partition") in owned:
                board.update(_stored_view(sid, stored, cfg), stored.get("partition"))
            if n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        log.info("sla live board rebuilt partitions=%s conversations=%d", sorted(owned), len(board.views))

    @app.timer(cfg.sla.timer_interval_s, name=f"{settings.worker.app_id}.sla.live")
    async def live() -> None:
        if not app.tables.recovery.completed.is_set():
            return  # the table is still being restored from its changelog
        owned = _owned_partitions(app, source.get_topic_name())
        if owned != board.owned:  # first tick, restart or rebalance: rebuild from the recovered table
            await rebuild(owned)
        rows = board.due(time.time())
        if not rows:
            return
        deliveries = []
        for n, row in enumerate(rows, start=1):
            deliveries.append(
                await topics.sla_live.send(key=row.conversation_sid.encode(), value=json.dumps(row.to_dict()).encode())
            )
            if n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        try:
            await asyncio.gather(*deliveries)
        except Exception as exc:  # noqa: BLE001 - evaluated again next tick; sla_live keeps the latest row
            log.error("live rows not delivered; retried next tick error=%s", type(exc).__name__)
            board.retry(rows)
            return
        board.mark(rows)
        if board.pending:
            log.debug("sla live timer capped rows=%d pending=%d", len(rows), board.pending)

    register_table_sink(app, settings, topic=topics.sla_responses, name="sla-responses", build_rows=response_tables)
    register_table_sink(
        app, settings, topic=topics.sla_conversations, name="sla-conversations", build_rows=conversation_tables
    )
    register_table_sink(app, settings, topic=topics.sla_live, name="sla-live", build_rows=live_tables)
    window_agent.register(app, settings, topics)
