-- Data-quality guard (docs/data-quality.md): one row per expectation evaluated on a micro-batch, and one row
-- per event the guard sent to the dead-letter topic. Neither table holds message text.
-- Idempotency: batch_id is derived from the batch's Kafka offsets, so a replayed batch of the same records
-- collapses onto its first rows; dlq_events collapses on event_id.
-- ${retention_days}: from cxpulse.toml [retention] clickhouse_days.

CREATE TABLE IF NOT EXISTS dq_results
(
    batch_id          String,
    validated_at      DateTime64(3, 'UTC'),
    suite             LowCardinality(String),
    expectation       LowCardinality(String),
    expectation_type  LowCardinality(String),
    success           UInt8,
    evaluated         UInt32,
    unexpected_count  UInt32,
    sample_event_ids  Array(String),
    duration_ms       Float64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(validated_at)
ORDER BY (suite, expectation, batch_id)
TTL toDateTime(validated_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS dlq_events
(
    event_id          String,
    detected_at       DateTime64(3, 'UTC'),
    batch_id          String,
    reason            LowCardinality(String),
    suite             LowCardinality(String),
    expectation       LowCardinality(String),
    message           String,
    -- every failed check as "suite/expectation:reason"; the first is the primary (reason, suite, expectation).
    failures          Array(String),
    event_type        LowCardinality(String),
    conversation_sid  String,
    occurred_at       Nullable(DateTime64(3, 'UTC'))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY event_id
TTL toDateTime(detected_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;
