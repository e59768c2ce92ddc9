-- Rows ClickHouse could not store as they were (a value out of its column's range or type), isolated by the
-- sinks' writer (sinks/writer.py) so they never block the rows around them (docs/reliability.md).
-- One row per (source record, table): the source topic, partition and offset say where the record is, reason
-- says why (error type and ClickHouse code, never the value), value keeps the source record for a replay after
-- a fix. Every source is a cx.* topic (redacted): no raw text can land here.
-- Idempotency: a replayed batch rejects the same rows again; they collapse on the source position and table.
-- ${retention_days}: from cxpulse.toml [retention] clickhouse_days.

CREATE TABLE IF NOT EXISTS sink_rejections
(
    source_topic      LowCardinality(String),
    source_partition  UInt32,
    source_offset     UInt64,
    table_name        LowCardinality(String),
    reason            String,
    rejected_at       DateTime64(3, 'UTC'),
    value             String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(rejected_at)
ORDER BY (source_topic, source_partition, source_offset, table_name)
TTL toDateTime(rejected_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;
