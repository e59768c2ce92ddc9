"""``cxpulse report redaction``: is every received message scanned, what was found, under which config.

Compliance needs one document that proves redaction was complete over a period. The numbers come from
ClickHouse only (never from a topic), so they can be checked with a direct count:

- **received**: distinct event ids of the period that carried text to scan: ``events`` rows with a body or an
  author (by ``occurred_at``), plus the ids in ``redaction_failures`` (by ``failed_at``: a failed event never
  reaches ``events``).
- **scanned**: the received ids that have a ``redaction_audit`` row (at any time: the audit of an event near
  the period's edge may be stamped differently, membership is what matters).
- **gap**: received ids without an audit row, each either *failed closed* (it has a ``redaction_failures`` row:
  held on the restricted DLQ, never sent downstream) or *missing* (neither: investigate).

Entities over time, versions in force and failure reasons are read for the same period, and the **recall
canary** (``canary_report``): per entity type, the latest leak-free recall on the shipped labelled canary set at or
before the period's end, against its target. Every query reads ids, entity types, counts, reasons and versions
only: no table read here holds message text, so no report can leak PII.
All SQL is below as named constants with server-side parameters; rendering lives in ``report_render``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cxpulse.errors import CxpulseError
from cxpulse.settings import Settings
from sinks.clickhouse import Client
from streams.redact.canary_report import CanaryEntity, load_canary

__all__ = [
    "COVERAGE",
    "ENTITIES_OVER_TIME",
    "FAILED_TOTAL",
    "FAILURE_REASONS",
    "GAP",
    "VERSIONS",
    "Coverage",
    "EntityBucket",
    "FailureReason",
    "GapEvent",
    "RedactionReport",
    "ReportInputError",
    "VersionSpan",
    "bucket_seconds",
    "build_report",
    "parse_moment",
    "run_report",
]

log = logging.getLogger(__name__)

#: The received population of the period: (event_id, conversation_sid, at), one row per event id.
_RECEIVED = """
received AS (
    SELECT event_id, any(conversation_sid) AS conversation_sid, min(at) AS at
    FROM (
        SELECT event_id, conversation_sid, occurred_at AS at FROM events
        WHERE occurred_at >= {since:DateTime64(3)} AND occurred_at < {until:DateTime64(3)}
          AND (body IS NOT NULL OR author != '')
        UNION ALL
        SELECT event_id, conversation_sid, failed_at AS at FROM redaction_failures
        WHERE failed_at >= {since:DateTime64(3)} AND failed_at < {until:DateTime64(3)} AND event_id != ''
    )
    GROUP BY event_id
),
audited AS (SELECT DISTINCT event_id FROM redaction_audit),
failed AS (SELECT DISTINCT event_id FROM redaction_failures WHERE event_id != '')
"""
COVERAGE = (
    "WITH "
    + _RECEIVED
    + """
SELECT count() AS received,
       countIf(event_id IN audited) AS scanned,
       countIf(event_id NOT IN audited AND event_id IN failed) AS failed_closed,
       countIf(event_id NOT IN audited AND event_id NOT IN failed) AS missing
FROM received
"""
)
GAP = (
    "WITH "
    + _RECEIVED
    + """
SELECT event_id, conversation_sid, at, if(event_id IN failed, 'failed closed', 'missing') AS status
FROM received
WHERE event_id NOT IN audited
ORDER BY at, event_id
LIMIT {limit:UInt32}
"""
)
ENTITIES_OVER_TIME = """
SELECT toStartOfInterval(occurred_at, toIntervalSecond({bucket_s:UInt32})) AS bucket,
       entity_type, count() AS entities, uniqExact(event_id) AS events
FROM redaction_audit FINAL
ARRAY JOIN entity_types AS entity_type
WHERE occurred_at >= {since:DateTime64(3)} AND occurred_at < {until:DateTime64(3)}
GROUP BY bucket, entity_type
ORDER BY bucket, entity_type
"""
#: An event may fail with several reasons (e.g. a timeout, then an error on replay): counted once in the total.
FAILED_TOTAL = """
SELECT uniqExactIf(event_id, event_id != '') AS events, countIf(event_id = '') AS without_id
FROM redaction_failures FINAL
WHERE failed_at >= {since:DateTime64(3)} AND failed_at < {until:DateTime64(3)}
"""
FAILURE_REASONS = """
SELECT reason, uniqExactIf(event_id, event_id != '') + countIf(event_id = '') AS events,
       min(failed_at) AS first_at, max(failed_at) AS last_at
FROM redaction_failures FINAL
WHERE failed_at >= {since:DateTime64(3)} AND failed_at < {until:DateTime64(3)}
GROUP BY reason
ORDER BY events DESC, reason
"""
VERSIONS = """
SELECT engine, model_version, config_version, uniqExact(event_id) AS events,
       min(redacted_at) AS first_at, max(redacted_at) AS last_at
FROM redaction_audit
WHERE occurred_at >= {since:DateTime64(3)} AND occurred_at < {until:DateTime64(3)}
GROUP BY engine, model_version, config_version
ORDER BY first_at, config_version
"""

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_HOUR_S = 3600
_DAY_S = 86400


class ReportInputError(CxpulseError, ValueError):
    """A report option the user can fix (bad time, empty period): the CLI prints it and exits with 2."""


def parse_moment(value: str, *, now: datetime, option: str = "--since") -> datetime:
    """``30s`` / ``15m`` / ``24h`` / ``7d`` / ``2w`` (that long before ``now``) or an ISO 8601 time (UTC if naive).

    :raises ReportInputError: anything else, with the accepted forms in the message.
    """
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ReportInputError(
            f"{option} must be a relative time like 30s, 15m, 24h, 7d, 2w or an ISO 8601 time such as "
            f"2026-11-25 or 2026-11-25T10:00:00Z, got {value!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def bucket_seconds(since: datetime, until: datetime, *, hourly_max_h: float) -> int:
    """Hourly buckets for spans up to ``hourly_max_h`` hours (a day reads well by hour), daily beyond."""
    return _HOUR_S if until - since <= timedelta(hours=hourly_max_h) else _DAY_S


@dataclass(frozen=True)
class Coverage:
    received: int
    scanned: int
    failed_closed: int
    missing: int

    @property
    def not_scanned(self) -> int:
        return self.received - self.scanned

    @property
    def complete(self) -> bool:
        """100% means every received message has an audit row; an empty period is vacuously complete."""
        return self.not_scanned == 0

    @property
    def ratio(self) -> float:
        return 1.0 if self.received == 0 else self.scanned / self.received


@dataclass(frozen=True)
class GapEvent:
    event_id: str
    conversation_sid: str
    at: datetime
    #: ``failed closed`` (on the restricted DLQ, never downstream) or ``missing`` (no audit, no failure).
    status: str


@dataclass(frozen=True)
class EntityBucket:
    start: datetime
    entity_type: str
    entities: int
    events: int


@dataclass(frozen=True)
class FailureReason:
    reason: str
    events: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class VersionSpan:
    engine: str
    model_version: str
    config_version: str
    events: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class RedactionReport:
    """Everything the renderers need; plain data, so renderers are pure and testable on fixed values."""

    since: datetime
    until: datetime
    generated_at: datetime
    #: Width of an entity bucket in seconds (3600 or 86400).
    bucket_s: int
    coverage: Coverage
    gap: tuple[GapEvent, ...]
    #: ``gap`` holds at most this many events (``coverage.not_scanned`` says how many there are).
    gap_limit: int
    entities: tuple[EntityBucket, ...]
    failed_closed: int
    #: Dead-letter records without an event id (undecodable raw records): also failed closed.
    failed_without_id: int
    failure_reasons: tuple[FailureReason, ...]
    versions: tuple[VersionSpan, ...]
    #: Latest recall canary result per entity type at or before ``until`` (empty: no run recorded).
    canary: tuple[CanaryEntity, ...] = ()

    @property
    def canary_below_target(self) -> tuple[CanaryEntity, ...]:
        return tuple(c for c in self.canary if c.below_target)

    @property
    def passed(self) -> bool:
        """Coverage is 100% and no entity type is below its canary target: the report's exit code 0."""
        return self.coverage.complete and not self.canary_below_target

    @property
    def bucket_name(self) -> str:
        return "hour" if self.bucket_s == _HOUR_S else "day"

    def entity_totals(self) -> dict[str, int]:
        """Entities per type over the whole period, most frequent first."""
        totals: dict[str, int] = {}
        for b in self.entities:
            totals[b.entity_type] = totals.get(b.entity_type, 0) + b.entities
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def build_report(
    client: Client,
    since: datetime,
    until: datetime,
    *,
    hourly_max_h: float,
    gap_limit: int,
    now: datetime | None = None,
) -> RedactionReport:
    """Run every query for ``[since, until)`` and return plain data."""
    if since >= until:
        raise ReportInputError(f"--since ({since.isoformat()}) must be before --until ({until.isoformat()})")
    bucket_s = bucket_seconds(since, until, hourly_max_h=hourly_max_h)
    params: dict[str, object] = {
        "since": since.astimezone(UTC).replace(tzinfo=None),
        "until": until.astimezone(UTC).replace(tzinfo=None),
    }

    def rows(sql: str, **extra: object) -> Sequence[Sequence[object]]:
        return client.query(sql, parameters={**params, **extra}).result_rows

    received, scanned, failed_closed, missing = rows(COVERAGE)[0]
    failed_total, without_id = rows(FAILED_TOTAL)[0]
    report = RedactionReport(
        since=since,
        until=until,
        generated_at=now or datetime.now(UTC),
        bucket_s=bucket_s,
        coverage=Coverage(int(received), int(scanned), int(failed_closed), int(missing)),
        gap=tuple(GapEvent(str(e), str(c), _utc(a), str(s)) for e, c, a, s in rows(GAP, limit=gap_limit)),
        gap_limit=gap_limit,
        entities=tuple(
            EntityBucket(_utc(b), str(t), int(n), int(ev))
            for b, t, n, ev in rows(ENTITIES_OVER_TIME, bucket_s=bucket_s)
        ),
        failed_closed=int(failed_total),
        failed_without_id=int(without_id),
        failure_reasons=tuple(
            FailureReason(str(r), int(n), _utc(f), _utc(la)) for r, n, f, la in rows(FAILURE_REASONS)
        ),
        versions=tuple(
            VersionSpan(str(e), str(m), str(c), int(n), _utc(f), _utc(la)) for e, m, c, n, f, la in rows(VERSIONS)
        ),
        canary=load_canary(client, until),
    )
    log.info(
        "redaction report since=%s until=%s received=%d scanned=%d failed_closed=%d missing=%d",
        since.isoformat(),
        until.isoformat(),
        report.coverage.received,
        report.coverage.scanned,
        report.coverage.failed_closed,
        report.coverage.missing,
    )
    if report.canary_below_target:
        log.info(
            "redaction report recall canary below target entities=%s",
            ",".join(c.entity for c in report.canary_below_target),
        )
    return report


def run_report(
    settings: Settings, *, since: str, until: str | None, fmt: str, output: Path | None, gap_limit: int | None = None
) -> int:
    """The command: parse the period (before touching ClickHouse), query, render, write.

    :returns: 0 when coverage is 100% and every entity type meets its recall canary target; 1 when some received
        message was not scanned or the latest canary run has an entity type below target (so scripts can alert).
    """
    from clickhouse_connect.driver.exceptions import DatabaseError

    from sinks.clickhouse import make_client
    from streams.redact.report_render import RENDERERS

    now = datetime.now(UTC)
    start = parse_moment(since, now=now, option="--since")
    end = now if until is None else parse_moment(until, now=now, option="--until")
    if start >= end:
        raise ReportInputError(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})")
    limit = settings.redaction.report_gap_limit if gap_limit is None else gap_limit
    if limit < 0:
        raise ReportInputError(f"--gap-limit must be 0 or more, got {limit}")
    client = make_client(settings.clickhouse)
    try:
        report = build_report(
            client, start, end, hourly_max_h=settings.redaction.report_hourly_max_h, gap_limit=limit, now=now
        )
    except DatabaseError as exc:
        if "UNKNOWN_TABLE" not in str(exc):
            raise
        raise ReportInputError(
            f"ClickHouse database {settings.clickhouse.database!r} lacks the redaction tables: run "
            "`cxpulse migrate` (the worker also migrates at start)"
        ) from None
    finally:
        client.close()
    text = RENDERERS[fmt](report)
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        output.write_text(text, encoding="utf-8")
        log.info("redaction report written path=%s format=%s", output, fmt)
    return 0 if report.passed else 1
