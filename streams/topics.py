"""Every Kafka topic cxpulse uses: explicit creation (never broker auto-creation) and Faust declarations.

Values travel as canonical-event JSON bytes; each stage parses them with :class:`schemas.events.ConversationEvent`
itself, so a malformed record becomes a dead-letter with a reason instead of a crash inside Faust's codec.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import faust
from confluent_kafka.admin import AdminClient, NewTopic

from cxpulse.errors import CxpulseError
from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import Settings
from schemas import topics as names

__all__ = ["TopicError", "Topics", "ensure_topics", "topic_configs"]

log = logging.getLogger(__name__)

_MS_PER_HOUR = 3_600_000
_ADMIN_TIMEOUT_S = 30


class TopicError(CxpulseError):
    """A topic could not be created or has the wrong shape."""


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """Full topic name → topic-level config. Topics holding raw text get the short raw retention."""
    raw_retention = str(settings.retention.raw_topic_hours * _MS_PER_HOUR)
    restricted = {"retention.ms": raw_retention}
    return {
        settings.topic(names.RAW): restricted,
        settings.topic(names.REDACTION_DLQ): restricted,
        settings.topic(names.REDACTED): {},
        settings.topic(names.REDACTION_AUDIT): {},
        settings.topic(names.REDACTION_CANARY): {},
        settings.topic(names.DLQ): {},
        settings.topic(names.SLA_RESPONSES): {},
        settings.topic(names.SLA_CONVERSATIONS): {},
        settings.topic(names.SLA_LIVE): {},
        settings.topic(names.SLA_WINDOW_INPUTS): {},
        settings.topic(names.SLA_WINDOWS): {},
        settings.topic(names.VALIDATED): {},
        settings.topic(names.DQ_RESULTS): {},
        settings.topic(names.QA_SAMPLES): {},
        settings.topic(names.SINK_DLQ): {},
    }


def ensure_topics(settings: Settings) -> list[str]:
    """Create missing topics with the configured partitions, then (as the admin principal, with SASL) the ACL set
    of :mod:`streams.acls`; returns the names created. A process with a deployment's non-admin identity only
    checks that the topics exist: creating them and the ACLs is ``cxpulse kafka setup``'s job, run as admin."""
    admin = AdminClient(confluent_config(settings, "admin"))
    existing = admin.list_topics(timeout=_ADMIN_TIMEOUT_S).topics
    wanted = topic_configs(settings)
    missing = [
        NewTopic(
            name,
            num_partitions=settings.kafka.partitions,
            replication_factor=settings.kafka.replication_factor,
            config=config,
        )
        for name, config in wanted.items()
        if name not in existing
    ]
    created: list[str] = []
    if missing:
        for name, future in admin.create_topics(missing, operation_timeout=_ADMIN_TIMEOUT_S).items():
            try:
                future.result()
                created.append(name)
            except Exception as exc:  # noqa: BLE001 - "already exists" from a racing worker is fine
                if "AUTHORIZATION_FAILED" in str(exc):
                    raise TopicError(
                        f"could not create topic {name}: this Kafka principal may not create topics; "
                        "run `cxpulse kafka setup` as the admin principal first"
                    ) from exc
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise TopicError(f"could not create topic {name}: {exc}") from exc
    for name in wanted:
        partitions = existing[name].partitions if name in existing else None
        if partitions is not None and len(partitions) != settings.kafka.partitions:
            log.warning(
                "topic=%s has partitions=%d but settings say %d; keeping the existing count",
                name,
                len(partitions),
                settings.kafka.partitions,
            )
    if created:
        log.info("created topics=%s partitions=%d", ",".join(created), settings.kafka.partitions)
    from streams.acls import ensure_acls, should_apply_acls  # acls builds on topic_configs above

    if should_apply_acls(settings):
        ensure_acls(settings)
    return created


@dataclass(frozen=True)
class Topics:
    """The Faust topic objects of one app, declared once in :func:`streams.app.create_app`."""

    raw: faust.TopicT
    redacted: faust.TopicT
    redaction_audit: faust.TopicT
    redaction_canary: faust.TopicT
    redaction_dlq: faust.TopicT
    dlq: faust.TopicT
    validated: faust.TopicT
    dq_results: faust.TopicT
    sla_responses: faust.TopicT
    sla_conversations: faust.TopicT
    sla_live: faust.TopicT
    sla_window_inputs: faust.TopicT
    sla_windows: faust.TopicT
    qa_samples: faust.TopicT
    sink_dlq: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App, settings: Settings) -> Topics:
        def topic(name: str) -> faust.TopicT:
            return app.topic(
                settings.topic(name),
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.kafka.partitions,
            )

        return cls(
            raw=topic(names.RAW),
            redacted=topic(names.REDACTED),
            redaction_audit=topic(names.REDACTION_AUDIT),
            redaction_canary=topic(names.REDACTION_CANARY),
            redaction_dlq=topic(names.REDACTION_DLQ),
            dlq=topic(names.DLQ),
            validated=topic(names.VALIDATED),
            dq_results=topic(names.DQ_RESULTS),
            sla_responses=topic(names.SLA_RESPONSES),
            sla_conversations=topic(names.SLA_CONVERSATIONS),
            sla_live=topic(names.SLA_LIVE),
            sla_window_inputs=topic(names.SLA_WINDOW_INPUTS),
            sla_windows=topic(names.SLA_WINDOWS),
            qa_samples=topic(names.QA_SAMPLES),
            sink_dlq=topic(names.SINK_DLQ),
        )
