"""Order is not validity: Twilio posts webhooks concurrently and Event Streams delivers unordered and at least
once, so the same conversations delivered in order, one by one, and shuffled, all at once and partly twice, must
end in identical ``messages``, ``conversations``, SLA facts and windows, with nothing in the dead-letter topic.

Each delivery runs in a deployment of its own on the real broker and ClickHouse engine, SLA stage on.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable

import httpx
import pytest

from cxpulse.simulate import WebhookPost, sign
from schemas import topics
from tests.integration.conftest import Deployment, query_rows, wait_for
from tests.integration.sla_exact import (
    Facts,
    expected_facts,
    post_all,
    print_differences,
    source_events,
    stored_facts,
    whole_conversations,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_TIMEOUT_S = 240
_GRACE_S = 3600
#: Twilio retries a webhook it got no timely answer for: this share of posts is delivered twice.
_REDELIVERED = 0.1
#: Conversations posted at once, each with all of its events in flight together.
_CONCURRENT_CONVERSATIONS = 8

_MESSAGES_SQL = (
    "SELECT message_sid, conversation_sid, channel, queue, message_index, author, author_role, body, media_count, "
    "toUnixTimestamp64Milli(sent_at), toUnixTimestamp64Milli(updated_at), is_removed, last_event_id, version "
    "FROM messages FINAL"
)
_CONVERSATIONS_SQL = (
    "SELECT conversation_sid, channel, queue, state, toUnixTimestamp64Milli(created_at), "
    "toUnixTimestamp64Milli(updated_at), is_removed, attributes, last_event_id, version FROM conversations FINAL"
)


async def _post_shuffled(deployment: Deployment, posts: list[WebhookPost], seed: int) -> int:
    """Every conversation's posts at once in a random order, a few conversations at a time, some twice.
    Returns how many posts were sent in all."""
    rng = random.Random(seed)
    by_conversation: dict[str, list[WebhookPost]] = defaultdict(list)
    for post in posts:
        by_conversation[post.conversation_sid].append(post)
        if rng.random() < _REDELIVERED:
            by_conversation[post.conversation_sid].append(post)
    token = deployment.settings.twilio_auth_token
    assert token is not None
    gate = asyncio.Semaphore(_CONCURRENT_CONVERSATIONS)

    async def deliver(client: httpx.AsyncClient, batch: list[WebhookPost]) -> None:
        rng.shuffle(batch)
        async with gate:
            answers = await asyncio.gather(*(send(client, post) for post in batch))
        assert all(status == 200 for status in answers), answers

    async def send(client: httpx.AsyncClient, post: WebhookPost) -> int:
        headers = sign(post, auth_token=token.get_secret_value(), base_url=deployment.settings.public_url)
        response = await client.post(f"{deployment.ingest_url}{post.path}", data=post.form, headers=headers)
        return response.status_code

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(deliver(client, batch) for batch in by_conversation.values()))
    return sum(len(batch) for batch in by_conversation.values())


def _tables(deployment: Deployment) -> tuple[set[tuple], set[tuple]]:
    with deployment.clickhouse() as ch:
        return set(query_rows(ch, _MESSAGES_SQL)), set(query_rows(ch, _CONVERSATIONS_SQL))


def _wait_exact(deployment: Deployment, sent: set[str]) -> Facts:
    """Wait until every sent event reached the SLA stage and ClickHouse holds exactly the model's facts."""
    expected: Facts = (set(), set(), set())

    def converged() -> bool:
        nonlocal expected
        events = source_events(deployment)
        if not {e.event_id for e in events} >= sent:
            return False
        expected = expected_facts(deployment, events, grace_s=_GRACE_S)
        return stored_facts(deployment) == expected

    try:
        wait_for(converged, _TIMEOUT_S, "ClickHouse to hold exactly the expected SLA facts and windows", poll=2)
    finally:
        print_differences(expected, stored_facts(deployment))
    return expected


def _live(facts: Facts) -> Facts:
    """Facts as a dashboard reads them: a response fact later retracted (a shuffled reply first seen answering
    an earlier run) is history of the delivery, not a result."""
    responses, conversations, windows = facts
    return {r for r in responses if r[-1] == 0}, conversations, windows


def test_shuffled_concurrent_redelivered_traffic_stores_what_in_order_traffic_stores(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployments = []
    for _ in range(2):
        deployment = make_deployment()
        deployment.env["CXPULSE_SLA__ENABLED"] = "1"
        deployment.env["CXPULSE_SLA__WINDOW_GRACE_S"] = str(_GRACE_S)
        deployments.append(deployment)
    in_order, shuffled = deployments
    posts = whole_conversations(in_order, seed=31, max_events=600)
    sent = {p.event_id for p in posts}  # natural keys: what ingest names the events
    conversations = len({p.conversation_sid for p in posts})

    in_order.worker().start()
    post_all(in_order, posts)
    ordered_facts = _wait_exact(in_order, sent)

    shuffled.worker().start()
    delivered = asyncio.run(_post_shuffled(shuffled, posts, seed=5))
    shuffled_facts = _wait_exact(shuffled, sent)
    print(f"conversations={conversations} events={len(sent)} shuffled posts={delivered} (redeliveries included)")

    assert delivered > len(sent), "some posts must have been delivered twice"
    assert ordered_facts[0] and ordered_facts[1] and ordered_facts[2], "the traffic must produce every kind of fact"
    assert _live(shuffled_facts) == _live(ordered_facts)
    assert all(row[-1] == 0 for row in shuffled_facts[2]), "no window rejected a fact as late"
    ordered_tables, shuffled_tables = _tables(in_order), _tables(shuffled)
    assert shuffled_tables == ordered_tables
    assert len(ordered_tables[0]) == len({p.form["MessageSid"] for p in posts if "MessageSid" in p.form})
    for deployment in deployments:
        assert deployment.end_offsets(topics.DLQ) == 0, "order is not a reason to dead-letter anything"
        with deployment.clickhouse() as ch:
            assert query_rows(ch, "SELECT count() FROM dlq_events")[0][0] == 0
