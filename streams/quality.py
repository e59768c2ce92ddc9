"""The data-quality stage: ``cx.events.redacted`` → ``cx.events.validated`` | ``cx.events.dlq`` (+ results).

A thin agent around :class:`expectations.validate.Validator`: take a micro-batch without acking it, validate
it in a worker thread (GX is synchronous), produce every passing event (its original bytes, unchanged) to the
validated topic, every failing one to the DLQ with its reasons, one result record per expectation to
``cx.dq.results``, and ack the input offsets only after Kafka acknowledged all of those outputs. A replay after a
crash re-validates the same records; the sinks collapse the repeats (stable event ids and batch ids).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cxpulse.settings import QualitySettings, Settings
from sinks.writer import dedup_token
from streams.topics import Topics

if TYPE_CHECKING:
    from expectations.validate import Validator

__all__ = ["prebuild_validator", "register"]

log = logging.getLogger(__name__)

_prebuilt: Future[Validator] | None = None


def prebuild_validator(cfg: QualitySettings) -> None:
    """Build the validator (GX's import and context, ≈ 2 s) in a thread started now, first thing in the worker.

    Built inside the agent, it was the last stage to move after a restart: the worker had already joined the
    group and recovered its tables when GX started importing. Started before, the build overlaps the worker's
    own boot (Kafka connections, table recovery) and the agent only collects the result.
    """
    global _prebuilt
    future: Future[Validator] = Future()

    def build() -> None:
        from expectations.validate import Validator

        try:
            future.set_result(Validator(cfg))
        except BaseException as exc:  # the agent re-raises it where faust reports agent crashes
            future.set_exception(exc)

    _prebuilt = future
    threading.Thread(target=build, name="cxpulse-gx-prebuild", daemon=True).start()


async def _validator(cfg: QualitySettings) -> Validator:
    """The prebuilt validator if :func:`prebuild_validator` ran for these settings, else build one now."""
    global _prebuilt
    future, _prebuilt = _prebuilt, None
    if future is not None:
        validator = await asyncio.wrap_future(future)
        if validator.settings == cfg:
            return validator
    from expectations.validate import Validator

    return await asyncio.to_thread(Validator, cfg)  # imports GX once, off the event loop


def _offset_key(record: Any) -> str:
    return f"{record.message.topic}:{record.message.partition}:{record.message.offset}"


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """Mount the quality agent and the sinks of its two result topics (``dq_results``, ``dlq_events``)."""
    from expectations.records import dlq_record, dlq_tables, dq_result_record, dq_result_tables
    from sinks.agent import register_table_sink

    @app.agent(topics.redacted, name=f"{settings.worker.app_id}.quality")
    async def validate(stream: Any) -> None:
        from expectations.validate import decode

        cfg = settings.quality
        validator = await _validator(cfg)
        # GX's import leaves ~260,000 long-lived objects; every full collection the guard's allocations trigger
        # would walk them all again (GC time per 1,000-event batch: 8 → 2 ms quiet, 19 → 5 ms on a busy machine).
        gc.freeze()
        async for batch in stream.noack_take(cfg.batch_size, within=cfg.batch_window_s):
            now = datetime.now(UTC)
            batch_id = dedup_token(_offset_key(r) for r in batch)
            records = [decode(r.value) for r in batch]
            result = await asyncio.to_thread(validator.validate, records, now=now, batch_id=batch_id)
            deliveries = []
            for passed in result.passed:
                source = batch[passed.position]
                deliveries.append(await topics.validated.send(key=source.key, value=source.value))
            for failed in result.failed:
                source = batch[failed.position]
                payload = dlq_record(failed, batch_id=batch_id, detected_at=now, fallback_id=_offset_key(source))
                deliveries.append(await topics.dlq.send(key=source.key, value=json.dumps(payload).encode()))
            for stat in result.stats:
                payload = dq_result_record(stat, batch_id=batch_id, validated_at=now)
                deliveries.append(
                    await topics.dq_results.send(key=stat.suite.encode(), value=json.dumps(payload).encode())
                )
            await asyncio.gather(*deliveries)
            for record in batch:
                await stream.ack(record)
            if result.failed:
                reasons: dict[str, int] = {}
                for failed in result.failed:
                    reasons[failed.primary.reason] = reasons.get(failed.primary.reason, 0) + 1
                log.warning(
                    "data-quality failures batch=%s events=%d failed=%d reasons=%s duration_ms=%.1f",
                    batch_id[:12],
                    len(batch),
                    len(result.failed),
                    ",".join(f"{k}:{v}" for k, v in sorted(reasons.items())),
                    result.duration_s * 1000,
                )

    register_table_sink(app, settings, topic=topics.dq_results, name="dq_results", build_rows=dq_result_tables)
    register_table_sink(app, settings, topic=topics.dlq, name="dlq_events", build_rows=dlq_tables)
