"""Log hygiene for long-running processes: repeated lines are counted, expected cancellations carry no traceback.

During a 14-second broker outage the worker wrote 99,360 lines, 47,775 of them aiokafka's "Unable connect to
node" (it reconnects without backoff), plus 121 ``CancelledError`` tracebacks from faust's ``_on_published``
callbacks being cancelled on a stop. Nothing in those lines was new after the first one. :class:`RepeatFilter`
writes the first line of each kind (logger + message template), suppresses identical ones for
``interval_s``, then writes the next with "(repeated N times in Ns)"; a ``CancelledError`` traceback becomes a
one-line note. Installed on the root handlers, so it covers faust, aiokafka and our own loggers alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

__all__ = ["RepeatFilter", "install_log_hygiene"]


class RepeatFilter(logging.Filter):
    """Rate-limits identical log lines (same logger and message template) to one per ``interval_s``."""

    def __init__(self, interval_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._interval = interval_s
        self._clock = clock
        #: (logger, template) -> (time of the last written line, lines suppressed since)
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            record.exc_info = None
            record.exc_text = None
            record.msg = f"{record.msg} (cancelled)"
        if self._interval <= 0:
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._interval:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            record.msg = f"{record.msg} (repeated {last[1]} times in {now - last[0]:.0f}s)"
        self._seen[key] = (now, 0)
        return True


def install_log_hygiene(interval_s: float) -> list[RepeatFilter]:
    """Add a :class:`RepeatFilter` of its own to every handler of the root logger that has none yet."""
    added = []
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            repeat = RepeatFilter(interval_s)
            handler.addFilter(repeat)
            added.append(repeat)
    return added
