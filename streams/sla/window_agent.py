"""Faust wiring of the SLA windows: ``cx.sla.window_inputs`` (keyed by channel|queue) → ``cx.sla.windows``.

Each channel × queue's inputs meet in one partition, so one worker owns its :class:`~streams.sla.windows.WindowBook`.
The book's minutes and meta live in a changelog-backed Table (keys ``m|<channel>|<queue>|<minute>`` and
``b|<channel>|<queue>``), so windows survive a restart; an input is acknowledged only after its window rows
were acknowledged by Kafka.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

from cxpulse.settings import Settings
from sinks.agent import register_table_sink
from streams.sla.acks import AckAfterDelivery
from streams.sla.rows import window_tables
from streams.sla.windows import WindowBook, WindowInput, WindowSpec
from streams.topics import Topics

__all__ = ["TABLE_NAME", "register"]

log = logging.getLogger(__name__)

TABLE_NAME = "sla-windows"


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


def register(app: Any, settings: Settings, topics: Topics) -> None:
    sla = settings.sla
    spec = WindowSpec(step=sla.tumbling_window_s, hopping=sla.hopping_window_s, grace=sla.window_grace_s)
    table = app.Table(TABLE_NAME, default=None, partitions=settings.kafka.partitions)

    @app.agent(topics.sla_window_inputs, name=f"{settings.worker.app_id}.sla.windows")
    async def windows(stream: Any) -> None:
        acks = AckAfterDelivery(stream)
        async for record in stream.noack().events():
            try:
                item = WindowInput.from_dict(json.loads(record.value))
            except (ValueError, TypeError) as exc:
                log.error("unusable window input skipped error=%s", type(exc).__name__)
                await stream.ack(record)
                continue
            book_key = f"b|{item.key}"
            meta = dict(table.get(book_key) or {})
            book = WindowBook(item.channel, item.queue, spec, _Minutes(table, item.key, meta.get("open", [])), meta)
            changed = book.apply(item)
            book.evict()
            if changed:
                table[book_key] = book.meta
            rows = book.rows(changed or [int(item.ts // spec.step * spec.step)])
            deliveries = [
                await topics.sla_windows.send(key=item.key.encode(), value=json.dumps(r.to_dict()).encode())
                for r in rows
            ]
            await acks.submit(record, deliveries)

    register_table_sink(app, settings, topic=topics.sla_windows, name="sla-windows", build_rows=window_tables)
