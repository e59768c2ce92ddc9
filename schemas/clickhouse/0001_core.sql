-- Core tables of the foundation: every redacted event, the latest state of each message and conversation.
-- Idempotency: rows carry stable ids; ReplacingMergeTree collapses replays (read with FINAL or GROUP BY id),
-- and inserts carry a dedup token (non_replicated_deduplication_window) so a retried batch is dropped at once.
-- ${retention_days}: from cxpulse.toml [retention] clickhouse_days.

CREATE TABLE IF NOT EXISTS events
(
    event_id          String,
    schema_version    UInt16,
    event_type        LowCardinality(String),
    account_sid       LowCardinality(String),
    chat_service_sid  LowCardinality(String),
    conversation_sid  String,
    message_sid       String,
    participant_sid   String,
    message_index     Nullable(UInt32),
    author            String,
    author_role       LowCardinality(String),
    body              Nullable(String),
    media_count       UInt16,
    channel           LowCardinality(String),
    queue             LowCardinality(String),
    state_from        LowCardinality(String),
    state_to          LowCardinality(String),
    reason            String,
    attributes        String,
    occurred_at       DateTime64(3, 'UTC'),
    received_at       DateTime64(3, 'UTC'),
    source            LowCardinality(String),
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (conversation_sid, event_id)
TTL toDateTime(occurred_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS messages
(
    message_sid       String,
    conversation_sid  String,
    account_sid       LowCardinality(String),
    channel           LowCardinality(String),
    queue             LowCardinality(String),
    message_index     Nullable(UInt32),
    author            String,
    author_role       LowCardinality(String),
    body              Nullable(String),
    media_count       UInt16,
    sent_at           DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    is_removed        UInt8,
    last_event_id     String,
    -- occurred_at in ms * 4 + event rank (added < updated < removed): the latest change wins, replays tie.
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
-- No partition key: ReplacingMergeTree only collapses rows within a partition, and a message's versions
-- must always meet.
ORDER BY (conversation_sid, message_sid)
TTL toDateTime(sent_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS conversations
(
    conversation_sid  String,
    account_sid       LowCardinality(String),
    chat_service_sid  LowCardinality(String),
    channel           LowCardinality(String),
    queue             LowCardinality(String),
    state             LowCardinality(String),
    created_at        DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    is_removed        UInt8,
    attributes        String,
    last_event_id     String,
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY conversation_sid
SETTINGS non_replicated_deduplication_window = 1000;
