"""The redaction stage: raw topic → redacted topic + audit topic, in micro-batches, failing closed.

Analysis is CPU-bound and synchronous, so each batch runs in a process pool (one process per core by default,
``processes = 0``) or, with ``processes = 1``, in a worker thread, while the event loop keeps serving ingest
requests. A batch not analysed within ``timeout_s``, or whose pool process died, fails closed: every record goes
to the restricted dead-letter topic (and a new pool is started for the next batch). Raw offsets are acknowledged
only after every output of the batch (redacted event + audit record, or dead-letter) was acknowledged by Kafka:
at-least-once, and ClickHouse collapses replays.

The same analyser also runs the recall canary (``canary_worker``) at start and every ``canary_interval_s``, so
what the canary measures is what redacts traffic.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from cxpulse.settings import RedactionSettings, Settings
from schemas.events import ConversationEvent
from streams.redact import canary_worker
from streams.redact.audit import RedactionAudit, audit_tables, failure_tables
from streams.redact.engine import RedactionError, Redactor
from streams.topics import Topics

__all__ = ["BatchAnalyser", "Outcome", "dead_letter", "redact_batch", "register", "register_sinks"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """Either a redacted event with its audit, or the reason it could not be redacted (never both)."""

    key: bytes | None
    event: ConversationEvent | None = None
    failure: str | None = None
    event_id: str | None = None
    audit: RedactionAudit | None = None
    conversation_sid: str | None = None


def redact_batch(redactor: Redactor, records: Sequence[tuple[bytes | None, bytes]]) -> list[Outcome]:
    """Redact raw records (key, value); one bad record never holds back the others."""
    outcomes: list[Outcome | None] = [None] * len(records)
    parsed: list[tuple[int, ConversationEvent]] = []
    for i, (key, value) in enumerate(records):
        try:
            parsed.append((i, ConversationEvent.from_json(value)))
        except ValidationError as exc:
            outcomes[i] = Outcome(key, failure=f"undecodable: {exc.error_count()} validation errors")
    if parsed:
        if hasattr(redactor, "redact_many"):
            results = redactor.redact_many([e for _, e in parsed])
        else:  # a minimal redactor (tests): one event at a time
            results = []
            for _, e in parsed:
                try:
                    results.append(redactor.redact(e))
                except RedactionError as exc:
                    results.append(exc)
        for (i, event), result in zip(parsed, results, strict=True):
            key = records[i][0]
            common = {"event_id": event.event_id, "conversation_sid": event.conversation_sid}
            if isinstance(result, RedactionError):
                outcomes[i] = Outcome(key, failure=str(result), **common)
            elif isinstance(result, ConversationEvent):
                outcomes[i] = Outcome(key, event=result, **common)
            else:
                outcomes[i] = Outcome(key, event=result.event, audit=result.audit, **common)
    return [o for o in outcomes if o is not None]


def dead_letter(outcome: Outcome, raw_value: bytes) -> bytes:
    """The restricted DLQ keeps the raw record (it may hold PII: same retention as the raw topic).

    Only ``event_id``, ``conversation_sid``, ``reason`` and ``failed_at`` ever leave it (``redaction_failures``).
    """
    return json.dumps(
        {
            "event_id": outcome.event_id,
            "conversation_sid": outcome.conversation_sid,
            "reason": outcome.failure,
            "failed_at": datetime.now(UTC).isoformat(),
            "raw": raw_value.decode("utf-8", "replace"),
        }
    ).encode()


def _failed_closed(records: Sequence[tuple[bytes | None, bytes]], reason: str) -> list[Outcome]:
    """Every record of the batch to the dead-letter topic with ``reason`` (which never holds message text)."""
    outcomes = []
    for key, value in records:
        try:
            event = ConversationEvent.from_json(value)
            ids = {"event_id": event.event_id, "conversation_sid": event.conversation_sid}
        except ValidationError:
            ids = {}
        outcomes.append(Outcome(key, failure=reason, **ids))
    return outcomes


class BatchAnalyser:
    """Runs batches through the pool (or a thread) and turns any failure into fail-closed outcomes.

    It never raises: a timeout, a dead pool process or a model that fails to load gives every record of the
    batch a failure reason (the dead-letter route), and the next batch gets a fresh pool.

    One batch at a time: the redaction agent and the recall canary (``canary_worker``) share it, so the canary is
    measured on the very pool (or engine) that redacts traffic, and two starts never build two pools.
    """

    def __init__(self, settings: RedactionSettings) -> None:
        self._cfg = settings
        self._pool: Any = None
        self._engine: Redactor | None = None
        self._lock = asyncio.Lock()
        self._warming: tuple[Any, Future[None]] | None = None

    def prestart(self) -> None:
        """Begin loading the model in the pool's processes now, in a thread, while the worker boots and joins
        its group: a restarted worker then redacts seconds sooner (the load is the longest step of a restart).
        :meth:`start` takes the pool over once it is warm."""
        if self._cfg.analyzer_processes > 1 and self._pool is None and self._warming is None:
            from streams.redact.pool import RedactionPool

            pool = RedactionPool(self._cfg)
            starter = ThreadPoolExecutor(1, thread_name_prefix="redaction-warm-up")
            self._warming = (pool, starter.submit(pool.warm_up))
            starter.shutdown(wait=False)  # the thread ends with the warm-up

    async def start(self) -> None:
        """Load the model (in every pool process) now. Not under ``timeout_s``: a slow start on a busy machine
        must not fail the first batch closed. Raises if loading fails (the caller fails the batch closed)."""
        async with self._lock:
            await self._start()

    async def _start(self) -> None:
        if self._warming is not None:
            pool, warming = self._warming
            self._warming = None
            try:
                await asyncio.wrap_future(warming)
                self._pool = pool
            except BaseException:
                pool.close()
                raise
        if self._cfg.analyzer_processes > 1:
            if self._pool is None:
                from streams.redact.pool import RedactionPool

                log.info("redaction: starting %d analyzer processes", self._cfg.analyzer_processes)
                pool = RedactionPool(self._cfg)
                try:
                    await asyncio.to_thread(pool.warm_up)
                except BaseException:
                    pool.close()
                    raise
                self._pool = pool
        elif self._engine is None:
            self._engine = await asyncio.to_thread(Redactor, self._cfg)

    async def _analyse(self, records: list[tuple[bytes | None, bytes]]) -> list[Outcome]:
        if self._pool is not None:
            return await asyncio.to_thread(self._pool.redact_records, records)
        assert self._engine is not None, "start() first"
        return await asyncio.to_thread(redact_batch, self._engine, records)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    async def outcomes(self, records: list[tuple[bytes | None, bytes]]) -> list[Outcome]:
        async with self._lock:  # waiting for another batch does not count against timeout_s
            return await self._outcomes(records)

    async def _outcomes(self, records: list[tuple[bytes | None, bytes]]) -> list[Outcome]:
        try:
            await self._start()
            return await asyncio.wait_for(self._analyse(records), timeout=self._cfg.timeout_s)
        except TimeoutError:
            self.close()  # a process may be stuck on this batch: later batches get fresh ones
            return _failed_closed(records, f"analysis timed out after {self._cfg.timeout_s:.0f}s")
        except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool: fail closed, never pass raw on
            log.error(
                "redaction analysis failed; batch fails closed batch=%d error=%s", len(records), type(exc).__name__
            )
            self.close()
            return _failed_closed(records, f"analysis failed: {type(exc).__name__}")


def register(app: Any, settings: Settings, topics: Topics, *, prestart: bool = False) -> None:
    """Mount the redaction agent and the recall canary; ``prestart`` begins loading the model at once."""
    cfg = settings.redaction
    analyser = BatchAnalyser(cfg)
    if prestart:
        analyser.prestart()

    @app.agent(topics.raw, name=f"{settings.worker.app_id}.redact")
    async def redact(stream: Any) -> None:
        try:
            await analyser.start()  # load the model before the first batch arrives
        except Exception as exc:  # noqa: BLE001 - retried on the first batch, which fails closed if it fails again
            log.error("redaction analyzer failed to start: %s", type(exc).__name__)
        async for batch in stream.noack_take(cfg.batch_size, within=cfg.batch_window_s):
            records = [(event.key, event.value) for event in batch]
            outcomes = await analyser.outcomes(records)
            deliveries = []
            failed = 0
            for outcome, (_, raw_value) in zip(outcomes, records, strict=True):
                if outcome.event is not None:
                    deliveries.append(
                        await topics.redacted.send(key=outcome.event.key.encode(), value=outcome.event.to_json())
                    )
                    if outcome.audit is not None:
                        deliveries.append(
                            await topics.redaction_audit.send(
                                key=outcome.event.key.encode(), value=outcome.audit.to_json()
                            )
                        )
                else:
                    failed += 1
                    deliveries.append(
                        await topics.redaction_dlq.send(key=outcome.key, value=dead_letter(outcome, raw_value))
                    )
            await asyncio.gather(*deliveries)
            for event in batch:
                await stream.ack(event)
            if failed:
                log.warning("redaction failed closed events=%d of batch=%d", failed, len(batch))

    canary_worker.register(app, settings, topics, analyser)


def register_sinks(app: Any, settings: Settings, topics: Topics) -> None:
    """Store the audit topic in ``redaction_audit``, the DLQ's id + reason in ``redaction_failures`` and the
    recall canary's scores in ``redaction_canary``."""
    from sinks.agent import register_table_sink

    register_table_sink(app, settings, topic=topics.redaction_audit, name="redaction_audit", build_rows=audit_tables)
    register_table_sink(app, settings, topic=topics.redaction_dlq, name="redaction_failures", build_rows=failure_tables)
    register_table_sink(
        app, settings, topic=topics.redaction_canary, name="redaction_canary", build_rows=canary_worker.canary_tables
    )
