-- Recall canary (docs/redaction.md "Recall canary"): one row per (canary run, entity type). A worker redacts the
-- labelled canary set shipped with cxpulse through its own analyser at start and every
-- [redaction] canary_interval_s, and publishes leak-free recall per entity type on cx.redaction.canary. Counts,
-- recall, targets and versions only: no canary value is ever stored.
-- Idempotency: run_id is drawn once per run and travels in the record, so a replayed record collapses onto its
-- first row (read with FINAL).
-- ${retention_days}: from cxpulse.toml [retention] clickhouse_days.

CREATE TABLE IF NOT EXISTS redaction_canary
(
    run_id              String,
    checked_at          DateTime64(3, 'UTC'),
    entity              LowCardinality(String),
    gold                UInt32,
    leaked              UInt32,
    recall              Float64,
    target              Float64,
    below_target        UInt8,
    canary_version      LowCardinality(String),
    canary_messages     UInt32,
    failed_messages     UInt32,
    negatives           UInt32,
    negatives_redacted  UInt32,
    engine              LowCardinality(String),
    model_version       LowCardinality(String),
    config_version      LowCardinality(String),
    worker_id           String,
    host                LowCardinality(String),
    duration_ms         Float64,
    stored_at           DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(checked_at)
ORDER BY (entity, checked_at, run_id)
TTL toDateTime(checked_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;
