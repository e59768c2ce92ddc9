"""Sink agents: a Kafka topic → ClickHouse tables, in micro-batches, committing only what was stored.

:func:`register_table_sink` is the one loop every sink uses (events, and later audit, SLA facts, data-quality
results): ``noack_take`` a batch, turn it into rows, write them with :class:`~sinks.writer.BatchWriter`,
and acknowledge the offsets only afterwards (faust's ``take()`` would ack even when the write raised). While
ClickHouse is down the loop retries with backoff and holds its offsets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cxpulse.settings import Settings
from sinks.clickhouse import make_client
from sinks.errors import SinkBackpressure
from sinks.rows import event_tables
from sinks.writer import BatchWriter, TableRows, dedup_token
from streams.topics import Topics

__all__ = ["RowsBuilder", "register", "register_table_sink"]

log = logging.getLogger(__name__)

#: Turns the values of one batch of records into rows per table. It must not raise for one bad record:
#: log it (without its content) and leave it out.
RowsBuilder = Callable[[Sequence[bytes]], Mapping[str, TableRows]]


def register_table_sink(app: Any, settings: Settings, *, topic: Any, name: str, build_rows: RowsBuilder) -> None:
    """Mount a sink agent that stores ``topic`` through ``build_rows``."""
    writer = BatchWriter(lambda: make_client(settings.clickhouse), settings.sink)

    @app.agent(topic, name=f"{settings.worker.app_id}.sink.{name}")
    async def store(stream: Any) -> None:
        cfg = settings.sink
        async for batch in stream.noack_take(cfg.batch_size, within=cfg.flush_interval_s):
            tables = build_rows([record.value for record in batch])
            token = dedup_token(f"{r.message.topic}:{r.message.partition}:{r.message.offset}" for r in batch)
            while any(t.rows for t in tables.values()):
                try:
                    result = await asyncio.to_thread(writer.write, tables, token=token)
                    log.debug("stored sink=%s records=%d rows=%s", name, len(batch), result.rows)
                    break
                except SinkBackpressure as exc:
                    log.warning(
                        "clickhouse unavailable; holding offsets sink=%s retry_after_s=%.1f", name, exc.retry_after
                    )
                    await asyncio.sleep(exc.retry_after)
            for record in batch:
                await stream.ack(record)


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """The core sink: validated events (redacted, and passed the data-quality suites) → ``events``,
    ``messages``, ``conversations``."""
    register_table_sink(app, settings, topic=topics.validated, name="events", build_rows=event_tables)
