"""The audit record of one redacted event: what was found where, by whom, under which config. Never text.

Records travel as JSON on ``cx.redaction.audit`` and land in ClickHouse ``redaction_audit``; failures travel on
the restricted ``cx.redaction.dlq`` and only their event id and reason land in ``redaction_failures``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from sinks.writer import TableRows

__all__ = [
    "AUDIT_COLUMNS",
    "FAILURE_COLUMNS",
    "AuditFinding",
    "RedactionAudit",
    "audit_tables",
    "failure_tables",
]

log = logging.getLogger(__name__)


class AuditFinding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: ``body``, ``author`` or ``attributes.<path>``: where in the event the entity was.
    field: str
    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str


class RedactionAudit(BaseModel):
    """Everything compliance needs to show an event was scanned, and nothing an attacker could use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    conversation_sid: str
    event_type: str
    occurred_at: datetime
    redacted_at: datetime
    fields_scanned: int
    chars_scanned: int
    #: Media are counted, never fetched: their content is not scanned.
    media_count: int
    findings: tuple[AuditFinding, ...] = ()
    engine: str
    model_version: str
    config_version: str
    #: Batch analysis time divided by the batch's events (the batch is analysed as one unit).
    latency_ms: float
    batch_size: int

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


AUDIT_COLUMNS = (
    "event_id",
    "conversation_sid",
    "event_type",
    "occurred_at",
    "redacted_at",
    "fields_scanned",
    "chars_scanned",
    "media_count",
    "entity_count",
    "entity_types",
    "fields",
    "starts",
    "ends",
    "scores",
    "recognizers",
    "engine",
    "model_version",
    "config_version",
    "latency_ms",
    "batch_size",
)
FAILURE_COLUMNS = ("event_id", "conversation_sid", "reason", "failed_at")


def audit_row(audit: RedactionAudit) -> list[object]:
    f = audit.findings
    return [
        audit.event_id,
        audit.conversation_sid,
        audit.event_type,
        audit.occurred_at,
        audit.redacted_at,
        audit.fields_scanned,
        audit.chars_scanned,
        audit.media_count,
        len(f),
        [x.entity_type for x in f],
        [x.field for x in f],
        [x.start for x in f],
        [x.end for x in f],
        [x.score for x in f],
        [x.recognizer for x in f],
        audit.engine,
        audit.model_version,
        audit.config_version,
        audit.latency_ms,
        audit.batch_size,
    ]


def audit_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """Rows builder of the audit sink (``sinks.agent.register_table_sink``)."""
    rows = []
    for value in values:
        try:
            rows.append(audit_row(RedactionAudit.model_validate_json(value)))
        except ValidationError as exc:
            log.error("unparsable redaction audit record skipped errors=%d", exc.error_count())
    return {"redaction_audit": TableRows(AUDIT_COLUMNS, rows)}


def _parse_time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return datetime.now(UTC)


def failure_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """Rows builder of the fail-closed counter: the DLQ record's id and reason only, never its ``raw`` field."""
    rows = []
    for value in values:
        try:
            record = json.loads(value)
        except ValueError:
            record = {}
        if not isinstance(record, dict):
            record = {}
        rows.append(
            [
                str(record.get("event_id") or ""),
                str(record.get("conversation_sid") or ""),
                str(record.get("reason") or "unreadable dead-letter record"),
                _parse_time(record.get("failed_at")),
            ]
        )
    return {"redaction_failures": TableRows(FAILURE_COLUMNS, rows)}
