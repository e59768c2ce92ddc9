"""The Faust application: one worker process hosts redaction, the stages and the ClickHouse sink, and ingest too
while ``[worker] ingest`` is on (else ``cxpulse ingest`` processes take the posts and the worker's web server,
on ``[worker] health_port``, answers only ``/health/processing``).

Scale out by running more ``cxpulse worker`` processes (each with its own web port): Kafka partitions,
keyed by ConversationSid, spread conversations over them.
"""

from __future__ import annotations

import asyncio

import faust

from cxpulse.kafka_auth import faust_credentials
from cxpulse.settings import Settings
from sinks import agent as sink_agent
from streams import faust_guards, ingest
from streams import qa as qa_agent
from streams import quality as quality_agent
from streams.prompt_tables import PromptTableManager
from streams.redact import agent as redact_agent
from streams.sla import agent as sla_agent
from streams.topics import Topics

__all__ = ["create_app"]


def create_app(settings: Settings) -> faust.App:
    """Build the worker app from settings: topics, the ingest views (with ``[worker] ingest``), the processing
    health check and every stage's agents."""
    faust_guards.install(settings.worker.stop_wait_s, settings.kafka.metadata_retry_backoff_s)
    app = faust.App(
        settings.worker.app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        # the worker principal: the only one allowed to read raw text and write cx.events.redacted (streams/acls.py)
        broker_credentials=faust_credentials(settings, "worker"),
        store=settings.worker.store,
        datadir=str(settings.worker_data_path()),
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.kafka.session_timeout_s,
        broker_heartbeat_interval=settings.kafka.heartbeat_interval_s,
        broker_rebalance_timeout=settings.kafka.rebalance_timeout_s,
        consumer_metadata_max_age_ms=int(settings.kafka.metadata_max_age_s * 1000),
        consumer_group_instance_id=settings.group_instance_id(),
        TableManager=PromptTableManager,  # every table is declared below, before the start: no start-up nap
        broker_commit_interval=settings.kafka.commit_interval_s,
        web_enabled=True,
        web_bind=settings.ingest.host if settings.worker.ingest else settings.worker.health_host,
        web_host=settings.ingest.host if settings.worker.ingest else settings.worker.health_host,
        web_port=settings.worker_port(),
        **ingest.BUILTIN_WEB_VIEWS_OFF,  # the ingest port is public: no /table, /router, statistics or graph
    )
    topics = Topics.declare(app, settings)

    async def produce_raw(events: list) -> None:
        deliveries = [await topics.raw.send(key=e.key.encode(), value=e.to_json()) for e in events]
        for delivery in deliveries:
            # Shielded: when ingest stops waiting (Kafka too slow, 503 and Twilio retries), cancelling the delivery
            # itself made faust's delivery callback log a traceback per post during a broker outage. A delivery
            # that completes later is harmless: Twilio's retry is the same event, the same natural-key id.
            await asyncio.shield(delivery)

    raw_topic_known = asyncio.Event()

    async def raw_topic_ready() -> bool:
        """Whether the producer knows the raw topic's partitions (a post can be produced without waiting on
        metadata, which could miss Twilio's 5 s deadline). Asked by the health probe, at most ~1 s each."""
        if not raw_topic_known.is_set():
            try:
                producer = app.producer._ensure_producer()  # the aiokafka producer: faust has no public accessor
                await asyncio.wait_for(producer.partitions_for(topics.raw.get_topic_name()), timeout=1.0)
                raw_topic_known.set()
            except Exception:  # noqa: BLE001 - not started, no metadata yet, broker away: all mean "not yet"
                return False
        return True

    def processing_state() -> tuple[int, bool]:
        """(partitions assigned, tables still recovering): processing is back only when both allow it."""
        try:
            assigned = len(app.consumer.assignment())
        except Exception:  # noqa: BLE001 - before the consumer exists there is nothing assigned
            return 0, False
        return assigned, bool(app.in_recovery or app.rebalancing)

    if settings.worker.ingest:
        ingest.register_views(
            app,
            lambda: ingest.IngestService(settings, produce_raw),
            ready=raw_topic_ready,
            processing=processing_state,
            counters_log_interval_s=settings.ingest.counters_log_interval_s,
        )
    else:
        ingest.register_processing_health(app, processing_state)
    redact_agent.register(app, settings, topics, prestart=True)  # the model loads while the worker boots
    redact_agent.register_sinks(app, settings, topics)
    quality_agent.register(app, settings, topics)
    sink_agent.register(app, settings, topics)
    if settings.sla.enabled:
        sla_agent.register(app, settings, topics)
    if settings.qa.enabled:
        qa_agent.register(app, settings, topics)
    return app
