"""The redaction stage: raw topic → redacted topic, in micro-batches, failing closed.

Presidio is CPU-bound and synchronous, so each batch is redacted in a worker thread while the event loop
keeps serving ingest requests. Raw offsets are acknowledged only after every output of the batch (redacted
event or dead-letter) was acknowledged by Kafka: at-least-once, and ClickHouse collapses replays.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cxpulse.settings import Settings
from schemas.events import ConversationEvent
from streams.redact.engine import RedactionError, Redactor
from streams.topics import Topics

__all__ = ["Outcome", "redact_batch", "register"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """Either a redacted event or the reason it could not be redacted (never both)."""

    key: bytes | None
    event: ConversationEvent | None = None
    failure: str | None = None
    event_id: str | None = None


def redact_batch(redactor: Redactor, records: Sequence[tuple[bytes | None, bytes]]) -> list[Outcome]:
    """Redact raw records (key, value); one bad record never holds back the others."""
    outcomes: list[Outcome] = []
    for key, value in records:
        try:
            event = ConversationEvent.from_json(value)
        except ValidationError as exc:
            outcomes.append(Outcome(key, failure=f"undecodable: {exc.error_count()} validation errors"))
            continue
        try:
            outcomes.append(Outcome(key, event=redactor.redact(event), event_id=event.event_id))
        except RedactionError as exc:
            outcomes.append(Outcome(key, failure=str(exc), event_id=event.event_id))
    return outcomes


def _dead_letter(outcome: Outcome, raw_value: bytes) -> bytes:
    """The restricted DLQ keeps the raw record (it may hold PII: same retention as the raw topic)."""
    return json.dumps(
        {"event_id": outcome.event_id, "reason": outcome.failure, "raw": raw_value.decode("utf-8", "replace")}
    ).encode()


def register(app: Any, settings: Settings, topics: Topics) -> None:
    state: dict[str, Redactor] = {}

    async def redactor() -> Redactor:
        if "engine" not in state:
            state["engine"] = await asyncio.to_thread(Redactor, settings.redaction)
        return state["engine"]

    @app.agent(topics.raw, name=f"{settings.worker.app_id}.redact")
    async def redact(stream: Any) -> None:
        cfg = settings.redaction
        async for batch in stream.noack_take(cfg.batch_size, within=cfg.batch_window_s):
            engine = await redactor()
            records = [(event.key, event.value) for event in batch]
            outcomes = await asyncio.to_thread(redact_batch, engine, records)
            deliveries = []
            failed = 0
            for outcome, (_, raw_value) in zip(outcomes, records, strict=True):
                if outcome.event is not None:
                    deliveries.append(
                        await topics.redacted.send(key=outcome.event.key.encode(), value=outcome.event.to_json())
                    )
                else:
                    failed += 1
                    deliveries.append(
                        await topics.redaction_dlq.send(key=outcome.key, value=_dead_letter(outcome, raw_value))
                    )
            await asyncio.gather(*deliveries)
            for event in batch:
                await stream.ack(event)
            if failed:
                log.warning("redaction failed closed events=%d of batch=%d", failed, len(batch))
