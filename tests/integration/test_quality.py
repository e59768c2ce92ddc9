"""The data-quality guard on the real broker and the real ClickHouse engine.

1,000 canonical events go straight to the raw topic of an isolated deployment; 2 % of them are valid
``ConversationEvent`` s that are bad data (wrong SID hex, future timestamps, a decreasing index, an over-long
body, an unresolved author role). Every good event must reach ClickHouse ``events``, every bad one
``dlq_events`` with its reason, and ``dq_results`` must count exactly those failures.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer

from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import RoleRules, SimulatorSettings
from cxpulse.simulate import generate_posts
from schemas import topics
from schemas.events import AuthorRole, ConversationEvent, EventType
from schemas.twilio import from_webhook_form
from tests.integration.conftest import Deployment, dump_table, query_rows, wait_for

pytestmark = pytest.mark.integration

_TOTAL = 1000
_BAD_SHARE = 0.02
_STORE_TIMEOUT_S = 180
_LONG_BODY = "thanks for waiting. " * 300


def _simulated(count: int) -> list[ConversationEvent]:
    """Simulator webhooks normalised as the ingest edge would, all safely in the past."""
    start = datetime.now(UTC) - timedelta(hours=3)
    posts = generate_posts(seed=5, settings=SimulatorSettings(), start=start)
    events = [from_webhook_form(p.form, rules=RoleRules()) for p in itertools.islice(posts, count)]
    assert max(e.occurred_at for e in events) < datetime.now(UTC), "simulated events must not be in the future"
    return events


def _index_pair(template: ConversationEvent) -> tuple[ConversationEvent, ConversationEvent]:
    """Two message.added events of a conversation of their own: index 40, then index 5 (arriving late)."""
    conversation = "CH" + "c" * 32
    high = template.model_copy(
        update={"event_id": "index-high", "conversation_sid": conversation, "index": 40, "message_sid": "IM" + "d" * 32}
    )
    low = template.model_copy(
        update={"event_id": "index-low", "conversation_sid": conversation, "index": 5, "message_sid": "IM" + "e" * 32}
    )
    return high, low


def _bad_events(messages: list[ConversationEvent], count: int) -> list[tuple[ConversationEvent, str]]:
    """``count`` valid-but-bad events built from good messages, each with the reason it must be rejected for."""
    makers: list[tuple[str, Callable[[int], dict[str, object]]]] = [
        ("bad_sid", lambda n: {"conversation_sid": f"CH{n:02d}" + "g" * 30}),
        ("future_timestamp", lambda n: {"occurred_at": datetime.now(UTC) + timedelta(days=1)}),
        # Plain words the redaction stage leaves alone (it would turn "lorem lorem ..." into one <PERSON>).
        ("body_too_long", lambda n: {"body": _LONG_BODY}),
        ("author_role_unresolved", lambda n: {"author": None, "author_role": AuthorRole.UNKNOWN}),
    ]
    bad = []
    for n, message in enumerate(itertools.islice(itertools.cycle(messages), count)):
        reason, make = makers[n % len(makers)]
        # A conversation of its own, so that only the intended rule can reject it (copies of an earlier
        # message next to later ones of the same conversation would also be out of index order).
        alone = {"conversation_sid": f"CH{0xBAD00000 + n:032x}"}
        bad.append((message.model_copy(update={"event_id": f"bad-{n}", **alone, **make(n)}), reason))
    return bad


def _produce(deployment: Deployment, events: list[ConversationEvent]) -> None:
    producer = Producer(confluent_config(deployment.settings, "admin", acks="all"))
    name = deployment.settings.topic(topics.RAW)
    for event in events:
        producer.produce(name, key=event.key.encode(), value=event.to_json())
    assert producer.flush(30) == 0


def _count(deployment: Deployment, sql: str) -> int:
    with deployment.clickhouse() as ch:
        return query_rows(ch, sql)[0][0]


@pytest.mark.slow
def test_two_percent_bad_events_are_dead_lettered_with_reasons_and_counted(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    bad_count = int(_TOTAL * _BAD_SHARE)
    simulated = _simulated(_TOTAL - bad_count - 2)
    messages = [e for e in simulated if e.event_type is EventType.MESSAGE_ADDED]
    high, low = _index_pair(messages[0])
    bad = _bad_events(messages[1:], bad_count)
    # A later message before an earlier one, back to back in one micro-batch: arrival order, both valid.
    good = [high, low, *simulated]
    stream = [high, low, *simulated, *(e for e, _ in bad)]
    assert len(stream) == _TOTAL and len({e.event_id for e in stream}) == _TOTAL
    _produce(deployment, stream)
    deployment.worker().start()

    wait_for(
        lambda: (
            _count(deployment, "SELECT count() FROM events FINAL") >= len(good)
            and _count(deployment, "SELECT count() FROM dlq_events FINAL") >= bad_count
        ),
        _STORE_TIMEOUT_S,
        "good events in `events` and bad ones in `dlq_events`",
    )
    # Results are produced with the DLQ records, keyed by suite: each suite's rows reach their own partition and are
    # stored on that partition's schedule, so wait for every suite's, not only the first one's.
    wait_for(
        lambda: (
            _count(
                deployment,
                "SELECT sum(evaluated) FROM dq_results FINAL WHERE suite = 'canonical' AND expectation = 'decodable'",
            )
            >= _TOTAL
            and _count(deployment, "SELECT sum(unexpected_count) FROM dq_results FINAL")
            >= _count(deployment, "SELECT sum(length(failures)) FROM dlq_events FINAL")
        ),
        60,
        "dq_results for every event and every failure",
    )

    with deployment.clickhouse() as ch:
        stored = {r[0] for r in query_rows(ch, "SELECT event_id FROM events FINAL")}
        dead = {r[0]: r[1] for r in query_rows(ch, "SELECT event_id, reason FROM dlq_events FINAL")}
        failures = Counter(f for r in query_rows(ch, "SELECT failures FROM dlq_events FINAL") for f in r[0])
        results = query_rows(
            ch,
            "SELECT suite, expectation, sum(evaluated), sum(unexpected_count) "
            "FROM dq_results FINAL GROUP BY suite, expectation",
        )
        dlq_dump = dump_table(ch, "dlq_events")

    assert stored == {e.event_id for e in good}
    assert dead == {e.event_id: reason for e, reason in bad}
    assert "thanks for waiting" not in dlq_dump, "dlq_events must hold reasons and ids, never text"
    by_check = {(suite, expectation): (evaluated, unexpected) for suite, expectation, evaluated, unexpected in results}
    assert by_check[("canonical", "decodable")] == (_TOTAL, 0)
    assert by_check[("common.v1", "conversation_sid_format")][0] == _TOTAL
    for (suite, expectation), (_, unexpected) in by_check.items():
        listed = sum(n for f, n in failures.items() if f.startswith(f"{suite}/{expectation}:"))
        assert unexpected == listed, (suite, expectation)
    assert sum(u for _, u in by_check.values()) == sum(failures.values()) >= bad_count
