"""The ClickHouse sink stage: redacted topic → ``events``, ``messages``, ``conversations``.

Offsets are acknowledged only after ClickHouse stored the batch (faust's ``take()`` would ack even when the
write raised, hence ``noack_take``). While ClickHouse is down the sink keeps retrying with backoff and holds
its offsets; nothing is committed that is not stored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError

from cxpulse.settings import Settings
from schemas.events import ConversationEvent
from sinks.clickhouse import make_client
from sinks.errors import SinkBackpressure
from sinks.writer import ClickHouseEventWriter
from streams.topics import Topics

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(app: Any, settings: Settings, topics: Topics) -> None:
    writer = ClickHouseEventWriter(lambda: make_client(settings.clickhouse), settings.sink)

    @app.agent(topics.redacted, name=f"{settings.worker.app_id}.clickhouse-sink")
    async def store(stream: Any) -> None:
        cfg = settings.sink
        async for batch in stream.noack_take(cfg.batch_size, within=cfg.flush_interval_s):
            events: list[ConversationEvent] = []
            for record in batch:
                try:
                    events.append(ConversationEvent.from_json(record.value))
                except ValidationError:
                    # Only our redaction stage writes this topic; a bad record is a bug, not data to drop quietly.
                    log.error(
                        "unparsable record on redacted topic partition=%s offset=%s: skipped",
                        record.message.partition, record.message.offset,
                    )
            while events:
                try:
                    result = await asyncio.to_thread(writer.write, events)
                    log.debug("stored events=%d rows=%s", len(events), result.rows)
                    break
                except SinkBackpressure as exc:
                    log.warning("clickhouse unavailable; holding offsets retry_after_s=%.1f", exc.retry_after)
                    await asyncio.sleep(exc.retry_after)
            for record in batch:
                await stream.ack(record)
