"""What the data-quality stage writes to Kafka (DLQ records, result records) and how they become rows.

Pure functions: the agent in :mod:`streams.quality` produces these payloads; the table sinks registered
there store them with :func:`dq_result_tables` and :func:`dlq_tables`.

A DLQ record carries the (already redacted) event so it can be repaired and replayed; its ClickHouse row
does not: ``dlq_events`` holds the reason, ids, type and times, never text. An event that claims not to be
redacted is never copied into the DLQ record at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from expectations.results import ExpectationStat, FailedEvent
from sinks.writer import TableRows

__all__ = [
    "DLQ_COLUMNS",
    "DQ_RESULT_COLUMNS",
    "dlq_record",
    "dlq_tables",
    "dq_result_record",
    "dq_result_tables",
]

log = logging.getLogger(__name__)

DQ_RESULT_COLUMNS = (
    "batch_id",
    "validated_at",
    "suite",
    "expectation",
    "expectation_type",
    "success",
    "evaluated",
    "unexpected_count",
    "sample_event_ids",
    "duration_ms",
)
DLQ_COLUMNS = (
    "event_id",
    "detected_at",
    "batch_id",
    "reason",
    "suite",
    "expectation",
    "message",
    "failures",
    "event_type",
    "conversation_sid",
    "occurred_at",
)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def dlq_record(failed: FailedEvent, *, batch_id: str, detected_at: datetime, fallback_id: str) -> dict[str, Any]:
    """The ``cx.events.dlq`` payload for one failed event.

    :param fallback_id: the id to use when the record has no usable ``event_id`` (e.g. ``topic:partition:offset``).
    """
    primary = failed.primary
    event_id = failed.field("event_id")
    redacted = failed.record is not None and failed.record.get("redacted") is True
    return {
        "event_id": event_id if isinstance(event_id, str) and event_id else fallback_id,
        "detected_at": detected_at.isoformat(),
        "batch_id": batch_id,
        "reason": primary.reason,
        "suite": primary.suite,
        "expectation": primary.expectation,
        "message": primary.message,
        "failures": [
            {"suite": f.suite, "expectation": f.expectation, "reason": f.reason, "message": f.message}
            for f in failed.failures
        ],
        "event_type": _text(failed.field("event_type")),
        "conversation_sid": _text(failed.field("conversation_sid")),
        "occurred_at": _text(failed.field("occurred_at")) or None,
        "event": dict(failed.record) if redacted and failed.record is not None else None,
    }


def dq_result_record(stat: ExpectationStat, *, batch_id: str, validated_at: datetime) -> dict[str, Any]:
    """The ``cx.dq.results`` payload for one expectation evaluated on one batch."""
    return {
        "batch_id": batch_id,
        "validated_at": validated_at.isoformat(),
        "suite": stat.suite,
        "expectation": stat.expectation,
        "expectation_type": stat.expectation_type,
        "success": stat.success,
        "evaluated": stat.evaluated,
        "unexpected_count": stat.unexpected_count,
        "sample_event_ids": list(stat.sample_event_ids),
        "duration_ms": round(stat.duration_ms, 3),
    }


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _records(values: Sequence[bytes], what: str) -> list[Mapping[str, Any]]:
    parsed: list[Mapping[str, Any]] = []
    for value in values:
        try:
            record = json.loads(value)
        except ValueError:
            record = None
        if isinstance(record, Mapping):
            parsed.append(record)
        else:  # only the quality stage writes these topics: a bad record is a bug; never print it
            log.error("unparsable %s record skipped bytes=%d", what, len(value))
    return parsed


def dq_result_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """Rows builder of the ``dq_results`` sink."""
    rows = [
        [
            r["batch_id"],
            _timestamp(r["validated_at"]),
            r["suite"],
            r["expectation"],
            r["expectation_type"],
            int(bool(r["success"])),
            int(r["evaluated"]),
            int(r["unexpected_count"]),
            [str(e) for e in r.get("sample_event_ids", [])],
            float(r["duration_ms"]),
        ]
        for r in _records(values, "dq result")
    ]
    return {"dq_results": TableRows(DQ_RESULT_COLUMNS, rows)}


def dlq_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """Rows builder of the ``dlq_events`` sink: reasons and ids only, never the event's text."""
    rows = [
        [
            r["event_id"],
            _timestamp(r["detected_at"]),
            r["batch_id"],
            r["reason"],
            r["suite"],
            r["expectation"],
            r["message"],
            [f"{f['suite']}/{f['expectation']}:{f['reason']}" for f in r.get("failures", [])],
            _text(r.get("event_type")),
            _text(r.get("conversation_sid")),
            _timestamp(r.get("occurred_at")),
        ]
        for r in _records(values, "dlq")
    ]
    return {"dlq_events": TableRows(DLQ_COLUMNS, rows)}
