"""The SLA rollups (``schemas/clickhouse/0005_sla_rollups.sql``) on the real ClickHouse engine.

The facts are written the way the SLA sink writes them (fact → JSON → ``streams.sla.rows`` row builder → one
insert per batch with a dedup token), including what at-least-once delivery and late events produce: the same
fact version twice in different batches, an old version arriving after its successor, a fact moving to
another hour or day in a later version, a retraction, and a whole batch retried. Every data-team view is
checked against numbers computed by hand, and the unpacked rollups against an exact ``FINAL`` query.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cxpulse.settings import Settings
from sinks.clickhouse import Client, make_client
from sinks.migrate import apply_migrations
from sinks.writer import dedup_token
from streams.sla.facts import ConversationFact, Fact, ResponseFact
from streams.sla.rows import conversation_tables, response_tables
from tests.integration.conftest import query_rows

pytestmark = pytest.mark.integration

THRESHOLD_S = 60.0
#: Day D starts two days ago at midnight UTC: inside the retention TTL, and day D + 1 is in the past too.
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
B = DAY.timestamp()
HOUR = 3600.0
#: The range every view is read over: all of the test's facts.
RANGE = {"start": DAY.replace(tzinfo=None), "end": (DAY + timedelta(days=3)).replace(tzinfo=None)}


@contextmanager
def fresh_database(settings: Settings) -> Iterator[Client]:
    """A new database with every migration applied (as ``cxpulse migrate`` does); dropped afterwards."""
    database = f"t_rollup_{secrets.token_hex(4)}"
    apply_migrations(settings, database=database)
    client = make_client(settings.clickhouse, database=database)
    try:
        yield client
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")
        client.close()


def answered(
    rid: str,
    sid: str,
    agent: str,
    customer: float,
    reply: float,
    *,
    first: bool,
    version: int,
    channel: str = "sms",
    queue: str = "billing",
) -> ResponseFact:
    wait = reply - customer
    return ResponseFact(
        response_id=rid,
        conversation_sid=sid,
        channel=channel,
        queue=queue,
        outcome="answered",
        agent=agent,
        customer_at=B + customer,
        reply_at=B + reply,
        response_s=wait,
        threshold_s=THRESHOLD_S,
        is_first=first,
        breached=wait > THRESHOLD_S,
        short_abandon=False,
        segment=0,
        customer_messages=1,
        version=version,
    )


def abandoned(rid: str, sid: str, customer: float, ended: float, *, short: bool, version: int) -> ResponseFact:
    wait = ended - customer
    return ResponseFact(
        response_id=rid,
        conversation_sid=sid,
        channel="sms",
        queue="billing",
        outcome="abandoned",
        agent="",
        customer_at=B + customer,
        reply_at=B + ended,
        response_s=wait,
        threshold_s=THRESHOLD_S,
        is_first=False,
        breached=wait > THRESHOLD_S,
        short_abandon=short,
        segment=0,
        customer_messages=1,
        version=version,
    )


def retraction(rid: str, sid: str, latest: float, version: int) -> ResponseFact:
    """As ``streams.sla.state._retraction`` publishes it: dated at the conversation's latest event."""
    return ResponseFact(
        response_id=rid,
        conversation_sid=sid,
        channel="sms",
        queue="billing",
        outcome="",
        agent="",
        customer_at=B + latest,
        reply_at=B + latest,
        response_s=0.0,
        threshold_s=THRESHOLD_S,
        is_first=False,
        breached=False,
        short_abandon=False,
        segment=0,
        customer_messages=0,
        retracted=True,
        version=version,
    )


def closed(
    sid: str,
    channel: str,
    queue: str,
    *,
    created: float,
    closed_at: float,
    first: float | None,
    cost: float,
    messages: int,
    version: int,
    abandoned: bool = False,
    bot: bool = False,
    reopens: int = 0,
) -> ConversationFact:
    return ConversationFact(
        conversation_sid=sid,
        channel=channel,
        queue=queue,
        created_at=B + created,
        closed_at=B + closed_at,
        handle_s=closed_at - created,
        first_response_s=first,
        responses=0,
        breaches=0,
        abandoned_waits=0,
        short_abandons=0,
        unanswered_at_close=0,
        reopen_count=reopens,
        bot_contained=bot,
        abandoned=abandoned,
        messages_customer=messages,
        messages_agent=0,
        messages_bot=0,
        messages_other=0,
        cost=cost,
        version=version,
    )


def insert(ch: Client, facts: Sequence[Fact]) -> None:
    """One sink batch: the real row builders and a dedup token, as ``sinks.writer.BatchWriter.write`` does (the
    same batch again carries the same token and is dropped by ClickHouse, views included)."""
    values = [json.dumps(f.to_dict()).encode() for f in facts]
    builder = conversation_tables if isinstance(facts[0], ConversationFact) else response_tables
    for table, batch in builder(values).items():
        key = dedup_token(f"{f.fact_id}:{f.version}:{i}" for i, f in enumerate(facts))
        ch.insert(table, batch.rows, column_names=list(batch.columns), settings={"insert_deduplication_token": key})


# The hand-computed scenario (times in seconds after midnight of day D; threshold 60 s).
R1 = answered("c1:r:1", "c1", "a1", 100, 130, first=True, version=3)
R2 = answered("c1:r:2", "c1", "a1", 400, 490, first=False, version=5)
R3_V2 = answered("c2:r:1", "c2", "a2", 200, 245, first=True, version=2)
R3_V6 = answered("c2:r:1", "c2", "a2", 150, 245, first=True, version=6)  # a late, earlier customer message
R4 = abandoned("c3:a:1", "c3", 300, 400, short=False, version=4)
R5 = abandoned("c4:a:1", "c4", 500, 503, short=True, version=2)
R6 = answered("c5:r:1", "c5", "a1", HOUR + 60, HOUR + 80, first=True, version=2, channel="chat", queue="support")
R7_V2 = answered("c6:r:1", "c6", "a2", 3610, 3640, first=True, version=2)  # hour 1 ...
R7_V3 = answered("c6:r:1", "c6", "a2", 3590, 3640, first=True, version=3)  # ... moves to hour 0
R8_V2 = answered("c7:r:2", "c7", "a2", 900, 1000, first=True, version=2)
R8_GONE = retraction("c7:r:2", "c7", 1000, version=3)  # a late, earlier agent reply answers the run ...
R9 = answered("c7:r:1", "c7", "a1", 900, 950, first=True, version=3)  # ... here

RESPONSE_BATCHES: list[list[Fact]] = [
    [R1, R2, R3_V2, R7_V2],
    [R4, R1, R8_V2],  # R1 again, in another batch
    [R3_V6, R5, R6, R7_V3],
    [R8_GONE, R9, R3_V2],  # R3's old version after its successor
    [R8_V2, R1],  # the retracted fact's old version again
]

K1 = closed("c1", "sms", "billing", created=100, closed_at=1000, first=30, cost=0.05, messages=10, version=8)
K2 = closed(
    "c3", "sms", "billing", created=0, closed_at=400, first=None, cost=0.02, messages=4, version=5, abandoned=True
)
K3 = closed(
    "c8", "chat", "support", created=500, closed_at=620, first=None, cost=0.006, messages=6, version=4, bot=True
)
K4_V5 = closed("c5", "chat", "support", created=3600, closed_at=3800, first=20, cost=0.004, messages=4, version=5)
K4_V9 = closed(
    "c5",
    "chat",
    "support",
    created=3600,
    closed_at=24 * HOUR + 300,
    first=20,
    cost=0.008,
    messages=8,
    version=9,
    reopens=1,
)  # reopened and closed again the next day

CONVERSATION_BATCHES: list[list[Fact]] = [[K1, K2, K4_V5], [K3, K1], [K4_V9], [K4_V5, K1]]


@pytest.fixture(scope="module")
def scenario(stack_settings: Settings) -> Iterator[Client]:
    """The scenario written once; the tests below only read it."""
    with fresh_database(stack_settings) as ch:
        for batch in RESPONSE_BATCHES:
            insert(ch, batch)
        insert(ch, RESPONSE_BATCHES[2])  # a retried batch: same token, dropped by ClickHouse as a whole
        for batch in CONVERSATION_BATCHES:
            insert(ch, batch)
        yield ch


def test_service_level_by_queue_hour(scenario: Client) -> None:
    rows = query_rows(
        scenario,
        """
        SELECT hour, channel, queue, responses, within_threshold, breaches, abandoned, abandoned_past_threshold,
               short_abandons, first_responses, response_p50_s, response_p90_s, response_p99_s, service_level_pct
        FROM sla_service_level_by_queue_hour(start = {start:DateTime}, end = {end:DateTime})
        ORDER BY hour, channel""",
        **RANGE,
    )
    hour0, hour1 = DAY.replace(tzinfo=None), (DAY + timedelta(hours=1)).replace(tzinfo=None)
    # Hour 0, sms/billing: answered R1 30 s, R2 90 s (breach), R3 v6 95 s (breach), R7 v3 50 s, R9 50 s;
    # R4 abandoned after 100 s, R5 a short abandon; R8 retracted. SL = 3 within / (5 answered + 1 abandoned).
    # Nearest-rank over 30, 50, 50, 90, 95: p50 = 3rd, p90 = p99 = 5th. Hour 1 sms/billing is empty: R7 left it.
    assert [(h.replace(tzinfo=None), *rest) for h, *rest in rows] == [
        (hour0, "sms", "billing", 5, 3, 2, 1, 1, 1, 4, 50.0, 95.0, 95.0, 50.0),
        (hour1, "chat", "support", 1, 1, 0, 0, 0, 0, 1, 20.0, 20.0, 20.0, 100.0),
    ]
    # The 0003 view reads responses FINAL directly: its counts and service level agree.
    reference = query_rows(
        scenario,
        """
        SELECT hour, channel, queue, responses, within_threshold, breaches, abandoned, abandoned_past_threshold,
               first_responses, service_level_pct
        FROM sla_service_level_hourly ORDER BY hour, channel""",
    )
    assert reference == [(*r[:8], r[9], r[13]) for r in rows]


def test_first_response_by_channel_day(scenario: Client) -> None:
    rows = query_rows(
        scenario,
        """
        SELECT day, channel, first_responses, breaches, first_response_p50_s, first_response_p90_s,
               first_response_avg_s
        FROM sla_first_response_by_channel_day(start = {start:DateTime}, end = {end:DateTime})
        ORDER BY day, channel""",
        **RANGE,
    )
    # sms: R1 30, R3 95 (breach), R7 50, R9 50 → sorted 30, 50, 50, 95; chat: R6 20.
    assert rows == [
        (DAY.date(), "chat", 1, 0, 20.0, 20.0, 20.0),
        (DAY.date(), "sms", 4, 1, 50.0, 95.0, 56.25),
    ]


def test_agent_hourly(scenario: Client) -> None:
    rows = query_rows(
        scenario,
        """
        SELECT reply_hour, agent, channel, queue, responses, conversations, responses_per_conversation,
               first_responses, breaches, response_p50_s, response_p90_s
        FROM sla_agent_hourly(start = {start:DateTime}, end = {end:DateTime})
        ORDER BY reply_hour, agent, channel""",
        **RANGE,
    )
    hour0, hour1 = DAY.replace(tzinfo=None), (DAY + timedelta(hours=1)).replace(tzinfo=None)
    # a1 in hour 0: R1, R2 (c1) and R9 (c7). a2: R3 in hour 0; R7 replied in hour 1 (its customer hour is 0);
    # R8 (a2) is retracted.
    assert [(h.replace(tzinfo=None), *rest) for h, *rest in rows] == [
        (hour0, "a1", "sms", "billing", 3, 2, 1.5, 2, 1, 50.0, 90.0),
        (hour0, "a2", "sms", "billing", 1, 1, 1.0, 1, 1, 95.0, 95.0),
        (hour1, "a1", "chat", "support", 1, 1, 1.0, 1, 0, 20.0, 20.0),
        (hour1, "a2", "sms", "billing", 1, 1, 1.0, 1, 0, 50.0, 50.0),
    ]


def test_abandonment_and_bot_containment_by_day(scenario: Client) -> None:
    rows = query_rows(
        scenario,
        """
        SELECT day, channel, queue, conversations, abandoned, abandonment_pct, bot_contained, bot_containment_pct,
               reopened, reopens
        FROM sla_abandonment_by_day(start = {start:DateTime}, end = {end:DateTime})
        ORDER BY day, channel""",
        **RANGE,
    )
    # c5 was closed on day D (v5), then reopened and closed on D + 1 (v9): it counts once, on D + 1.
    next_day = (DAY + timedelta(days=1)).date()
    assert rows == [
        (DAY.date(), "chat", "support", 1, 0, 0.0, 1, 100.0, 0, 0),
        (DAY.date(), "sms", "billing", 2, 1, 50.0, 0, 0.0, 0, 0),
        (next_day, "chat", "support", 1, 0, 0.0, 0, 0.0, 1, 1),
    ]


def test_cost_by_channel_day(scenario: Client) -> None:
    rows = query_rows(
        scenario,
        """
        SELECT day, channel, threads, messages, total_cost, cost_per_thread, messages_per_thread, handle_avg_s
        FROM sla_cost_by_channel_day(start = {start:DateTime}, end = {end:DateTime})
        ORDER BY day, channel""",
        **RANGE,
    )
    next_day = (DAY + timedelta(days=1)).date()
    assert rows == [
        (DAY.date(), "chat", 1, 6, 0.006, 0.006, 6.0, 120.0),
        (DAY.date(), "sms", 2, 14, 0.07, 0.035, 7.0, 650.0),
        (next_day, "chat", 1, 8, 0.008, 0.008, 8.0, 24 * HOUR + 300 - 3600),
    ]


_RESPONSE_FACTS = """
    SELECT hour, channel, queue, agent, conversation_sid, round(response_s, 3), reply_at, is_answered, is_abandoned,
           is_breached, is_short_abandon, is_first
    FROM sla_response_facts(start = {start:DateTime}, end = {end:DateTime}) ORDER BY ALL"""
_RESPONSE_FINAL = """
    SELECT toStartOfHour(customer_at), channel, queue, agent, conversation_sid, round(response_s, 3), reply_at,
           outcome = 'answered', outcome = 'abandoned', breached, short_abandon, is_first
    FROM responses FINAL WHERE retracted = 0 ORDER BY ALL"""
_CONVERSATION_FACTS = """
    SELECT day, channel, queue, conversation_sid, round(handle_s, 3), first_response_s, reopen_count,
           is_bot_contained, is_abandoned, round(cost, 6), messages_total
    FROM sla_conversation_facts(start = {start:DateTime}, end = {end:DateTime}) ORDER BY ALL"""
_CONVERSATION_FINAL = """
    SELECT toDate(closed_at), channel, queue, conversation_sid, round(handle_s, 3), first_response_s, reopen_count,
           bot_contained, abandoned, round(cost, 6), messages_total
    FROM sla_conversations FINAL ORDER BY ALL"""


def test_unpacked_rollups_equal_final(scenario: Client) -> None:
    responses = query_rows(scenario, _RESPONSE_FACTS, **RANGE)
    assert len(responses) == 8  # R1-R7 and R9
    assert responses == query_rows(scenario, _RESPONSE_FINAL)
    conversations = query_rows(scenario, _CONVERSATION_FACTS, **RANGE)
    assert len(conversations) == 4
    assert conversations == query_rows(scenario, _CONVERSATION_FINAL)


def _random_history(rng: random.Random, facts: int) -> list[Fact]:
    """Every version each fact went through, as the SLA stage would publish them over time: response facts
    changing hour, queue, agent, wait and outcome, sometimes retracted and sometimes back after that; and
    conversation facts closed again later (another day, more messages, a reopen)."""
    published: list[Fact] = []
    for n in range(facts):
        sid, rid = f"c{n // 3}", f"c{n // 3}:r:{n}"
        version = rng.randint(1, 5)
        for _ in range(rng.randint(1, 4)):
            customer = rng.uniform(0, 30 * HOUR)
            if published and published[-1].fact_id == rid and rng.random() < 0.2:
                published.append(retraction(rid, sid, customer, version))
            elif rng.random() < 0.8:
                fact = answered(
                    rid,
                    sid,
                    rng.choice(["a1", "a2", "a3"]),
                    customer,
                    customer + rng.uniform(1, 120),
                    first=rng.random() < 0.5,
                    version=version,
                )
                published.append(replace(fact, queue=rng.choice(["billing", "support"])))
            else:
                published.append(
                    abandoned(
                        rid, sid, customer, customer + rng.uniform(1, 120), short=rng.random() < 0.3, version=version
                    )
                )
            version += rng.randint(1, 3)
        if n % 3 == 2:
            for _ in range(rng.randint(1, 3)):
                version += rng.randint(1, 3)
                start = rng.uniform(0, 20 * HOUR)
                published.append(
                    closed(
                        sid,
                        rng.choice(["sms", "chat"]),
                        "billing",
                        created=start,
                        closed_at=start + rng.uniform(60, 10 * HOUR),
                        first=rng.choice([None, 30.0]),
                        cost=round(rng.uniform(0, 1), 4),
                        messages=rng.randint(1, 40),
                        version=version,
                        abandoned=rng.random() < 0.3,
                        bot=rng.random() < 0.3,
                        reopens=rng.randint(0, 2),
                    )
                )
    return published


@pytest.mark.parametrize("seed", [20261125, 7, 99])
def test_random_redeliveries_keep_the_rollups_exact(stack_settings: Settings, seed: int) -> None:
    """Each published version is delivered 1-3 times; copies land in later batches, so old versions arrive
    after new ones. Whatever the order, the unpacked rollups equal FINAL."""
    rng = random.Random(seed)
    published = _random_history(rng, facts=150)
    deliveries: list[Fact] = []
    for index, fact in enumerate(published):
        deliveries.append(fact)
        for _ in range(rng.randint(0, 2)):
            # A redelivery of something already sent, placed a little later in the stream.
            deliveries.append(published[rng.randint(max(0, index - 10), index)])
    with fresh_database(stack_settings) as ch:
        for kind in (ResponseFact, ConversationFact):
            stream = [f for f in deliveries if isinstance(f, kind)]
            start = 0
            while start < len(stream):
                size = rng.randint(1, 25)
                insert(ch, stream[start : start + size])
                start += size

        final = query_rows(ch, _RESPONSE_FINAL)
        assert len(final) > 50  # the history left a real mix of live facts
        assert query_rows(ch, _RESPONSE_FACTS, **RANGE) == final
        conversations = query_rows(ch, _CONVERSATION_FINAL)
        assert len(conversations) == 50
        assert query_rows(ch, _CONVERSATION_FACTS, **RANGE) == conversations
    # The input really is hostile: a rollup counting every inserted row would be far off.
    versions = {(f.fact_id, f.version) for f in published}
    assert len(deliveries) > len(versions) > len({f.fact_id for f in published})
    assert any(isinstance(f, ResponseFact) and f.retracted for f in published)


_ROLLUP_OBJECTS = (
    "VIEW sla_cost_by_channel_day",
    "VIEW sla_agent_hourly",
    "VIEW sla_abandonment_by_day",
    "VIEW sla_first_response_by_channel_day",
    "VIEW sla_service_level_by_queue_hour",
    "VIEW sla_conversation_facts",
    "VIEW sla_response_facts",
    "VIEW sla_conversation_versions_mv",
    "VIEW sla_conversation_fact_versions_mv",
    "VIEW sla_response_versions_mv",
    "VIEW sla_response_fact_versions_mv",
    "TABLE sla_conversation_versions",
    "TABLE sla_conversation_fact_versions",
    "TABLE sla_response_versions",
    "TABLE sla_response_fact_versions",
)


def test_migration_backfills_facts_stored_before_it(stack_settings: Settings) -> None:
    """A deployment that stored facts before 0005 existed: applying it fills the rollups from the base tables,
    and facts arriving afterwards (new versions of old facts among them) keep them exact."""
    with fresh_database(stack_settings) as ch:
        for statement in _ROLLUP_OBJECTS:
            ch.command(f"DROP {statement}")
        ch.command("DELETE FROM schema_migrations WHERE version = '0005'")
        for batch in RESPONSE_BATCHES[:3]:
            insert(ch, batch)
        for batch in CONVERSATION_BATCHES[:2]:
            insert(ch, batch)

        database = ch.query("SELECT currentDatabase()").result_rows[0][0]
        assert apply_migrations(stack_settings, database=database) == ["0005_sla_rollups.sql"]
        for batch in RESPONSE_BATCHES[3:]:
            insert(ch, batch)
        for batch in CONVERSATION_BATCHES[2:]:
            insert(ch, batch)

        assert query_rows(ch, _RESPONSE_FACTS, **RANGE) == query_rows(ch, _RESPONSE_FINAL)
        assert query_rows(ch, _CONVERSATION_FACTS, **RANGE) == query_rows(ch, _CONVERSATION_FINAL)
        assert len(query_rows(ch, _RESPONSE_FINAL)) == 8
