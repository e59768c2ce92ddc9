-- Redaction audit: one row per redacted event (what was found where, by which recogniser, under which config
-- and model), and one row per event that failed closed (id and reason only). Neither table holds any text
-- from a message: entity values are never stored, offsets point into the raw text that stays on the raw topic.
-- ${retention_days}: from cxpulse.toml [retention] clickhouse_days.

CREATE TABLE IF NOT EXISTS redaction_audit
(
    event_id          String,
    conversation_sid  String,
    event_type        LowCardinality(String),
    occurred_at       DateTime64(3, 'UTC'),
    redacted_at       DateTime64(3, 'UTC'),
    fields_scanned    UInt16,
    chars_scanned     UInt32,
    media_count       UInt16,
    entity_count      UInt16,
    entity_types      Array(LowCardinality(String)),
    fields            Array(String),
    starts            Array(UInt32),
    ends              Array(UInt32),
    scores            Array(Float32),
    recognizers       Array(LowCardinality(String)),
    engine            LowCardinality(String),
    model_version     LowCardinality(String),
    config_version    LowCardinality(String),
    latency_ms        Float32,
    batch_size        UInt16,
    stored_at         DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (conversation_sid, event_id)
TTL toDateTime(occurred_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS redaction_failures
(
    event_id          String,
    conversation_sid  String,
    reason            String,
    failed_at         DateTime64(3, 'UTC'),
    stored_at         DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (event_id, reason, failed_at)
TTL toDateTime(failed_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;
