"""Exact SLA results on the real stack: what ClickHouse holds vs the pure model over the same events.

Shared by the integration tests that must end with every SLA fact and window exact (a kill and restart,
shuffled concurrent delivery). The comparison itself is ``bench/sla_reference.py`` (``bench/chaos.py`` uses it
too); this module adds the traffic and the deployment plumbing of the tests.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx

from bench.sla_reference import expected_sla, stored_sla
from cxpulse.simulate import WebhookPost, generate_posts, sign
from schemas.events import ConversationEvent
from streams.sla.agent import source_topic
from streams.topics import Topics
from tests.integration.conftest import Deployment

#: (responses, conversations, windows) as comparable row sets.
Facts = tuple[set[tuple], set[tuple], set[tuple]]


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
    """The pure model over ``events`` (what an uninterrupted run stores; arrival order and duplicates do not
    matter: the unit property tests)."""
    rows = expected_sla(deployment.settings, events, grace_s=grace_s)
    return set(rows.responses), set(rows.conversations), set(rows.windows)


def stored_facts(deployment: Deployment) -> Facts:
    with deployment.clickhouse() as ch:
        rows = stored_sla(ch)
    return set(rows.responses), set(rows.conversations), set(rows.windows)


def print_differences(expected: Facts, stored: Facts) -> None:
    """What a failed comparison differs in, a few rows of each kind."""
    for name, want, got in zip(("responses", "conversations", "windows"), expected, stored, strict=True):
        print(f"{name}: expected={len(want)} stored={len(got)} missing={len(want - got)} extra={len(got - want)}")
        for row in sorted(want - got, key=str)[:5]:
            print("  missing", row)
        for row in sorted(got - want, key=str)[:5]:
            print("  extra  ", row)
