"""The live timer's index: only changed or clock-due conversations are evaluated, breaches appear with no
event, a tick is capped, closed conversations are scheduled for eviction."""

from __future__ import annotations

from cxpulse.settings import SlaSettings
from streams.sla.board import LiveBoard
from streams.sla.config import SlaConfig
from streams.sla.live import AWAITING, BREACHING, CLOSED, IDLE, IDLE_ABANDONED
from streams.sla.state import derive
from tests.unit.streams.sla.builders import T0, Script, run

CFG = SlaConfig(
    sla=SlaSettings(default_threshold_s=60, inactivity_abandon_s=600, evict_closed_after_s=3600, live_max_per_tick=2)
)
START = T0.timestamp()


def view(script: Script):  # noqa: ANN201 - a LiveView
    return derive(run(script.events, CFG)[0], CFG).live


def statuses(board: LiveBoard, now: float) -> dict[str, str]:
    rows = board.due(now, limit=100)
    board.mark(rows)
    return {r.conversation_sid: r.status for r in rows}


def test_a_breach_and_an_idle_abandonment_are_published_by_the_clock_alone() -> None:
    board = LiveBoard(CFG)
    board.update(view(Script(sid="CHa").added(0).customer(10)), partition=0)
    assert statuses(board, START + 11) == {"CHa": AWAITING}
    assert statuses(board, START + 30) == {}  # nothing changed, nothing due
    assert statuses(board, START + 70) == {}  # exactly the threshold: still within
    assert statuses(board, START + 70.01) == {"CHa": BREACHING}
    assert statuses(board, START + 300) == {}
    assert statuses(board, START + 610) == {"CHa": IDLE_ABANDONED}


def test_a_tick_looks_only_at_dirty_and_due_conversations() -> None:
    board = LiveBoard(CFG)
    for n in range(5):
        board.update(view(Script(sid=f"CH{n}").added(0).customer(10).agent(20)), partition=0)
    statuses(board, START + 21)
    assert board.pending == 0 and not board._due  # answered: nothing can change by the clock
    board.update(view(Script(sid="CH3").added(0).customer(10).agent(20).customer(30)), partition=0)
    assert board.pending == 1
    assert statuses(board, START + 31) == {"CH3": AWAITING}


def test_a_tick_is_capped_and_the_rest_waits_for_the_next_one() -> None:
    board = LiveBoard(CFG)
    for n in range(5):
        board.update(view(Script(sid=f"CH{n}").added(0).customer(10)), partition=0)
    first = board.due(START + 11)  # live_max_per_tick = 2
    board.mark(first)
    assert len(first) == 2 and board.pending == 3
    rest = []
    while board.pending:
        rows = board.due(START + 11)
        board.mark(rows)
        rest.extend(rows)
    assert sorted(r.conversation_sid for r in first + rest) == [f"CH{n}" for n in range(5)]


def test_undelivered_rows_are_retried_and_closed_conversations_are_scheduled_for_eviction() -> None:
    board = LiveBoard(CFG)
    board.update(view(Script(sid="CHx").added(0).customer(10)), partition=1)
    rows = board.due(START + 11)
    board.retry(rows)  # the send failed
    assert [r.status for r in board.due(START + 12)] == [AWAITING]
    closed = view(Script(sid="CHx").added(0).customer(10).agent(20).state(100, "active", "closed"))
    board.update(closed, partition=1)
    assert statuses(board, START + 101) == {"CHx": CLOSED}
    assert "CHx" not in board.views  # final: no longer watched
    assert board.evictable(1, START + 100 + 3599, limit=10) == []
    assert board.evictable(0, START + 100 + 3600, limit=10) == []  # another partition's queue
    assert board.evictable(1, START + 100 + 3600, limit=10) == ["CHx"]
    assert board.evictable(1, START + 100 + 3600, limit=10) == []


def test_idle_conversations_are_published_once() -> None:
    board = LiveBoard(CFG)
    board.update(view(Script(sid="CHi").added(0)), partition=0)
    assert statuses(board, START + 1) == {"CHi": IDLE}
    board.update(view(Script(sid="CHi").added(0)), partition=0)  # an event that changes nothing
    assert statuses(board, START + 2) == {}
