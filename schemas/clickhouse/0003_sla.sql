-- SLA stage (streams/sla): per-wait response facts, per-conversation facts, the live view and a data-team view.
-- Definitions of every column: docs/sla.md. Idempotency: stable ids + ReplacingMergeTree(version); the SLA
-- stage re-publishes a fact with a higher version when a late event changes it, and as retracted = 1 when it
-- no longer exists. Read with FINAL (or argMax by version) and WHERE retracted = 0.
-- No PARTITION BY: a fact's versions (and its retraction) must always meet to collapse.

CREATE TABLE IF NOT EXISTS responses
(
    response_id        String,
    conversation_sid   String,
    channel            LowCardinality(String),
    queue              LowCardinality(String),
    outcome            LowCardinality(String),
    agent              String,
    customer_at        DateTime64(3, 'UTC'),
    reply_at           DateTime64(3, 'UTC'),
    response_s         Float64,
    threshold_s        Float64,
    is_first           UInt8,
    breached           UInt8,
    short_abandon      UInt8,
    segment            UInt16,
    customer_messages  UInt32,
    retracted          UInt8,
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (conversation_sid, response_id)
TTL toDateTime(reply_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS sla_conversations
(
    conversation_sid     String,
    channel              LowCardinality(String),
    queue                LowCardinality(String),
    created_at           DateTime64(3, 'UTC'),
    closed_at            DateTime64(3, 'UTC'),
    handle_s             Float64,
    first_response_s     Nullable(Float64),
    responses            UInt32,
    breaches             UInt32,
    abandoned_waits      UInt32,
    short_abandons       UInt32,
    unanswered_at_close  UInt32,
    reopen_count         UInt32,
    bot_contained        UInt8,
    abandoned            UInt8,
    messages_customer    UInt32,
    messages_agent       UInt32,
    messages_bot         UInt32,
    messages_other       UInt32,
    messages_total       UInt32,
    cost                 Float64,
    agents               Array(String),
    version              UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY conversation_sid
TTL toDateTime(closed_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- One row per conversation the live timer has seen: its latest status (awaiting | breaching | abandoned_idle |
-- idle | closed). emitted_at is the worker's wall clock when the status changed; the latest row wins.
CREATE TABLE IF NOT EXISTS sla_live
(
    conversation_sid  String,
    channel           LowCardinality(String),
    queue             LowCardinality(String),
    status            LowCardinality(String),
    awaiting_since    Nullable(DateTime64(3, 'UTC')),
    threshold_s       Float64,
    breach_at         Nullable(DateTime64(3, 'UTC')),
    last_activity     Nullable(DateTime64(3, 'UTC')),
    emitted_at        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(emitted_at)
ORDER BY conversation_sid
TTL toDateTime(emitted_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- Event-time windows per channel x queue: window = 'tumbling' (1 m) or 'hopping' (15 m, 1 m step). A window
-- row is re-published (higher version) whenever a fact inside it changes or a late fact is rejected.
CREATE TABLE IF NOT EXISTS sla_windows
(
    window                LowCardinality(String),
    channel               LowCardinality(String),
    queue                 LowCardinality(String),
    window_start          DateTime64(3, 'UTC'),
    window_end            DateTime64(3, 'UTC'),
    conversations_opened  UInt32,
    conversations_closed  UInt32,
    responses             UInt32,
    breaches              UInt32,
    abandoned             UInt32,
    short_abandons        UInt32,
    response_p50_s        Nullable(Float64),
    response_p90_s        Nullable(Float64),
    response_p99_s        Nullable(Float64),
    service_level_pct     Nullable(Float64),
    bot_contained         UInt32,
    bot_containment_pct   Nullable(Float64),
    late_rejected         UInt32,
    version               UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (window, channel, queue, window_start)
TTL toDateTime(window_start) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- For the data team: service level by channel, queue and hour (of the customer's first message), from the
-- latest version of every response fact. service_level_pct = answered within threshold ÷ (answered +
-- abandoned waits longer than the threshold); short abandons never count.
CREATE VIEW IF NOT EXISTS sla_service_level_hourly AS
SELECT
    toStartOfHour(customer_at) AS hour,
    channel,
    queue,
    countIf(outcome = 'answered') AS responses,
    countIf(outcome = 'answered' AND breached = 0) AS within_threshold,
    countIf(outcome = 'answered' AND breached = 1) AS breaches,
    countIf(outcome = 'abandoned' AND short_abandon = 0) AS abandoned,
    countIf(outcome = 'abandoned' AND breached = 1 AND short_abandon = 0) AS abandoned_past_threshold,
    countIf(outcome = 'answered' AND is_first = 1) AS first_responses,
    quantileIf(0.5)(response_s, outcome = 'answered') AS response_p50_s,
    quantileIf(0.9)(response_s, outcome = 'answered') AS response_p90_s,
    quantileIf(0.99)(response_s, outcome = 'answered') AS response_p99_s,
    round(100 * within_threshold / nullIf(responses + abandoned_past_threshold, 0), 2) AS service_level_pct
FROM responses FINAL
WHERE retracted = 0
GROUP BY hour, channel, queue;
