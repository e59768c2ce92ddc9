-- QA (docs/qa.md): the sampler's picks and reviewers' rubric scores. Neither table holds message text: the
-- transcript a reviewer reads comes from the redacted `messages` table at review time.
-- Idempotency: one row per conversation in qa_samples; the sampler re-publishes a conversation's sample with a
-- higher version when a new reason or metadata arrives, so read with FINAL (or argMax by version). A replay
-- yields the same final sample. qa_reviews keys a review by its review_id (a resubmitted form is one row).
-- ${retention_days}: from cxpulse.toml [retention] clickhouse_days.

CREATE TABLE IF NOT EXISTS qa_samples
(
    conversation_sid  String,
    reasons           Array(LowCardinality(String)),
    picked_at         DateTime64(3, 'UTC'),
    policy_version    LowCardinality(String),
    channel           LowCardinality(String),
    queue             LowCardinality(String),
    intent            LowCardinality(String),
    sentiment         LowCardinality(String),
    ai_confidence     Nullable(Float64),
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY conversation_sid
TTL toDateTime(picked_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS qa_reviews
(
    review_id         String,
    conversation_sid  String,
    reviewer          String,
    scores            Map(LowCardinality(String), UInt8),
    comment           String,
    policy_version    LowCardinality(String),
    reviewed_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (conversation_sid, review_id)
TTL toDateTime(reviewed_at) + INTERVAL ${retention_days} DAY
SETTINGS non_replicated_deduplication_window = 1000;
