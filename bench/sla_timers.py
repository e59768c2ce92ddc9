"""Cost of one live-timer tick with N open conversations: the old scan against the index, in the same run.

The live timer shares the worker's event loop with redaction and the sinks, so its tick must stay far below
its interval (``sla.timer_interval_s``, 0.5 s). Measured, with N conversations of which a share await a human:

* ``scan`` (before): every conversation's live row computed each tick, changed ones kept (the old board);
* ``index`` (now): :class:`streams.sla.board.LiveBoard` looks only at conversations changed by an event since
  the last tick or due by the clock (a breach, an idle abandonment), at most ``sla.live_max_per_tick``.

Ticks: ``quiet`` (no event, nothing due), ``events`` (1,000 conversations got an event), ``breach burst``
(every awaiting conversation crosses its threshold at once: the index's worst case, capped per tick).
Also the board rebuild after a restart: decoding every state and replaying it (before) against reading the
checkpoints (now). Prints figures; asserts nothing.

    .venv/bin/python bench/sla_timers.py [conversations]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from cxpulse.settings import SlaSettings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.sla.board import LiveBoard
from streams.sla.config import SlaConfig
from streams.sla.live import live_row
from streams.sla.state import ConversationState, LiveView, apply, derive

_EVENTS_PER_TICK = 1000
_AWAITING_SHARE = 0.5
_THRESHOLD_S = 60.0


def _states(n: int, cfg: SlaConfig, start: datetime) -> dict[str, dict]:
    """``n`` open conversations of a few events; every other one ends with an unanswered customer message."""
    table: dict[str, dict] = {}
    every = max(1, round(1 / _AWAITING_SHARE))
    for c in range(n):
        sid = f"CH{c:032d}"
        state = None
        roles = [AuthorRole.CUSTOMER, AuthorRole.AGENT, AuthorRole.CUSTOMER, AuthorRole.AGENT]
        if c % every == 0:
            roles.append(AuthorRole.CUSTOMER)
        events = [
            ConversationEvent(
                event_id=f"{sid}-a",
                event_type=EventType.CONVERSATION_ADDED,
                account_sid="AC" + "0" * 32,
                conversation_sid=sid,
                occurred_at=start,
                redacted=True,
                channel="sms",
                queue="billing",
            )
        ]
        for i, role in enumerate(roles):
            events.append(
                ConversationEvent(
                    event_id=f"{sid}-{i}",
                    event_type=EventType.MESSAGE_ADDED,
                    account_sid="AC" + "0" * 32,
                    conversation_sid=sid,
                    occurred_at=start + timedelta(seconds=i),
                    redacted=True,
                    author="cust" if role is AuthorRole.CUSTOMER else "agent:a",
                    author_role=role,
                    index=i,
                    message_sid=f"IM{c:08d}{i:024d}",
                    channel="sms",
                )
            )
        for event in events:
            state = apply(state, event, cfg, partition=0).state
        assert state is not None
        table[sid] = state.to_json()
    return table


class _ScanBoard:
    """The board before the index: every view evaluated on every tick."""

    def __init__(self, cfg: SlaConfig, views: dict[str, LiveView]) -> None:
        self.cfg, self.views, self.published = cfg, views, {}

    def due(self, now: float) -> list:
        rows = []
        for sid, view in list(self.views.items()):
            row = live_row(view, now, self.cfg)
            if self.published.get(sid) != row.change_key:
                rows.append(row)
        return rows

    def mark(self, rows: list) -> None:
        for row in rows:
            self.published[row.conversation_sid] = row.change_key


def _ms(fn) -> tuple[float, object]:  # noqa: ANN001 - a zero-argument callable
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def main(n: int) -> None:
    cfg = SlaConfig(sla=SlaSettings(default_threshold_s=_THRESHOLD_S, inactivity_abandon_s=3600))
    start = datetime.now(UTC) - timedelta(seconds=10)
    t0 = start.timestamp()
    table = _states(n, cfg, start)

    rebuild_before_ms, views = _ms(
        lambda: {sid: derive(ConversationState.from_json(v), cfg).live for sid, v in table.items()}
    )
    board = LiveBoard(cfg)

    def rebuild() -> None:
        for sid, stored in table.items():
            board.update(ConversationState(conversation_sid=sid, walk=stored["walk"]).live(cfg), 0)

    rebuild_after_ms, _ = _ms(rebuild)
    scan = _ScanBoard(cfg, dict(views))
    awaiting = sum(v.awaiting_since is not None for v in views.values())
    print(f"conversations={n} awaiting={awaiting} live_max_per_tick={cfg.sla.live_max_per_tick}")
    print(
        f"rebuild after restart: decode+replay (before) {rebuild_before_ms:,.1f} ms, "
        f"checkpoints (now) {rebuild_after_ms:,.1f} ms"
    )

    # First tick publishes everything in both designs (the index in capped slices): drain it.
    now = t0 + 20
    scan.mark(scan.due(now))
    ticks = 0
    while board.pending:
        board.mark(board.due(now))
        ticks += 1
    print(f"initial publish: index drained {n} conversations in {ticks} ticks of <= {cfg.sla.live_max_per_tick}")

    def report(label: str, tick_now: float, touched: list[str]) -> None:
        for sid in touched:
            board.update(views[sid], 0)
        scan_ms, scan_rows = _ms(lambda: scan.due(tick_now))
        index_ms, index_rows = _ms(lambda: board.due(tick_now))
        scan.mark(scan_rows)
        board.mark(index_rows)
        print(
            f"tick {label:<13} scan (before) {scan_ms:8.2f} ms rows={len(scan_rows):<6} "
            f"index (now) {index_ms:8.2f} ms rows={len(index_rows):<6} still queued={board.pending}"
        )

    report("quiet", now + 0.5, [])
    report("events", now + 1.0, list(views)[:_EVENTS_PER_TICK])
    burst = t0 + _THRESHOLD_S + 30  # every awaiting conversation is past its threshold now
    report("breach burst", burst, [])
    report("after burst", burst + 0.5, [])


def window_flush(facts: int, minutes: int) -> None:
    """A window flush after a burst (a replay): ``facts`` responses over ``minutes`` minutes of one channel x
    queue, every minute touched. Reports the whole flush and the longest stretch between two yields (the
    windows agent yields every ``_YIELD_ROWS`` rows)."""
    from streams.sla.window_agent import _YIELD_ROWS
    from streams.sla.windows import WindowBook, WindowInput, WindowSpec, opened

    t = 1_800_000_000
    book = WindowBook("sms", "billing", WindowSpec(grace=3600), minutes={})
    for n in range(facts):
        ts = t + n * minutes * 60 / facts
        book.apply(opened(f"c{n}", "sms", "billing", ts - 30))
        book.apply(
            WindowInput(
                fact_id=f"c{n}:r",
                version=1,
                kind="response",
                channel="sms",
                queue="billing",
                ts=ts,
                outcome="answered",
                response_s=20.0,
                started=ts - 20,
            )
        )
    touched = sorted(book.meta["open"])
    started = time.perf_counter()
    longest = 0.0
    stretch = time.perf_counter()
    rows = 0
    for rows, _ in enumerate(book.iter_rows(touched), start=1):
        if rows % _YIELD_ROWS == 0:
            now = time.perf_counter()
            longest, stretch = max(longest, now - stretch), now
    total_ms = (time.perf_counter() - started) * 1000
    print(
        f"window flush: {facts} facts over {minutes} touched minutes -> {rows} rows in {total_ms:,.1f} ms; "
        f"longest stretch between yields {longest * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conversations", nargs="?", type=int, default=20_000)
    parser.add_argument("--window-facts", type=int, default=2000)
    args = parser.parse_args()
    main(args.conversations)
    window_flush(args.window_facts, minutes=60)
