"""The recall canary's latest figures for the Compliance page and ``cxpulse report redaction``.

Coverage shows every message was scanned; the canary shows how much of the PII in its labelled messages the
scan removed (docs/redaction.md "Recall canary"). For each entity type this reads the latest canary run at or
before the end of the period and the run before it, so a reader sees the recall, its target, whether it is
below, and whether a config change came with a drop. Plain data and SQL only: the renderers and the page show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sinks.clickhouse import Client

__all__ = ["CANARY_LATEST", "CanaryEntity", "canary_status", "load_canary"]

#: The two newest runs per entity type at or before ``until`` (newest first).
CANARY_LATEST = """
SELECT entity, run_id, checked_at, gold, leaked, recall, target, config_version, model_version, engine,
       canary_version, worker_id, failed_messages, negatives, negatives_redacted
FROM redaction_canary FINAL
WHERE checked_at <= {until:DateTime64(3)}
ORDER BY entity, checked_at DESC, run_id DESC
LIMIT 2 BY entity
"""


@dataclass(frozen=True)
class CanaryEntity:
    """One entity type's latest canary run, with the run before it (if any) for comparison."""

    entity: str
    checked_at: datetime
    gold: int
    leaked: int
    recall: float
    #: The target the measuring worker had (``[redaction.canary_targets]`` at that time).
    target: float
    config_version: str
    model_version: str
    engine: str
    canary_version: str
    worker_id: str
    failed_messages: int
    negatives: int
    negatives_redacted: int
    previous_recall: float | None = None
    previous_config_version: str | None = None
    previous_checked_at: datetime | None = None

    @property
    def below_target(self) -> bool:
        return self.recall < self.target

    @property
    def config_changed(self) -> bool:
        return self.previous_config_version is not None and self.previous_config_version != self.config_version

    @property
    def dropped_after_config_change(self) -> bool:
        """The redaction config changed since the previous run and recall fell: the change is the first suspect."""
        return self.config_changed and self.previous_recall is not None and self.recall < self.previous_recall


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_canary(client: Client, until: datetime) -> tuple[CanaryEntity, ...]:
    """The latest canary result per entity type at or before ``until``, entity types in name order."""
    result = client.query(CANARY_LATEST, parameters={"until": until.astimezone(UTC).replace(tzinfo=None)})
    latest: dict[str, CanaryEntity] = {}
    for row in result.named_results():
        name = str(row["entity"])
        if name in latest:  # the second row of an entity is the run before
            latest[name] = replace(
                latest[name],
                previous_recall=float(row["recall"]),
                previous_config_version=str(row["config_version"]),
                previous_checked_at=_utc(row["checked_at"]),
            )
            continue
        latest[name] = CanaryEntity(
            entity=name,
            checked_at=_utc(row["checked_at"]),
            gold=int(row["gold"]),
            leaked=int(row["leaked"]),
            recall=float(row["recall"]),
            target=float(row["target"]),
            config_version=str(row["config_version"]),
            model_version=str(row["model_version"]),
            engine=str(row["engine"]),
            canary_version=str(row["canary_version"]),
            worker_id=str(row["worker_id"]),
            failed_messages=int(row["failed_messages"]),
            negatives=int(row["negatives"]),
            negatives_redacted=int(row["negatives_redacted"]),
        )
    return tuple(latest[name] for name in sorted(latest))


def canary_status(canary: Sequence[CanaryEntity]) -> str:
    """One sentence: is any entity type below its target on the latest canary run?"""
    if not canary:
        return "RECALL CANARY: no canary run recorded (is [redaction] canary_interval_s 0?)."
    below = [c for c in canary if c.below_target]
    if not below:
        return f"RECALL CANARY: every entity type at or above its target ({len(canary)} types)."
    listed = ", ".join(f"{c.entity} {c.recall:.1%} < {c.target:.1%}" for c in below)
    return f"RECALL CANARY: {len(below)} of {len(canary)} entity types below target: {listed}."
