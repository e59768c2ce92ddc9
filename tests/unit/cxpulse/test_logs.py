"""Repeated log lines are counted, not repeated; cancellations lose their traceback, not their line."""

from __future__ import annotations

import asyncio
import logging

from cxpulse.logs import RepeatFilter


def _record(msg: str, *args: object, name: str = "aiokafka", exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)


def test_a_flood_of_one_line_is_written_once_then_once_more_with_its_count() -> None:
    now = [0.0]
    repeat = RepeatFilter(10.0, clock=lambda: now[0])
    written = []
    for i in range(3400):
        now[0] = i / 1000
        record = _record("Unable connect to node with id %s: %s", 1, "refused")
        if repeat.filter(record):
            written.append(record.getMessage())
    now[0] = 11.0
    last = _record("Unable connect to node with id %s: %s", 1, "refused")
    assert repeat.filter(last)
    assert len(written) == 1
    assert last.getMessage().endswith("(repeated 3399 times in 11s)")


def test_different_lines_and_loggers_are_not_merged() -> None:
    repeat = RepeatFilter(10.0, clock=lambda: 0.0)
    assert repeat.filter(_record("a"))
    assert repeat.filter(_record("b"))
    assert repeat.filter(_record("a", name="faust"))
    assert not repeat.filter(_record("a"))


def test_a_cancelled_error_keeps_its_line_without_the_traceback() -> None:
    repeat = RepeatFilter(0.0)
    record = _record("Error in _on_published", exc=asyncio.CancelledError())
    assert repeat.filter(record)
    assert record.exc_info is None and record.getMessage() == "Error in _on_published (cancelled)"


def test_interval_zero_writes_every_line() -> None:
    repeat = RepeatFilter(0.0)
    assert all(repeat.filter(_record("same")) for _ in range(5))
