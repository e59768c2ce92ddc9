"""Event-time windows: assignment, aggregation, replacement, grace and late accounting (hand-computed)."""

from __future__ import annotations

from dataclasses import replace

from streams.sla.windows import HOPPING, TUMBLING, WindowBook, WindowInput, WindowSpec, hopping_starts, window_start

SPEC = WindowSpec(step=60, hopping=900, grace=30)
T = 1_800_000_000  # a whole minute (and a whole 15 minutes) in epoch seconds


def response(
    fact_id: str, ts: float, seconds: float, *, breached: bool = False, version: int = 1, outcome: str = "answered"
) -> WindowInput:
    return WindowInput(
        fact_id=fact_id,
        version=version,
        kind="response",
        channel="sms",
        queue="billing",
        ts=ts,
        outcome=outcome,
        response_s=seconds,
        breached=breached,
    )


def book() -> WindowBook:
    return WindowBook("sms", "billing", SPEC, minutes={})


def rows_by(b: WindowBook, minutes: list[int]) -> dict[tuple[str, float], object]:
    return {(r.window, r.window_start): r for r in b.rows(minutes)}


def test_window_assignment() -> None:
    assert window_start(T + 59.9, 60) == T and window_start(T + 60, 60) == T + 60
    starts = hopping_starts(T + 125, 900, 60)
    assert len(starts) == 15 and starts[0] == T + 120 - 840 and starts[-1] == T + 120
    assert all(s <= T + 125 < s + 900 for s in starts)


def test_tumbling_and_hopping_metrics() -> None:
    b = book()
    b.apply(response("a", T + 10, 30))
    b.apply(response("b", T + 50, 90, breached=True))
    b.apply(response("c", T + 70, 200, breached=True, outcome="abandoned"))
    b.apply(WindowInput(fact_id="x:o", version=1, kind="opened", channel="sms", queue="billing", ts=T + 1))
    rows = rows_by(b, [T, T + 60])
    minute0 = rows[(TUMBLING, T)]
    assert (minute0.responses, minute0.breaches, minute0.conversations_opened) == (2, 1, 1)
    assert (minute0.response_p50_s, minute0.response_p90_s, minute0.service_level_pct) == (30, 90, 50.0)
    minute1 = rows[(TUMBLING, T + 60)]
    assert (minute1.responses, minute1.abandoned, minute1.service_level_pct) == (0, 1, 0.0)
    hop = rows[(HOPPING, T)]  # [T, T+900) holds all three
    assert (hop.responses, hop.abandoned, hop.service_level_pct) == (2, 1, 33.33)
    assert hop.window_end == T + 900


def test_duplicates_are_no_ops_and_new_versions_replace_or_retract() -> None:
    b = book()
    assert b.apply(response("a", T + 10, 30)) == [T]
    assert b.apply(response("a", T + 10, 30)) == []
    assert b.apply(response("a", T + 70, 45, version=2)) == [T, T + 60]  # moved to the next minute
    rows = rows_by(b, [T, T + 60])
    assert (rows[(TUMBLING, T)].responses, rows[(TUMBLING, T + 60)].responses) == (0, 1)
    b.apply(replace(response("a", T + 70, 0, version=3), retracted=True))
    assert rows_by(b, [T + 60])[(TUMBLING, T + 60)].responses == 0


def test_late_inside_grace_updates_later_is_counted_and_reported() -> None:
    b = book()
    b.apply(response("a", T + 10, 30))
    b.apply(response("b", T + 85, 30))  # watermark T+85: minute T closes at T+60+30 = T+90
    assert b.apply(response("late-ok", T + 20, 40)) == [T]
    assert rows_by(b, [T])[(TUMBLING, T)].responses == 2
    b.apply(response("c", T + 95, 30))  # watermark T+95: minute T is now past its grace
    assert b.apply(response("too-late", T + 30, 50)) == [T]
    row = rows_by(b, [T])[(TUMBLING, T)]
    assert (row.responses, row.late_rejected) == (2, 1)
    assert b.apply(response("too-late", T + 30, 50)) == []  # a replay of the late fact is not counted twice
    assert rows_by(b, [T])[(HOPPING, T)].late_rejected == 1


def test_minutes_are_evicted_once_no_window_can_change() -> None:
    b = book()
    b.apply(response("a", T + 10, 30))
    b.apply(response("b", T + 900 + 60 + 30, 30))
    assert b.evict() == [T] and T not in b.minutes


def test_gauges_at_window_end_active_awaiting_and_oldest_wait() -> None:
    from streams.sla.windows import opened, wait

    b = book()
    b.apply(opened("c1", "sms", "billing", T + 5))
    b.apply(opened("c2", "sms", "billing", T + 6))
    b.apply(WindowInput(fact_id="c1:c", version=9, kind="conversation", channel="sms", queue="billing", ts=T + 100))
    b.apply(wait("c2", "sms", "billing", T + 20, version=3))  # c2's customer waits from T+20, still open
    # c1 waited from T+30 to T+80 (answered): in progress at the end of minute T (T+60), over by T+120.
    b.apply(replace(response("c1:r", T + 80, 50), started=T + 30))
    rows = rows_by(b, [T, T + 60])
    minute0, minute1 = rows[(TUMBLING, T)], rows[(TUMBLING, T + 60)]
    assert (minute0.active, minute0.awaiting, minute0.oldest_wait_s) == (2, 2, 40.0)  # T+60 - T+20
    assert (minute1.active, minute1.awaiting, minute1.oldest_wait_s) == (1, 1, 100.0)  # c1 closed at T+100
    # c2 is answered at T+130: its open wait is retracted and its response fact takes over.
    b.apply(wait("c2", "sms", "billing", None, version=4))
    b.apply(replace(response("c2:r", T + 130, 110), started=T + 20))
    rows = rows_by(b, [T, T + 60, T + 120])
    assert rows[(TUMBLING, T + 60)].awaiting == 1  # c2 still waited at T+120
    assert (rows[(TUMBLING, T + 120)].awaiting, rows[(TUMBLING, T + 120)].oldest_wait_s) == (0, None)
    assert rows[(HOPPING, T)].active == 1  # at T+900: c2 open, c1 closed


def test_wait_markers_are_versioned_and_do_not_move_the_watermark() -> None:
    from streams.sla.windows import wait

    b = book()
    b.apply(response("a", T + 10, 5))
    assert b.apply(wait("c", "sms", "billing", T + 5, version=2)) == [T]
    assert b.apply(wait("c", "sms", "billing", T + 5, version=2)) == []  # duplicate
    assert b.apply(wait("c", "sms", "billing", None, version=1)) == []  # older: ignored
    assert b.apply(wait("x", "sms", "billing", None, version=1)) == []  # nothing to retract
    assert b.meta["watermark"] == T + 10
    assert b.gauges(T + 60)["awaiting"] == 1


def test_evicted_minutes_keep_counting_in_active() -> None:
    from streams.sla.windows import opened

    b = book()
    b.apply(opened("old", "sms", "billing", T + 1))
    b.apply(response("later", T + 900 + 60 + 30, 30))
    assert b.evict() == [T]
    assert b.gauges(T + 1020)["active"] == 1 and b.meta["active_base"] == 1
