"""The SLA migration 0006 on the real ClickHouse engine: window gauge columns, and the "same customer returns"
reopen view over hand-written rows (expectations computed by hand)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import AuthorRole, ConversationEvent, EventType
from sinks.rows import EVENT_COLUMNS, event_row
from streams.sla.rows import WINDOW_COLUMNS, window_tables
from streams.sla.windows import WindowBook, WindowInput, WindowSpec, opened
from tests.integration.conftest import Deployment, query_rows

pytestmark = pytest.mark.integration

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def _event(sid: str, author: str, at: datetime, n: int) -> list[object]:
    """A customer message as the core sink stores it (same row builder, same columns)."""
    event = ConversationEvent(
        event_id=f"{sid}-{n}",
        event_type=EventType.MESSAGE_ADDED,
        account_sid="AC" + "0" * 32,
        conversation_sid=sid,
        message_sid=f"IM{n:032x}",
        index=n,
        author=author,
        author_role=AuthorRole.CUSTOMER,
        channel="sms",
        queue="billing",
        occurred_at=at,
        received_at=at,
        redacted=True,
    )
    return event_row(event)


def _closed(sid: str, created: datetime, closed: datetime) -> list[object]:
    return [
        sid,
        "sms",
        "billing",
        created,
        closed,
        (closed - created).total_seconds(),
        None,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
        0.0,
        [],
        1,
    ]


def test_customer_returns_within_the_window_are_reopens(make_deployment: Callable[[], Deployment]) -> None:
    from streams.sla.rows import CONVERSATION_COLUMNS

    deployment = make_deployment()
    hour = timedelta(hours=1)
    with deployment.clickhouse() as ch:
        ch.insert(
            "events",
            [
                _event("CH1", "cust:a", T0, 0),  # a: first contact, closed at T0+1h
                _event("CH2", "cust:a", T0 + 3 * hour, 1),  # a returns 2 h after the close: a reopen within 24 h
                _event("CH3", "cust:b", T0, 2),  # b: closed at T0+1h
                _event("CH4", "cust:b", T0 + 30 * hour, 3),  # b returns 29 h later: not within 24 h
                _event("CH5", "cust:c", T0, 4),  # c: one conversation only
            ],
            column_names=list(EVENT_COLUMNS),
        )
        ch.insert(
            "sla_conversations",
            [_closed(s, T0, T0 + hour) for s in ("CH1", "CH3", "CH5")],
            column_names=list(CONVERSATION_COLUMNS),
        )
        day = query_rows(
            ch,
            "SELECT conversation_sid, previous_sid, gap_s FROM sla_customer_returns(within_s = 86400)"
            " ORDER BY conversation_sid",
        )
        week = query_rows(
            ch, "SELECT conversation_sid FROM sla_customer_returns(within_s = 604800) ORDER BY conversation_sid"
        )
    assert day == [("CH2", "CH1", 7200.0)]
    assert week == [("CH2",), ("CH4",)]


def test_window_gauge_columns_are_stored(make_deployment: Callable[[], Deployment]) -> None:
    deployment = make_deployment()
    start = int(T0.timestamp()) // 60 * 60
    book = WindowBook("sms", "billing", WindowSpec(), minutes={})
    book.apply(opened("c1", "sms", "billing", start + 1))
    book.apply(WindowInput(fact_id="c1:w", version=2, kind="wait", channel="sms", queue="billing", ts=start + 15))
    (row,) = [r for r in book.rows([start]) if r.window == "tumbling"]
    (rows,) = window_tables([json.dumps(row.to_dict()).encode()]).values()
    with deployment.clickhouse() as ch:
        ch.insert("sla_windows", rows.rows, column_names=list(WINDOW_COLUMNS))
        stored = query_rows(ch, "SELECT active, awaiting, oldest_wait_s FROM sla_windows FINAL")
    assert stored == [(1, 1, 45.0)]
