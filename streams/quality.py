"""The data-quality stage: ``cx.events.redacted`` → ``cx.events.validated`` | ``cx.events.dlq`` (+ results).

A thin agent around :class:`expectations.validate.Validator`: take a micro-batch without acking it, validate it
in the data-quality process (:mod:`streams.quality_runner`: GX runs there, not in the worker), produce every
passing event (its original bytes, unchanged) to the validated topic, every failing one to the DLQ with its
reasons, one result record per expectation to ``cx.dq.results``, and ack the input offsets only after Kafka
acknowledged all of those outputs. A replay after a crash re-validates the same records; the sinks collapse the
repeats (stable event ids and batch ids).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

from cxpulse.settings import Settings
from sinks.writer import dedup_token
from streams.quality_runner import runner_for
from streams.topics import Topics

__all__ = ["register"]

log = logging.getLogger(__name__)


def _offset_key(record: Any) -> str:
    return f"{record.message.topic}:{record.message.partition}:{record.message.offset}"


def register(app: Any, settings: Settings, topics: Topics) -> None:
    """Mount the quality agent and the sinks of its two result topics (``dq_results``, ``dlq_events``)."""
    from expectations.records import dlq_record, dlq_tables, dq_result_record, dq_result_tables
    from sinks.agent import register_table_sink

    @app.agent(topics.redacted, name=f"{settings.worker.app_id}.quality")
    async def validate(stream: Any) -> None:
        cfg = settings.quality
        runner = runner_for(cfg)
        try:
            async for batch in stream.noack_take(cfg.batch_size, within=cfg.batch_window_s):
                now = datetime.now(UTC)
                batch_id = dedup_token(_offset_key(r) for r in batch)
                result = await runner.validate([r.value for r in batch], now, batch_id)
                deliveries = []
                for position in result.passed:
                    source = batch[position]
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
        finally:
            runner.close()  # its validation process ends with the agent

    register_table_sink(app, settings, topic=topics.dq_results, name="dq_results", build_rows=dq_result_tables)
    register_table_sink(app, settings, topic=topics.dlq, name="dlq_events", build_rows=dlq_tables)
