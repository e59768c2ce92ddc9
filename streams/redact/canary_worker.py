"""The worker's recall canary: run the shipped canary set through the worker's own analyser, publish the scores.

The canary must measure what redacts real traffic, not a look-alike: it goes through the worker's
:class:`~streams.redact.agent.BatchAnalyser` (the process pool when there is one), in batches of ``batch_size``,
under ``timeout_s``, exactly like raw records, and the engine, model and config versions recorded are those the
analysing processes put in their audits. It runs ``canary_start_delay_s`` after the start, then every
``[redaction] canary_interval_s`` (0 = off). Each run publishes one record per entity type on
``cx.redaction.canary``; the sink stores them in ``redaction_canary``. Records and log lines hold entity types,
counts, recall and versions, never a canary value.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from cxpulse.settings import RedactionSettings, Settings
from sinks.writer import TableRows
from streams.redact.canary import CanarySet, canary_records, load_canary_set, redacted_bodies, score

__all__ = ["CANARY_COLUMNS", "CanaryRecord", "canary_tables", "register", "run_canary", "worker_identity"]

log = logging.getLogger(__name__)

#: Analyses raw records (key, value) and returns outcomes in order: :meth:`BatchAnalyser.outcomes`.
Analyse = Callable[[list[tuple[bytes | None, bytes]]], Awaitable[Sequence[Any]]]


class CanaryRecord(BaseModel):
    """One entity type's result of one canary run (the ``cx.redaction.canary`` record, a ``redaction_canary`` row)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    checked_at: datetime
    entity: str
    gold: int
    leaked: int
    recall: float
    target: float
    below_target: bool
    canary_version: str
    canary_messages: int
    #: Canary messages the analyser could not process (failed closed): their spans count as leaked.
    failed_messages: int
    #: Hard negatives in the canary set and how many of them were changed anyway (over-redaction).
    negatives: int
    negatives_redacted: int
    engine: str
    model_version: str
    config_version: str
    worker_id: str
    host: str
    duration_ms: float

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


CANARY_COLUMNS = tuple(CanaryRecord.model_fields)


def canary_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """Rows builder of the canary sink (``sinks.agent.register_table_sink``)."""
    rows = []
    for value in values:
        try:
            record = CanaryRecord.model_validate_json(value)
        except ValidationError as exc:
            log.error("unparsable redaction canary record skipped errors=%d", exc.error_count())
            continue
        rows.append([getattr(record, column) for column in CANARY_COLUMNS])
    return {"redaction_canary": TableRows(CANARY_COLUMNS, rows)}


def worker_identity(settings: Settings) -> tuple[str, str]:
    """(worker id, host): which worker process measured, so two workers with different configs stay apart."""
    host = socket.gethostname()
    return f"{settings.worker.app_id}@{host}:{os.getpid()}", host


def _versions(outcomes: Sequence[Any], cfg: RedactionSettings) -> tuple[str, str, str]:
    """Engine, model and config versions from the audits the analysing processes wrote (what was measured)."""
    for outcome in outcomes:
        audit = getattr(outcome, "audit", None)
        if audit is not None:
            return audit.engine, audit.model_version, audit.config_version
    from streams.redact.engine import ENGINE_NAME, config_version

    return ENGINE_NAME, "", config_version(cfg)  # every message failed: the model never answered


async def run_canary(
    analyse: Analyse, canary: CanarySet, cfg: RedactionSettings, *, worker_id: str, host: str
) -> list[CanaryRecord]:
    """Redact the canary set through ``analyse`` in batches of ``batch_size`` and score it per entity type."""
    started = time.perf_counter()
    checked_at = datetime.now(UTC)
    records = canary_records(canary, at=checked_at)
    outcomes: list[Any] = []
    for i in range(0, len(records), cfg.batch_size):
        outcomes.extend(await analyse(records[i : i + cfg.batch_size]))
    result = score(canary, redacted_bodies(outcomes), cfg.canary_targets)
    engine, model_version, config = _versions(outcomes, cfg)
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    run_id = uuid.uuid4().hex
    return [
        CanaryRecord(
            run_id=run_id,
            checked_at=checked_at,
            entity=e.entity,
            gold=e.gold,
            leaked=e.leaked,
            recall=round(e.recall, 6),
            target=e.target,
            below_target=e.below_target,
            canary_version=canary.version,
            canary_messages=result.messages,
            failed_messages=result.failed,
            negatives=result.negatives,
            negatives_redacted=result.negatives_redacted,
            engine=engine,
            model_version=model_version,
            config_version=config,
            worker_id=worker_id,
            host=host,
            duration_ms=duration_ms,
        )
        for e in result.entities
    ]


def _summary(rows: Sequence[CanaryRecord]) -> str:
    return " ".join(f"{r.entity}={r.recall:.3f}" for r in rows)


def register(app: Any, settings: Settings, topics: Any, analyser: Any) -> None:
    """Mount the canary task on the worker, using the redaction agent's ``analyser`` (a ``BatchAnalyser``)."""
    cfg = settings.redaction
    if cfg.canary_interval_s <= 0:
        log.info("redaction canary off (canary_interval_s = 0)")
        return
    canary = load_canary_set()

    async def once() -> None:
        await analyser.start()  # after the model is loaded, never before: the first run measures the real thing
        worker_id, host = worker_identity(settings)
        rows = await run_canary(analyser.outcomes, canary, cfg, worker_id=worker_id, host=host)
        deliveries = [await topics.redaction_canary.send(key=worker_id.encode(), value=row.to_json()) for row in rows]
        await asyncio.gather(*deliveries)
        below = [r.entity for r in rows if r.below_target]
        log_method = log.warning if below else log.info
        log_method(
            "redaction canary canary_version=%s config_version=%s model_version=%s messages=%d failed=%d "
            "negatives_redacted=%d/%d below_target=%s recall: %s",
            canary.version,
            rows[0].config_version if rows else "",
            rows[0].model_version if rows else "",
            rows[0].canary_messages if rows else 0,
            rows[0].failed_messages if rows else 0,
            rows[0].negatives_redacted if rows else 0,
            rows[0].negatives if rows else 0,
            ",".join(below) or "none",
            _summary(rows),
        )

    @app.task
    async def redaction_canary() -> None:
        """``canary_start_delay_s`` after the start, then every ``canary_interval_s`` until the worker stops; a
        failed run is logged (error type only) and retried at the next interval."""
        await app.sleep(cfg.canary_start_delay_s)  # the backlog of a restart first
        while not app.should_stop:
            try:
                await once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the canary must never take the worker down
                log.error("redaction canary run failed error=%s", type(exc).__name__)
            await app.sleep(cfg.canary_interval_s)  # returns early when the worker starts stopping
