"""Faust wiring of the SLA windows: ``cx.sla.window_inputs`` (keyed by channel|queue) → ``cx.sla.windows``.

Each channel × queue's inputs meet in one partition, so one worker owns its :class:`~streams.sla.windows.WindowBook`.
The book's minutes and meta live in a changelog-backed Table (keys ``m|<channel>|<queue>|<minute>`` and
``b|<channel>|<queue>``), so windows survive a restart. Touched windows are published once per flush
(``sla.window_flush_interval_s``, and when the worker stops) and an input is acknowledged only after those rows
were acknowledged by Kafka.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

from cxpulse.settings import Settings
from sinks.agent import register_table_sink
from streams.sla.rows import window_tables
from streams.sla.windows import WAIT, WindowBook, WindowInput, WindowSpec
from streams.topics import Topics

__all__ = ["TABLE_NAME", "register"]

log = logging.getLogger(__name__)

TABLE_NAME = "sla-windows"
#: Window rows computed between two yields to the event loop (a row aggregates up to 15 minutes of facts).
_YIELD_ROWS = 16
#: While the worker stops, pending windows are flushed this often until faust cancels the flush task.
_STOPPING_FLUSH_S = 0.1


class _Minutes(MutableMapping[int, dict[str, dict[str, Any]]]):
    """A book's minutes as table keys: only the minutes an input touches are read or written."""

    def __init__(self, table: Any, prefix: str, known: list[int]) -> None:
        self._table, self._prefix, self._known = table, prefix, known

    def _key(self, minute: int) -> str:
        return f"m|{self._prefix}|{minute}"

    def __getitem__(self, minute: int) -> dict[str, dict[str, Any]]:
        value = self._table.get(self._key(minute))
        if value is None:
            raise KeyError(minute)
        return value

    def __setitem__(self, minute: int, value: dict[str, dict[str, Any]]) -> None:
        self._table[self._key(minute)] = value

    def __delitem__(self, minute: int) -> None:
        if self._table.get(self._key(minute)) is not None:
            del self._table[self._key(minute)]

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._known))

    def __len__(self) -> int:
        return len(self._known)


class _Pending:
    """Windows touched since the last flush, and the inputs to acknowledge once their rows are delivered.

    Coalescing matters: one fact touches a tumbling window and the 15 hopping windows around it, so publishing
    per input would write 16 rows per fact; a flush writes each touched window once.
    """

    def __init__(self) -> None:
        self.windows: dict[tuple[str, str], set[int]] = {}
        self.records: list[Any] = []
        self.stream: Any = None

    def take(self) -> tuple[dict[tuple[str, str], set[int]], list[Any]]:
        windows, records = self.windows, self.records
        self.windows, self.records = {}, []
        return windows, records


def register(app: Any, settings: Settings, topics: Topics) -> None:
    sla = settings.sla
    spec = WindowSpec(step=sla.tumbling_window_s, hopping=sla.hopping_window_s, grace=sla.window_grace_s)
    table = app.Table(TABLE_NAME, default=None, partitions=settings.kafka.partitions)
    pending = _Pending()

    def book_for(channel: str, queue: str) -> WindowBook:
        key = f"{channel}|{queue}"
        meta = dict(table.get(f"b|{key}") or {})
        return WindowBook(channel, queue, spec, _Minutes(table, key, meta.get("open", [])), meta)

    @app.agent(topics.sla_window_inputs, name=f"{settings.worker.app_id}.sla.windows")
    async def windows(stream: Any) -> None:
        pending.stream = stream
        async for record in stream.noack().events():
            try:
                item = WindowInput.from_dict(json.loads(record.value))
            except (ValueError, TypeError) as exc:
                log.error("unusable window input skipped error=%s", type(exc).__name__)
                await stream.ack(record)
                continue
            book = book_for(item.channel, item.queue)
            changed = book.apply(item)
            book.evict()
            if changed:
                table[f"b|{item.key}"] = book.meta
            # A duplicate re-publishes its window: its first rows may have been lost in a crash. An open wait
            # has no window of its own: it re-publishes the windows it spans (a retraction: nothing left).
            if changed or item.kind != WAIT:
                touched = changed or [int(item.ts // spec.step * spec.step)]
            else:
                touched = [] if item.retracted else book.spanned(item.ts, None)
            pending.windows.setdefault((item.channel, item.queue), set()).update(touched)
            pending.records.append(record)

    async def flush() -> None:
        """Publish every touched window once, then acknowledge the inputs that touched them."""
        touched, records = pending.take()
        if not records:
            return
        deliveries = []
        for (channel, queue), minutes in touched.items():
            for n, row in enumerate(book_for(channel, queue).iter_rows(sorted(minutes)), start=1):
                deliveries.append(
                    await topics.sla_windows.send(
                        key=f"{channel}|{queue}".encode(), value=json.dumps(row.to_dict()).encode()
                    )
                )
                if n % _YIELD_ROWS == 0:
                    await asyncio.sleep(0)  # a replay touches hundreds of windows: let the other stages run
            await asyncio.sleep(0)
        try:
            await asyncio.gather(*deliveries)
        except Exception as exc:  # noqa: BLE001 - left unacknowledged: replayed after a restart
            log.error("window rows not delivered; inputs left unacknowledged error=%s", type(exc).__name__)
            return
        for record in records:
            await pending.stream.ack(record)

    async def _flush_logged() -> None:
        try:
            await flush()
        except Exception:  # an unexpected error must not end the task: the inputs stay unacknowledged
            log.exception("window flush failed; retried at the next flush")

    @app.task
    async def flush_windows() -> None:
        """Flush every ``window_flush_interval_s``, and keep flushing while the worker stops.

        Not an ``app.timer``: faust ends timers as soon as the worker starts stopping, while its consumer then
        waits for every input in flight to be acknowledged. Inputs that had not been flushed yet were never
        acknowledged and the stop hung until the process was killed. This task runs until faust cancels it,
        after that wait.
        """
        while not app.should_stop:
            await app.sleep(sla.window_flush_interval_s)  # returns early when the worker starts stopping
            await _flush_logged()
        while True:  # stopping: the agent may still apply a few inputs that were already buffered
            await _flush_logged()
            await asyncio.sleep(_STOPPING_FLUSH_S)

    register_table_sink(app, settings, topic=topics.sla_windows, name="sla-windows", build_rows=window_tables)
