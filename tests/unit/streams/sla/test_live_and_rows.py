"""The live status by the wall clock, service-level arithmetic, and fact JSON → ClickHouse rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cxpulse.settings import SlaSettings
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, ResponseFact
from streams.sla.live import AWAITING, BREACHING, CLOSED, IDLE, IDLE_ABANDONED, live_row, live_status
from streams.sla.metrics import percentile, service_level_pct
from streams.sla.rows import CONVERSATION_COLUMNS, RESPONSE_COLUMNS, conversation_tables, response_tables
from streams.sla.state import derive
from tests.unit.streams.sla.builders import T0, Script, run

CFG = SlaConfig(sla=SlaSettings(default_threshold_s=60, inactivity_abandon_s=600))
START = T0.timestamp()


def view(script: Script):  # noqa: ANN201 - a LiveView
    state, _ = run(script.events, CFG)
    return derive(state, CFG).live


def test_a_waiting_customer_crosses_into_breaching_by_the_clock_alone() -> None:
    live = view(Script().added(0).customer(10).customer(30))
    assert live.awaiting_since == START + 10
    assert live_status(live, START + 70, CFG) == AWAITING  # exactly 60 s: still within
    assert live_status(live, START + 70.5, CFG) == BREACHING
    row = live_row(live, START + 71, CFG)
    assert (row.status, row.breach_at) == (BREACHING, START + 70)


def test_long_silence_while_awaiting_a_first_answer_shows_as_abandoned() -> None:
    live = view(Script().added(0).customer(10))
    assert live_status(live, START + 10 + 599, CFG) == BREACHING
    assert live_status(live, START + 10 + 600, CFG) == IDLE_ABANDONED


def test_answered_bot_served_and_closed_conversations_are_not_awaiting() -> None:
    assert live_status(view(Script().added(0).customer(10).agent(20)), START + 999, CFG) == IDLE
    assert live_status(view(Script().added(0).bot(1).customer(10)), START + 999, CFG) == IDLE
    closed = Script().added(0).customer(10).state(20, "active", "closed")
    assert live_status(view(closed), START + 999, CFG) == CLOSED


def _response(outcome: str, breached: bool, short: bool = False, retracted: bool = False) -> ResponseFact:
    return ResponseFact(
        response_id="r",
        conversation_sid="c",
        channel="sms",
        queue="q",
        outcome=outcome,
        agent="",
        customer_at=0,
        reply_at=1,
        response_s=1,
        threshold_s=60,
        is_first=False,
        breached=breached,
        short_abandon=short,
        segment=0,
        customer_messages=1,
        retracted=retracted,
    )


def test_service_level_counts_answers_and_abandons_past_the_threshold() -> None:
    facts = [
        _response("answered", False),
        _response("answered", False),
        _response("answered", True),
        _response("abandoned", True),
        _response("abandoned", False),  # under the threshold: not counted
        _response("abandoned", True, short=True),
        _response("answered", True, retracted=True),
    ]
    assert service_level_pct(facts) == 50.0  # 2 within ÷ (3 answered + 1 abandoned past the threshold)
    assert service_level_pct([]) is None
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3 and percentile([5, 1, 3, 2, 4], 0.99) == 5


def test_fact_json_becomes_rows_in_column_order() -> None:
    state, published = run(Script().added(0).customer(10).agent(70).state(80, "active", "closed").events, CFG)
    response = next(f for f in published if isinstance(f, ResponseFact))
    conversation = next(f for f in published if isinstance(f, ConversationFact))
    (rows,) = response_tables([json.dumps(response.to_dict()).encode(), b"not json"]).values()
    assert rows.columns == RESPONSE_COLUMNS and len(rows.rows) == 1
    row = dict(zip(RESPONSE_COLUMNS, rows.rows[0], strict=True))
    assert row["customer_at"] == datetime.fromtimestamp(START + 10, UTC)
    assert (row["response_s"], row["breached"], row["is_first"], row["retracted"]) == (60.0, 0, 1, 0)
    (conv_rows,) = conversation_tables([json.dumps(conversation.to_dict()).encode()]).values()
    conv = dict(zip(CONVERSATION_COLUMNS, conv_rows.rows[0], strict=True))
    assert (conv["handle_s"], conv["messages_total"], conv["agents"], conv["version"]) == (
        80.0,
        2,
        ["agent:ann"],
        state.seq,
    )


def test_window_counts_are_not_squashed_into_flags() -> None:
    from streams.sla.rows import WINDOW_COLUMNS, window_tables
    from streams.sla.windows import WindowBook, WindowInput, WindowSpec

    book = WindowBook("chat", "support", WindowSpec(), minutes={})
    for sid in ("a", "b"):
        book.apply(
            WindowInput(
                fact_id=f"{sid}:c",
                version=1,
                kind="conversation",
                channel="chat",
                queue="support",
                ts=START + 5,
                bot_contained=True,
            )
        )
    (row,) = [r for r in book.rows([int(START)]) if r.window == "tumbling"]
    (rows,) = window_tables([json.dumps(row.to_dict()).encode()]).values()
    stored = dict(zip(WINDOW_COLUMNS, rows.rows[0], strict=True))
    assert (stored["bot_contained"], stored["conversations_closed"], stored["bot_containment_pct"]) == (2, 2, 100.0)
