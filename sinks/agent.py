"""Sink agents: a Kafka topic → ClickHouse tables, in micro-batches, committing only what was stored.

:func:`register_table_sink` is the one loop every sink uses (events, audit, SLA facts, data-quality results…):
``noack_take`` a batch, turn it into rows, write them with :class:`~sinks.writer.BatchWriter`, and acknowledge
the offsets only afterwards (faust's ``take()`` would ack even when the write raised). While ClickHouse is down
the loop retries with backoff and holds its offsets. A row ClickHouse can never store (a value out of its
column's range) is isolated by the writer; its source record goes to ``cx.sink.dlq`` with the table and the
reason, and lands in ``sink_rejections``: the rest of the batch is stored and committed. A record the builder
cannot even read (it fails the event model) is listed under :data:`UNREADABLE` and dead-lettered the same way,
so no record is dropped with only a log line to show for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cxpulse.settings import Settings
from schemas import topics as names
from sinks.clickhouse import make_client
from sinks.errors import SinkBackpressure
from sinks.rows import event_tables
from sinks.writer import UNREADABLE, BatchWriter, RejectedRow, TableRows, dedup_token
from streams.topics import Topics

__all__ = [
    "REJECTION_COLUMNS",
    "UNREADABLE",
    "RowsBuilder",
    "dead_letters",
    "register",
    "register_table_sink",
    "rejection_tables",
]

log = logging.getLogger(__name__)

#: Turns the values of one batch of records into rows per table. It must not raise for one bad record: leave it
#: out, and either log it (without its content) or list it under :data:`UNREADABLE` to have it dead-lettered.
RowsBuilder = Callable[[Sequence[bytes]], Mapping[str, TableRows]]
REJECTION_COLUMNS = (
    "source_topic",
    "source_partition",
    "source_offset",
    "table_name",
    "reason",
    "rejected_at",
    "value",
)


def dead_letters(
    records: Sequence[Any], tables: Mapping[str, TableRows], rejected: Sequence[RejectedRow], build_rows: RowsBuilder
) -> list[tuple[Any, bytes]]:
    """``(record, dead-letter JSON)`` for each record that produced a rejected row (once per record and table).

    Rows do not say which record they came from, so each record is turned into rows again on its own (only when
    something was rejected, which is rare) and matched: a row is a pure function of its record.
    """
    now = datetime.now(UTC).isoformat()
    letters: list[tuple[Any, bytes]] = []
    for reject in rejected:
        if reject.table == UNREADABLE:  # its index is the record's position in the batch
            record = records[reject.index]
            letters.append((record, _letter(record, UNREADABLE, reject.reason, now, keep_value=reject.keep_value)))
    stored = [r for r in rejected if r.table != UNREADABLE]
    for record in records if stored else ():
        own = build_rows([record.value])
        for reject in stored:
            mine = own.get(reject.table)
            if mine is None or tables[reject.table].rows[reject.index] not in mine.rows:
                continue
            letters.append((record, _letter(record, reject.table, reject.reason, now)))
    return letters


def _letter(record: Any, table: str, reason: str, now: str, *, keep_value: bool = True) -> bytes:
    return json.dumps(
        {
            "source_topic": record.message.topic,
            "source_partition": record.message.partition,
            "source_offset": record.message.offset,
            "table_name": table,
            "reason": reason,
            "rejected_at": now,
            "value": record.value.decode("utf-8", "replace") if keep_value else "",
        }
    ).encode()


def rejection_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """Rows builder of the ``sink_rejections`` sink."""
    rows = []
    for value in values:
        try:
            letter = json.loads(value)
            rows.append(
                [
                    str(letter["source_topic"]),
                    int(letter["source_partition"]),
                    int(letter["source_offset"]),
                    str(letter["table_name"]),
                    str(letter["reason"]),
                    datetime.fromisoformat(letter["rejected_at"]),
                    str(letter["value"]),
                ]
            )
        except (ValueError, KeyError, TypeError):
            log.error("unparsable sink dead-letter skipped bytes=%d", len(value))
    return {"sink_rejections": TableRows(REJECTION_COLUMNS, rows)}


def register_table_sink(
    app: Any,
    settings: Settings,
    *,
    topic: Any,
    name: str,
    build_rows: RowsBuilder,
    dead_letter: bool = True,
) -> None:
    """Mount a sink agent that stores ``topic`` through ``build_rows``; rows ClickHouse rejects are dead-lettered
    to ``cx.sink.dlq`` (``dead_letter=False``: logged and dropped, for the dead-letter sink itself)."""
    writer = BatchWriter(lambda: make_client(settings.clickhouse), settings.sink)
    dlq = app.topic(
        settings.topic(names.SINK_DLQ),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.kafka.partitions,
    )

    @app.agent(topic, name=f"{settings.worker.app_id}.sink.{name}")
    async def store(stream: Any) -> None:
        cfg = settings.sink
        async for batch in stream.noack_take(cfg.batch_size, within=cfg.flush_interval_s):
            tables = dict(build_rows([record.value for record in batch]))
            rejected = _unreadable(tables.pop(UNREADABLE, None))
            token = dedup_token(f"{r.message.topic}:{r.message.partition}:{r.message.offset}" for r in batch)
            while any(t.rows for t in tables.values()):
                try:
                    result = await asyncio.to_thread(writer.write, tables, token=token)
                    log.debug("stored sink=%s records=%d rows=%s", name, len(batch), result.rows)
                    rejected += result.rejected
                    break
                except SinkBackpressure as exc:
                    log.warning(
                        "clickhouse unavailable; holding offsets sink=%s retry_after_s=%.1f", name, exc.retry_after
                    )
                    await asyncio.sleep(exc.retry_after)
            if rejected:
                await _dead_letter(name, dlq, batch, tables, rejected, build_rows, dead_letter)
            for record in batch:
                await stream.ack(record)


def _unreadable(listed: TableRows | None) -> list[RejectedRow]:
    """The records a builder listed under :data:`UNREADABLE`, as rejections (``index``: position in the batch)."""
    if listed is None:
        return []
    return [RejectedRow(UNREADABLE, int(p), str(r), keep_value=bool(k)) for p, r, k in listed.rows]


async def _dead_letter(
    name: str,
    dlq: Any,
    batch: Sequence[Any],
    tables: Mapping[str, TableRows],
    rejected: Sequence[RejectedRow],
    build_rows: RowsBuilder,
    enabled: bool,
) -> None:
    """Send the records of rejected rows to the sink dead-letter topic before their offsets are committed."""
    for reject in rejected:
        what = "record unreadable" if reject.table == UNREADABLE else "row rejected by clickhouse"
        log.warning("%s sink=%s table=%s reason=%s", what, name, reject.table, reject.reason)
    if not enabled:
        return
    letters = await asyncio.to_thread(dead_letters, batch, tables, rejected, build_rows)
    for record, letter in letters:
        await dlq.send(key=record.key, value=letter)
    if len(letters) < len(rejected):
        log.error("sink=%s could not match %d rejected rows to their records", name, len(rejected) - len(letters))


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """The core sink: validated events (redacted, and passed the data-quality suites) → ``events``,
    ``messages``, ``conversations``; and the sink dead-letters → ``sink_rejections``."""
    register_table_sink(app, settings, topic=topics.validated, name="events", build_rows=event_tables)
    register_table_sink(
        app, settings, topic=topics.sink_dlq, name="sink-rejections", build_rows=rejection_tables, dead_letter=False
    )
