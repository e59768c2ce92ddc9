"""The SLA stage's reference answer: what its pure model computes over the events it consumed, and what
ClickHouse holds, as comparable rows.

Shared by ``bench/chaos.py`` and the integration tests that must end with every SLA fact and window exact (a kill
and restart, shuffled concurrent delivery): the stage's facts depend only on the set of events it consumed
(property-tested), so the pure model (:func:`streams.sla.state.apply`) over its source topic is the answer an
uninterrupted run stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cxpulse.settings import Settings
from schemas.events import ConversationEvent, EventType
from sinks.clickhouse import Client
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, Fact, ResponseFact
from streams.sla.state import ConversationState, apply, derive
from streams.sla.windows import WindowBook, WindowInput, WindowSpec, from_fact, opened

__all__ = ["CONVERSATION_SQL", "RESPONSE_SQL", "WINDOW_SQL", "SlaRows", "expected_sla", "holds_something", "stored_sla"]

RESPONSE_SQL = (
    "SELECT response_id, outcome, agent, toUnixTimestamp64Milli(customer_at), toUnixTimestamp64Milli(reply_at), "
    "response_s, is_first, breached, short_abandon, segment, customer_messages, channel, queue, retracted "
    "FROM responses FINAL"
)
CONVERSATION_SQL = (
    "SELECT conversation_sid, channel, queue, handle_s, first_response_s, responses, breaches, abandoned_waits, "
    "reopen_count, bot_contained, abandoned, messages_total, round(cost, 6) FROM sla_conversations FINAL"
)
WINDOW_SQL = (
    "SELECT window, channel, queue, toUnixTimestamp64Milli(window_start), conversations_opened, "
    "conversations_closed, responses, breaches, abandoned, response_p50_s, response_p99_s, service_level_pct, "
    "bot_contained, late_rejected FROM sla_windows FINAL"
)


def holds_something(window: tuple[Any, ...]) -> bool:
    """A window row with any count, quantile or late fact. A window emptied again (a fact first counted under a
    provisional queue, then withdrawn) is published with zeros, and equals no row at all."""
    return any(value not in (0, None) for value in window[4:])


@dataclass(frozen=True)
class SlaRows:
    """Responses, conversation facts and window rows as comparable tuples (timestamps in milliseconds)."""

    responses: frozenset[tuple[Any, ...]]
    conversations: frozenset[tuple[Any, ...]]
    windows: frozenset[tuple[Any, ...]]

    def as_dict(self) -> dict[str, frozenset[tuple[Any, ...]]]:
        return {"responses": self.responses, "conversations": self.conversations, "windows": self.windows}


def expected_sla(settings: Settings, events: Iterable[ConversationEvent], *, grace_s: float) -> SlaRows:
    """What an uninterrupted SLA stage stores for these events, computed by the stage's own pure functions.

    The events are the ones the stage consumed (its source topic, duplicates and all), so the comparison checks
    the stage's exactly-once across faults, not redaction or data quality. The state functions ignore
    duplicates and do not depend on arrival order (the unit property tests), hence one pass in topic order.
    """
    cfg = SlaConfig.from_settings(settings)
    states: dict[str, ConversationState] = {}
    latest: dict[str, Fact] = {}
    markers: list[WindowInput] = []
    for event in events:
        result = apply(states.get(event.conversation_sid), event, cfg)
        states[event.conversation_sid] = result.state
        for fact in result.facts:
            latest[fact.fact_id] = fact
        if event.event_type is EventType.CONVERSATION_ADDED and not result.duplicate:
            live = derive(result.state, cfg).live
            markers.append(opened(event.conversation_sid, live.channel, live.queue, event.occurred_at.timestamp()))
    responses = frozenset(
        (
            f.response_id,
            f.outcome,
            f.agent,
            round(f.customer_at * 1000),
            round(f.reply_at * 1000),
            f.response_s,
            int(f.is_first),
            int(f.breached),
            int(f.short_abandon),
            f.segment,
            f.customer_messages,
            f.channel,
            f.queue,
            int(f.retracted),
        )
        for f in latest.values()
        if isinstance(f, ResponseFact)
    )
    conversations = frozenset(
        (
            f.conversation_sid,
            f.channel,
            f.queue,
            f.handle_s,
            f.first_response_s,
            f.responses,
            f.breaches,
            f.abandoned_waits,
            f.reopen_count,
            int(f.bot_contained),
            int(f.abandoned),
            f.messages_total,
            round(f.cost, 6),
        )
        for f in latest.values()
        if isinstance(f, ConversationFact)
    )
    spec = WindowSpec(step=settings.sla.tumbling_window_s, hopping=settings.sla.hopping_window_s, grace=grace_s)
    books: dict[str, WindowBook] = {}
    minutes: dict[str, set[int]] = {}
    for item in [*markers, *(from_fact(f) for f in latest.values())]:
        book = books.setdefault(item.key, WindowBook(item.channel, item.queue, spec, minutes={}))
        minutes.setdefault(item.key, set()).update(book.apply(item))
    windows = frozenset(
        row
        for row in (
            (
                r.window,
                r.channel,
                r.queue,
                round(r.window_start * 1000),
                r.conversations_opened,
                r.conversations_closed,
                r.responses,
                r.breaches,
                r.abandoned,
                r.response_p50_s,
                r.response_p99_s,
                r.service_level_pct,
                r.bot_contained,
                r.late_rejected,
            )
            for key, book in books.items()
            for r in book.rows(sorted(minutes[key]))
        )
        if holds_something(row)
    )
    return SlaRows(responses, conversations, windows)


def stored_sla(client: Client) -> SlaRows:
    """The SLA tables as ClickHouse answers them after ReplacingMergeTree collapsing (``FINAL``)."""
    return SlaRows(
        frozenset(tuple(r) for r in client.query(RESPONSE_SQL).result_rows),
        frozenset(tuple(r) for r in client.query(CONVERSATION_SQL).result_rows),
        frozenset(w for w in (tuple(r) for r in client.query(WINDOW_SQL).result_rows) if holds_something(w)),
    )
