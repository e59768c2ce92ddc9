-- Time-sorted rollups of the SLA facts for the data team, and the documented views over them (docs/sla.md,
-- "Views for the data team"). Every view takes a time range: FROM sla_agent_hourly(start = '…', end = '…').
--
-- The facts are written at least once (the same fact version can arrive twice, in different batches),
-- re-published with a higher version when a late event changes them (possibly into another hour, queue or
-- agent), and retracted (retracted = 1) when they no longer exist. The base tables collapse that with
-- ReplacingMergeTree + FINAL, but they are sorted by conversation: every time-range query reads everything.
-- A materialized view sees each INSERT, so countState/sumState rollups would count every copy and every
-- version, and a group-level state cannot forget a superseded version. What is kept instead:
--   * sla_response_fact_versions / sla_conversation_fact_versions: every fact version once (ReplacingMergeTree
--     on the whole key, so a duplicate collapses), narrow and sorted by hour (day), channel, queue.
--   * sla_response_versions / sla_conversation_versions (AggregatingMergeTree): per fact (cityHash64 of its id)
--     the highest version seen, retractions included; max() ignores duplicates and arrival order.
--   * The views keep the versions in the range that are their fact's latest; a retracted fact's latest
--     version is the retraction, which has no row. That is exactly responses FINAL WHERE retracted = 0
--     (sla_conversations FINAL) for the range: tests/integration/test_sla_rollups.py.
-- Nothing is looked up at insert time (merges of the base tables drop superseded rows at any moment), so the
-- result does not depend on batch boundaries, arrival order or concurrent writers. Assumptions: a (fact id,
-- version) pair always carries the same values (the SLA stage derives a fact from the set of events applied so
-- far); no two fact ids share a 64-bit hash. Measured against FINAL: bench/sla_rollups.py.

CREATE TABLE IF NOT EXISTS sla_response_fact_versions
(
    hour              DateTime('UTC'),
    channel           LowCardinality(String),
    queue             LowCardinality(String),
    fact_hash         UInt64,
    version           UInt64,
    agent             LowCardinality(String),
    conversation_sid  String,
    reply_at          DateTime64(3, 'UTC'),
    response_s        Float64,
    is_answered       UInt8,
    is_abandoned      UInt8,
    is_breached       UInt8,
    is_short_abandon  UInt8,
    is_first          UInt8
)
ENGINE = ReplacingMergeTree
ORDER BY (hour, channel, queue, fact_hash, version)
TTL hour + INTERVAL ${retention_days} DAY;

CREATE TABLE IF NOT EXISTS sla_response_versions
(
    fact_hash       UInt64,
    latest_version  SimpleAggregateFunction(max, UInt64),
    last_at         SimpleAggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY fact_hash
TTL last_at + INTERVAL ${retention_days} DAY;

CREATE TABLE IF NOT EXISTS sla_conversation_fact_versions
(
    day                 Date,
    channel             LowCardinality(String),
    queue               LowCardinality(String),
    fact_hash           UInt64,
    version             UInt64,
    conversation_sid    String,
    handle_s            Float64,
    first_response_s    Nullable(Float64),
    reopen_count        UInt32,
    is_bot_contained    UInt8,
    is_abandoned        UInt8,
    cost                Float64,
    messages_total      UInt32
)
ENGINE = ReplacingMergeTree
ORDER BY (day, channel, queue, fact_hash, version)
TTL day + INTERVAL ${retention_days} DAY;

CREATE TABLE IF NOT EXISTS sla_conversation_versions
(
    fact_hash       UInt64,
    latest_version  SimpleAggregateFunction(max, UInt64),
    last_at         SimpleAggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY fact_hash
TTL last_at + INTERVAL ${retention_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_response_fact_versions_mv TO sla_response_fact_versions AS
SELECT
    toStartOfHour(customer_at) AS hour, channel, queue, cityHash64(response_id) AS fact_hash, version, agent,
    conversation_sid, reply_at, response_s, toUInt8(outcome = 'answered') AS is_answered,
    toUInt8(outcome = 'abandoned') AS is_abandoned, breached AS is_breached, short_abandon AS is_short_abandon,
    is_first
FROM responses
WHERE retracted = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_response_versions_mv TO sla_response_versions AS
SELECT cityHash64(response_id) AS fact_hash, max(version) AS latest_version, max(toDateTime(reply_at)) AS last_at
FROM responses
GROUP BY fact_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_conversation_fact_versions_mv TO sla_conversation_fact_versions AS
SELECT
    toDate(closed_at) AS day, channel, queue, cityHash64(conversation_sid) AS fact_hash, version, conversation_sid,
    handle_s, first_response_s, reopen_count, bot_contained AS is_bot_contained, abandoned AS is_abandoned, cost,
    messages_total
FROM sla_conversations;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_conversation_versions_mv TO sla_conversation_versions AS
SELECT cityHash64(conversation_sid) AS fact_hash, max(version) AS latest_version,
       max(toDateTime(closed_at)) AS last_at
FROM sla_conversations
GROUP BY fact_hash;

-- Backfill what the base tables held before this migration (a no-op on a new database). Overlap with rows the
-- views above already saw is harmless: the same keys collapse, the same maxima.
INSERT INTO sla_response_fact_versions
SELECT
    toStartOfHour(customer_at) AS hour, channel, queue, cityHash64(response_id) AS fact_hash, version, agent,
    conversation_sid, reply_at, response_s, toUInt8(outcome = 'answered') AS is_answered,
    toUInt8(outcome = 'abandoned') AS is_abandoned, breached AS is_breached, short_abandon AS is_short_abandon,
    is_first
FROM responses
WHERE retracted = 0;

INSERT INTO sla_response_versions
SELECT cityHash64(response_id) AS fact_hash, max(version) AS latest_version, max(toDateTime(reply_at)) AS last_at
FROM responses
GROUP BY fact_hash;

INSERT INTO sla_conversation_fact_versions
SELECT
    toDate(closed_at) AS day, channel, queue, cityHash64(conversation_sid) AS fact_hash, version, conversation_sid,
    handle_s, first_response_s, reopen_count, bot_contained AS is_bot_contained, abandoned AS is_abandoned, cost,
    messages_total
FROM sla_conversations;

INSERT INTO sla_conversation_versions
SELECT cityHash64(conversation_sid) AS fact_hash, max(version) AS latest_version,
       max(toDateTime(closed_at)) AS last_at
FROM sla_conversations
GROUP BY fact_hash;

-- The live response facts whose hour (of the customer message that started the wait) begins in [start, end):
-- one row per latest, non-retracted fact, the rows of responses FINAL WHERE retracted = 0. The latest-version
-- set is built for the facts of the range only, which is what makes a range cheap.
CREATE VIEW IF NOT EXISTS sla_response_facts AS
WITH in_range AS
(
    SELECT *
    FROM sla_response_fact_versions FINAL
    WHERE hour >= {start:DateTime} AND hour < {end:DateTime}
)
SELECT hour, channel, queue, agent, conversation_sid, reply_at, response_s, is_answered, is_abandoned, is_breached,
       is_short_abandon, is_first, fact_hash, version
FROM in_range
WHERE (fact_hash, version) IN
(
    SELECT fact_hash, max(latest_version)
    FROM sla_response_versions
    WHERE fact_hash IN (SELECT fact_hash FROM in_range)
    GROUP BY fact_hash
);

-- The conversation facts closed on a day in [toDate(start), toDate(end)): one row per conversation, its
-- latest fact, the rows of sla_conversations FINAL.
CREATE VIEW IF NOT EXISTS sla_conversation_facts AS
WITH in_range AS
(
    SELECT *
    FROM sla_conversation_fact_versions FINAL
    WHERE day >= toDate({start:DateTime}) AND day < toDate({end:DateTime})
)
SELECT day, channel, queue, conversation_sid, handle_s, first_response_s, reopen_count, is_bot_contained,
       is_abandoned, cost, messages_total, fact_hash, version
FROM in_range
WHERE (fact_hash, version) IN
(
    SELECT fact_hash, max(latest_version)
    FROM sla_conversation_versions
    WHERE fact_hash IN (SELECT fact_hash FROM in_range)
    GROUP BY fact_hash
);

-- Service level by hour (of the customer's first message) x channel x queue. Percentiles are nearest-rank, as
-- in sla_windows; service_level_pct as defined in docs/sla.md.
CREATE VIEW IF NOT EXISTS sla_service_level_by_queue_hour AS
SELECT * EXCEPT (times)
FROM
(
    SELECT
        hour,
        channel,
        queue,
        countIf(is_answered = 1) AS responses,
        countIf(is_answered = 1 AND is_breached = 0) AS within_threshold,
        countIf(is_answered = 1 AND is_breached = 1) AS breaches,
        countIf(is_abandoned = 1 AND is_short_abandon = 0) AS abandoned,
        countIf(is_abandoned = 1 AND is_breached = 1 AND is_short_abandon = 0) AS abandoned_past_threshold,
        countIf(is_abandoned = 1 AND is_short_abandon = 1) AS short_abandons,
        countIf(is_answered = 1 AND is_first = 1) AS first_responses,
        arraySort(groupArrayIf(response_s, is_answered = 1)) AS times,
        if(empty(times), NULL, times[toUInt64(greatest(1, ceil(0.5 * length(times))))]) AS response_p50_s,
        if(empty(times), NULL, times[toUInt64(greatest(1, ceil(0.9 * length(times))))]) AS response_p90_s,
        if(empty(times), NULL, times[toUInt64(greatest(1, ceil(0.99 * length(times))))]) AS response_p99_s,
        round(100 * within_threshold / nullIf(responses + abandoned_past_threshold, 0), 2) AS service_level_pct
    FROM sla_response_facts(start = {start:DateTime}, end = {end:DateTime})
    GROUP BY hour, channel, queue
);

-- First responses (the first answer of a conversation, and again after each reopen) by day (of the customer's
-- first message) x channel.
CREATE VIEW IF NOT EXISTS sla_first_response_by_channel_day AS
SELECT * EXCEPT (times)
FROM
(
    SELECT
        toDate(hour) AS day,
        channel,
        count() AS first_responses,
        countIf(is_breached = 1) AS breaches,
        arraySort(groupArray(response_s)) AS times,
        times[toUInt64(greatest(1, ceil(0.5 * length(times))))] AS first_response_p50_s,
        times[toUInt64(greatest(1, ceil(0.9 * length(times))))] AS first_response_p90_s,
        round(avg(response_s), 3) AS first_response_avg_s
    FROM sla_response_facts(start = {start:DateTime}, end = {end:DateTime})
    WHERE is_answered = 1 AND is_first = 1
    GROUP BY day, channel
);

-- Abandonment and bot containment by day (of closing) x channel x queue, per closed conversation.
CREATE VIEW IF NOT EXISTS sla_abandonment_by_day AS
SELECT
    day,
    channel,
    queue,
    count() AS conversations,
    countIf(is_abandoned = 1) AS abandoned,
    round(100 * abandoned / conversations, 2) AS abandonment_pct,
    countIf(is_bot_contained = 1) AS bot_contained,
    round(100 * bot_contained / conversations, 2) AS bot_containment_pct,
    countIf(reopen_count > 0) AS reopened,
    sum(reopen_count) AS reopens
FROM sla_conversation_facts(start = {start:DateTime}, end = {end:DateTime})
GROUP BY day, channel, queue;

-- Agent workload by hour (of the agent's reply, in [start, end)) x agent x channel x queue, answered responses
-- only. Facts are found by their customer hour, so a reply more than one day after its customer message falls
-- outside. conversations = distinct conversations the agent answered in that hour: the concurrency measure
-- the facts support (docs/sla.md says why it is not simultaneous concurrency).
CREATE VIEW IF NOT EXISTS sla_agent_hourly AS
SELECT * EXCEPT (times)
FROM
(
    SELECT
        toStartOfHour(reply_at) AS reply_hour,
        agent,
        channel,
        queue,
        count() AS responses,
        uniqExact(conversation_sid) AS conversations,
        round(responses / conversations, 3) AS responses_per_conversation,
        countIf(is_first = 1) AS first_responses,
        countIf(is_breached = 1) AS breaches,
        arraySort(groupArray(response_s)) AS times,
        times[toUInt64(greatest(1, ceil(0.5 * length(times))))] AS response_p50_s,
        times[toUInt64(greatest(1, ceil(0.9 * length(times))))] AS response_p90_s
    FROM sla_response_facts(start = {start:DateTime} - INTERVAL 1 DAY, end = {end:DateTime})
    WHERE is_answered = 1 AND reply_at >= {start:DateTime} AND reply_at < {end:DateTime}
    GROUP BY reply_hour, agent, channel, queue
);

-- Cost per thread (closed conversation) by day (of closing) x channel.
CREATE VIEW IF NOT EXISTS sla_cost_by_channel_day AS
SELECT
    day,
    channel,
    count() AS threads,
    sum(messages_total) AS messages,
    round(sum(cost), 6) AS total_cost,
    round(total_cost / threads, 6) AS cost_per_thread,
    round(messages / threads, 3) AS messages_per_thread,
    round(avg(handle_s), 3) AS handle_avg_s
FROM sla_conversation_facts(start = {start:DateTime}, end = {end:DateTime})
GROUP BY day, channel;
