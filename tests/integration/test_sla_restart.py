"""SLA facts and windows survive kill -9 mid-stream: ClickHouse ends up with exactly what the pure model computes
from the same events (which is what an uninterrupted run produces), with no duplicate or missing fact.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cxpulse.simulate import WebhookPost, generate_posts, sign
from schemas.events import ConversationEvent, EventType
from streams.sla.agent import source_topic
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, Fact, ResponseFact
from streams.sla.state import ConversationState, apply, derive
from streams.sla.windows import WindowBook, WindowSpec, from_fact, opened
from streams.topics import Topics
from tests.integration.conftest import Deployment, query_rows, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_EVENTS = 400
_TIMEOUT_S = 180
#: Generous grace: this test is about exactly-once across a crash, not about lateness (tested in unit tests).
_GRACE_S = 3600
_TIMELINE_AGO = timedelta(hours=2)

_RESPONSE_SQL = (
    "SELECT response_id, outcome, agent, toUnixTimestamp64Milli(customer_at), toUnixTimestamp64Milli(reply_at), "
    "response_s, is_first, breached, short_abandon, segment, customer_messages, channel, queue, retracted "
    "FROM responses FINAL"
)
_CONVERSATION_SQL = (
    "SELECT conversation_sid, channel, queue, handle_s, first_response_s, responses, breaches, abandoned_waits, "
    "reopen_count, bot_contained, abandoned, messages_total, round(cost, 6) FROM sla_conversations FINAL"
)
_WINDOW_SQL = (
    "SELECT window, channel, queue, toUnixTimestamp64Milli(window_start), conversations_opened, "
    "conversations_closed, responses, breaches, abandoned, response_p50_s, response_p99_s, service_level_pct, "
    "bot_contained, late_rejected FROM sla_windows FINAL"
)


def _whole_conversations(deployment: Deployment) -> list[WebhookPost]:
    """Every post of the first conversations that close, in the simulator's (interleaved) order."""
    # The whole simulated timeline lies in the past: the data-quality stage rejects future timestamps.
    start = datetime.now(UTC) - _TIMELINE_AGO
    posts = list(itertools.islice(generate_posts(seed=23, settings=deployment.settings.simulator, start=start), 4000))
    closed = [
        p.conversation_sid
        for p in posts
        if p.event_type == "onConversationStateUpdated" and p.form.get("StateTo") == "closed"
    ]
    chosen: set[str] = set()
    for sid in closed:
        if sum(p.conversation_sid in chosen | {sid} for p in posts) > _EVENTS:
            break
        chosen.add(sid)
    return [p for p in posts if p.conversation_sid in chosen]


def _post_all(deployment: Deployment, posts: list[WebhookPost]) -> None:
    token = deployment.settings.twilio_auth_token
    assert token is not None
    with httpx.Client(timeout=10) as client:
        for post in posts:
            headers = sign(post, auth_token=token.get_secret_value(), base_url=deployment.settings.public_url)
            response = client.post(f"{deployment.ingest_url}{post.path}", data=post.form, headers=headers)
            assert response.status_code == 200, response.text


def _source_events(deployment: Deployment) -> list[ConversationEvent]:
    """What the SLA stage consumed: its source topic, whatever the upstream stages let through."""

    class _Names:
        def topic(self, name: str, **_: object) -> str:
            return name

    name = source_topic(Topics.declare(_Names(), deployment.settings))
    return [ConversationEvent.from_json(v) for _, v in deployment.topic_records(name) if v is not None]


def _expected(deployment: Deployment, events: list[ConversationEvent]) -> tuple[set[tuple], set[tuple], set[tuple]]:
    """The pure model over the same events: responses, conversations, windows (what an uninterrupted run stores;
    the unit property tests show the result does not depend on arrival order or duplicates)."""
    settings = deployment.settings.model_copy(
        update={"sla": deployment.settings.sla.model_copy(update={"window_grace_s": _GRACE_S})}
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
    spec = WindowSpec(step=settings.sla.tumbling_window_s, hopping=settings.sla.hopping_window_s, grace=_GRACE_S)
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
    return responses, conversations, windows


def _stored(deployment: Deployment) -> tuple[set[tuple], set[tuple], set[tuple]]:
    with deployment.clickhouse() as ch:
        responses = query_rows(ch, _RESPONSE_SQL)
        conversations = query_rows(ch, _CONVERSATION_SQL)
        windows = query_rows(ch, _WINDOW_SQL)
    return set(responses), set(conversations), set(windows)


def test_sla_facts_and_windows_are_exact_across_a_kill_and_restart(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    deployment.env["CXPULSE_SLA__ENABLED"] = "1"
    deployment.env["CXPULSE_SLA__WINDOW_GRACE_S"] = str(_GRACE_S)
    posts = _whole_conversations(deployment)
    sent = {p.idempotency_token for p in posts}
    worker = deployment.worker().start()
    half = len(posts) // 2
    _post_all(deployment, posts[:half])
    wait_for(lambda: bool(_stored(deployment)[0]), _TIMEOUT_S, "the first response facts in ClickHouse")
    worker.kill()  # mid-stream: facts, windows and table changelogs are partly written

    deployment.worker().start()
    _post_all(deployment, posts[half:])

    expected: tuple[set[tuple], set[tuple], set[tuple]] = (set(), set(), set())

    def converged() -> bool:
        nonlocal expected
        # Every sent event reached the SLA source; then the facts and windows must converge to the model (or
        # the test times out and prints what differs). Convergence is judged on the data, not on the group's
        # committed offsets: after a kill -9 faust was seen to stop committing one partition while it kept
        # processing it, which would hide a correct result.
        events = _source_events(deployment)
        if not {e.event_id for e in events} >= sent:
            return False
        expected = _expected(deployment, events)
        return _stored(deployment) == expected

    try:
        wait_for(converged, _TIMEOUT_S, "ClickHouse to hold exactly the expected SLA facts and windows")
    finally:
        stored = _stored(deployment)
        reached = {e.event_id for e in _source_events(deployment)} & sent
        print(f"events sent={len(sent)} reached the sla source={len(reached)}")
        for worker in deployment.workers:
            for line in worker.log_text().splitlines():
                if "skipped offsets" in line:
                    print(f"{worker.log_path.name}: {line}")
        for name, want, got in zip(("responses", "conversations", "windows"), expected, stored, strict=True):
            print(f"{name}: expected={len(want)} stored={len(got)} missing={len(want - got)} extra={len(got - want)}")
            for row in sorted(want - got, key=str)[:5]:
                print("  missing", row)
            for row in sorted(got - want, key=str)[:5]:
                print("  extra  ", row)
    assert expected[0] and expected[1] and expected[2], "the traffic must produce every kind of fact"
    assert all(row[-1] == 0 for row in stored[2]), "no window may have rejected a late fact here"
