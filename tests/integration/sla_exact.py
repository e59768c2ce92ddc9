"""Exact SLA results on the real stack: what ClickHouse holds vs the pure model over the same events.

Shared by the integration tests that must end with every SLA fact and window exact (a kill and restart,
shuffled concurrent delivery): the stage's facts depend only on the set of events it consumed, so the pure
model (:func:`streams.sla.state.apply`) over its source topic is the answer an uninterrupted run stores.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx

from cxpulse.simulate import WebhookPost, generate_posts, sign
from schemas.events import ConversationEvent, EventType
from streams.sla.agent import source_topic
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, Fact, ResponseFact
from streams.sla.state import ConversationState, apply, derive
from streams.sla.windows import WindowBook, WindowSpec, from_fact, opened
from streams.topics import Topics
from tests.integration.conftest import Deployment, query_rows

#: (responses, conversations, windows) as comparable row sets.
Facts = tuple[set[tuple], set[tuple], set[tuple]]

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


def whole_conversations(deployment: Deployment, *, seed: int = 23, max_events: int = 400) -> list[WebhookPost]:
    """Every post of the first conversations that close, in the simulator's (interleaved) order."""
    # The whole simulated timeline lies in the past: the data-quality stage rejects future timestamps.
    start = datetime.now(UTC) - timedelta(hours=2)
    posts = list(itertools.islice(generate_posts(seed=seed, settings=deployment.settings.simulator, start=start), 4000))
    closed = [
        p.conversation_sid
        for p in posts
        if p.event_type == "onConversationStateUpdated" and p.form.get("StateTo") == "closed"
    ]
    chosen: set[str] = set()
    for sid in closed:
        if sum(p.conversation_sid in chosen | {sid} for p in posts) > max_events:
            break
        chosen.add(sid)
    return [p for p in posts if p.conversation_sid in chosen]


def post_all(deployment: Deployment, posts: list[WebhookPost]) -> None:
    token = deployment.settings.twilio_auth_token
    assert token is not None
    with httpx.Client(timeout=10) as client:
        for post in posts:
            headers = sign(post, auth_token=token.get_secret_value(), base_url=deployment.settings.public_url)
            response = client.post(f"{deployment.ingest_url}{post.path}", data=post.form, headers=headers)
            assert response.status_code == 200, response.text


def source_events(deployment: Deployment) -> list[ConversationEvent]:
    """What the SLA stage consumed: its source topic, whatever the upstream stages let through."""

    class _Names:
        def topic(self, name: str, **_: object) -> str:
            return name

    name = source_topic(Topics.declare(_Names(), deployment.settings))
    return [ConversationEvent.from_json(v) for _, v in deployment.topic_records(name) if v is not None]


def expected_facts(deployment: Deployment, events: list[ConversationEvent], *, grace_s: float) -> Facts:
    """The pure model over the same events: responses, conversations, windows (what an uninterrupted run stores;
    the unit property tests show the result does not depend on arrival order or duplicates)."""
    settings = deployment.settings.model_copy(
        update={"sla": deployment.settings.sla.model_copy(update={"window_grace_s": grace_s})}
    )
    cfg = SlaConfig.from_settings(settings)
    states: dict[str, ConversationState] = {}
    latest: dict[str, Fact] = {}
    markers = []
    for event in events:
        result = apply(states.get(event.conversation_sid), event, cfg)
        states[event.conversation_sid] = result.state
        for fact in result.facts:
            latest[fact.fact_id] = fact
        if event.event_type is EventType.CONVERSATION_ADDED and not result.duplicate:
            live = derive(result.state, cfg).live
            markers.append(opened(event.conversation_sid, live.channel, live.queue, event.occurred_at.timestamp()))
    responses = {
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
    }
    conversations = {
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
    }
    spec = WindowSpec(step=settings.sla.tumbling_window_s, hopping=settings.sla.hopping_window_s, grace=grace_s)
    books: dict[str, WindowBook] = {}
    minutes: dict[str, set[int]] = {}
    for item in [*markers, *(from_fact(f) for f in latest.values())]:
        book = books.setdefault(item.key, WindowBook(item.channel, item.queue, spec, minutes={}))
        minutes.setdefault(item.key, set()).update(book.apply(item))
    windows = {
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
    }
    return responses, conversations, {w for w in windows if _holds_something(w)}


def _holds_something(window: tuple) -> bool:
    """A window row with any count, quantile or late fact. A window emptied again (a fact first counted under a
    provisional queue, then withdrawn) is published with zeros, and equals no row at all."""
    return any(value not in (0, None) for value in window[4:])


def stored_facts(deployment: Deployment) -> Facts:
    with deployment.clickhouse() as ch:
        responses = query_rows(ch, RESPONSE_SQL)
        conversations = query_rows(ch, CONVERSATION_SQL)
        windows = query_rows(ch, WINDOW_SQL)
    return set(responses), set(conversations), {w for w in windows if _holds_something(w)}


def print_differences(expected: Facts, stored: Facts) -> None:
    """What a failed comparison differs in, a few rows of each kind."""
    for name, want, got in zip(("responses", "conversations", "windows"), expected, stored, strict=True):
        print(f"{name}: expected={len(want)} stored={len(got)} missing={len(want - got)} extra={len(got - want)}")
        for row in sorted(want - got, key=str)[:5]:
            print("  missing", row)
        for row in sorted(got - want, key=str)[:5]:
            print("  extra  ", row)
