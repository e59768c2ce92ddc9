"""All dashboard SQL, as named constants with server-side parameters, plus cached loaders.

Pages never write SQL; they call these loaders. Every query reads only redacted tables: the dashboard
cannot show raw PII because ClickHouse never holds any.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from cxpulse.settings import ClickHouseSettings, Settings
from dashboards.filters import Bounds
from expectations.report import PASS_RATES as DQ_PASS_RATES_SQL
from expectations.report import TOP_REASONS as DQ_TOP_REASONS_SQL
from sinks.clickhouse import Client, make_client
from streams.redact.report import RedactionReport
from streams.redact.report import build_report as build_redaction_report

__all__ = [
    "LATEST_MESSAGES",
    "MESSAGES_BY_CHANNEL",
    "MESSAGES_PER_MINUTE",
    "TOTALS",
    "client",
    "latest_messages",
    "messages_by_channel",
    "messages_per_minute",
    "totals",
]

#: A message counts for its conversation's channel: agents answer WhatsApp and SMS conversations from a web
#: app (Twilio ``Source=SDK``), so the message's own channel would say "chat".
_MESSAGES_WITH_CHANNEL = """
    SELECT m.message_sid, m.sent_at, if(c.channel != '', c.channel, m.channel) AS channel
    FROM messages AS m
    LEFT JOIN (
        SELECT conversation_sid, argMax(channel, version) AS channel FROM conversations GROUP BY conversation_sid
    ) AS c USING (conversation_sid)
    WHERE m.sent_at >= {since:DateTime64(3, 'UTC')}
"""

#: Messages per channel since a moment (replays collapsed by message_sid).
MESSAGES_BY_CHANNEL = f"""
SELECT channel, uniqExact(message_sid) AS messages
FROM ({_MESSAGES_WITH_CHANNEL})
GROUP BY channel
ORDER BY messages DESC
"""

#: Per-minute message volume by channel, for the trend chart.
MESSAGES_PER_MINUTE = f"""
SELECT toStartOfMinute(sent_at) AS minute, channel, uniqExact(message_sid) AS messages
FROM ({_MESSAGES_WITH_CHANNEL})
GROUP BY minute, channel
ORDER BY minute
"""

#: The newest redacted messages (bodies are already redacted in ClickHouse).
LATEST_MESSAGES = """
SELECT m.sent_at AS sent_at, if(c.channel != '', c.channel, m.channel) AS channel,
       if(c.queue != '', c.queue, m.queue) AS queue, m.author_role AS author_role, m.author AS author,
       m.body AS body, m.conversation_sid AS conversation_sid
FROM (
    SELECT * FROM messages FINAL WHERE is_removed = 0 ORDER BY sent_at DESC LIMIT {limit:UInt32}
) AS m
LEFT JOIN (
    SELECT conversation_sid, argMax(channel, version) AS channel, argMax(queue, version) AS queue
    FROM conversations GROUP BY conversation_sid
) AS c USING (conversation_sid)
ORDER BY sent_at DESC
"""

#: Headline counters: all-time events, conversations and messages stored.
TOTALS = """
SELECT
    (SELECT uniqExact(event_id) FROM events) AS events,
    (SELECT uniqExact(conversation_sid) FROM events) AS conversations,
    (SELECT uniqExact(message_sid) FROM messages) AS messages,
    (SELECT max(ingested_at) FROM events) AS last_ingested_at
"""


def client(settings: Settings) -> Client:
    """One cached client per ClickHouse address and database (Streamlit keeps resources per process)."""
    return _cached_client(settings.clickhouse)


@st.cache_resource(hash_funcs={ClickHouseSettings: lambda s: (s.url, s.database, s.username)})
def _cached_client(settings: ClickHouseSettings) -> Client:
    return make_client(settings)


def messages_by_channel(ch: Client, since: datetime) -> pd.DataFrame:
    return ch.query_df(MESSAGES_BY_CHANNEL, parameters={"since": since})


def messages_per_minute(ch: Client, since: datetime) -> pd.DataFrame:
    return ch.query_df(MESSAGES_PER_MINUTE, parameters={"since": since})


def latest_messages(ch: Client, limit: int) -> pd.DataFrame:
    return ch.query_df(LATEST_MESSAGES, parameters={"limit": limit})


def totals(ch: Client) -> dict[str, object]:
    result = ch.query(TOTALS)
    return dict(zip(result.column_names, result.first_row, strict=True))


# --- Live SLA, At risk and transcript pages -------------------------------------------------------------------
# Fast on big tables: every fact query filters by time first (a column scan) and then keeps the latest version
# of each fact over the few rows left (ORDER BY id, version DESC LIMIT 1 BY id: measured 2-5x faster than
# GROUP BY id with argMax per column, bench/dashboard_queries.py), instead of FINAL (which merges the whole
# table before the filter). All filters are bound parameters: ``{channels:Array(String)}`` empty means "all".
# Time parameters (naive UTC, see dashboards.filters.Bounds.parameters): now, since (the selected range),
# sl_now_since ("service level now"), today (midnight in the viewer's zone), live_since, earliest.

_SCOPE = """(empty({channels:Array(String)}) OR channel IN {channels:Array(String)})
    AND (empty({queues:Array(String)}) OR queue IN {queues:Array(String)})"""

#: Response facts whose reply (or abandonment) falls in [earliest, now], latest version each. A fact's
#: reply_at never changes between versions (its id names the reply or state event), so filtering before the
#: dedup is exact.
_LATEST_RESPONSES = """
    SELECT response_id, channel, queue, outcome, reply_at, response_s, is_first, breached, short_abandon, retracted
    FROM responses
    WHERE reply_at >= {earliest:DateTime64(3, 'UTC')} AND reply_at <= {now:DateTime64(3, 'UTC')}
    ORDER BY response_id, version DESC
    LIMIT 1 BY response_id
"""


def _nearest_rank(values: str, q: float) -> str:
    """SQL for the nearest-rank percentile of a sorted array (the definition of docs/sla.md)."""
    return f"if(empty({values}), NULL, {values}[toUInt64(greatest(1, ceil({q} * length({values}))))])"


#: Service level per channel × queue plus one total row (``is_total = 1``): for the last sl_now minutes, for
#: today and for the selected range; abandoned waits and first-response percentiles for the range.
#: Service level = within ÷ (answered + abandoned past the threshold), short abandons excluded (docs/sla.md).
SLA_BY_QUEUE = f"""
SELECT
    grouping(channel, queue) != 0 AS is_total, channel, queue,
    countIf(outcome = 'answered' AND reply_at >= {{sl_now_since:DateTime64(3, 'UTC')}}) AS answered_now,
    countIf(outcome = 'answered' AND breached = 0 AND reply_at >= {{sl_now_since:DateTime64(3, 'UTC')}})
        AS within_now,
    countIf(outcome = 'abandoned' AND breached = 1 AND short_abandon = 0
            AND reply_at >= {{sl_now_since:DateTime64(3, 'UTC')}}) AS abandoned_past_now,
    countIf(outcome = 'answered' AND reply_at >= {{today:DateTime64(3, 'UTC')}}) AS answered_today,
    countIf(outcome = 'answered' AND breached = 0 AND reply_at >= {{today:DateTime64(3, 'UTC')}}) AS within_today,
    countIf(outcome = 'abandoned' AND breached = 1 AND short_abandon = 0
            AND reply_at >= {{today:DateTime64(3, 'UTC')}}) AS abandoned_past_today,
    countIf(outcome = 'answered' AND reply_at >= {{since:DateTime64(3, 'UTC')}}) AS answered,
    countIf(outcome = 'answered' AND breached = 0 AND reply_at >= {{since:DateTime64(3, 'UTC')}}) AS within,
    countIf(outcome = 'answered' AND breached = 1 AND reply_at >= {{since:DateTime64(3, 'UTC')}}) AS breaches,
    countIf(outcome = 'abandoned' AND breached = 1 AND short_abandon = 0
            AND reply_at >= {{since:DateTime64(3, 'UTC')}}) AS abandoned_past,
    countIf(outcome = 'abandoned' AND short_abandon = 0 AND reply_at >= {{since:DateTime64(3, 'UTC')}})
        AS abandoned,
    arraySort(groupArrayIf(response_s, outcome = 'answered' AND is_first = 1
                           AND reply_at >= {{since:DateTime64(3, 'UTC')}})) AS _first,
    length(_first) AS first_responses,
    {_nearest_rank("_first", 0.5)} AS first_response_p50_s,
    {_nearest_rank("_first", 0.9)} AS first_response_p90_s
FROM ({_LATEST_RESPONSES})
WHERE retracted = 0 AND {_SCOPE}
GROUP BY GROUPING SETS ((channel, queue), ())
ORDER BY is_total, channel, queue
"""

#: Per minute of the selected range: answered waits, breaches, service level and first-response percentiles.
SLA_PER_MINUTE = f"""
SELECT
    toStartOfMinute(reply_at) AS minute,
    countIf(outcome = 'answered') AS responses,
    countIf(outcome = 'answered' AND breached = 1) AS breaches,
    countIf(outcome = 'abandoned' AND short_abandon = 0) AS abandoned,
    round(100 * countIf(outcome = 'answered' AND breached = 0)
          / nullIf(responses + countIf(outcome = 'abandoned' AND breached = 1 AND short_abandon = 0), 0), 2)
        AS service_level_pct,
    arraySort(groupArrayIf(response_s, outcome = 'answered' AND is_first = 1)) AS _first,
    {_nearest_rank("_first", 0.5)} AS first_response_p50_s,
    {_nearest_rank("_first", 0.9)} AS first_response_p90_s
FROM ({_LATEST_RESPONSES})
WHERE retracted = 0 AND reply_at >= {{since:DateTime64(3, 'UTC')}} AND {_SCOPE}
GROUP BY minute
ORDER BY minute
"""

#: Conversations opened in the range (latest channel/queue of each), for volume.
_OPENED = """
    SELECT conversation_sid, channel, queue, created_at AS opened_at
    FROM conversations
    WHERE created_at >= {since:DateTime64(3, 'UTC')} AND created_at <= {now:DateTime64(3, 'UTC')}
    ORDER BY conversation_sid, version DESC
    LIMIT 1 BY conversation_sid
"""

#: Volume per channel × queue in the range: conversations opened, messages sent (each message counted for its
#: conversation's channel and queue, see MESSAGES_BY_CHANNEL), conversations closed and bot-contained.
VOLUME_BY_QUEUE = f"""
SELECT channel, queue, sum(opened) AS opened, sum(messages) AS messages, sum(closed) AS closed,
       sum(bot_contained) AS bot_contained, sum(abandoned) AS abandoned_conversations
FROM (
    SELECT channel, queue, count() AS opened, 0 AS messages, 0 AS closed, 0 AS bot_contained, 0 AS abandoned
    FROM ({_OPENED}) WHERE {_SCOPE} GROUP BY channel, queue
    UNION ALL
    SELECT channel, queue, 0, sum(messages), 0, 0, 0
    FROM (
        -- Messages per conversation first (a message belongs to one conversation, so the sums stay exact),
        -- then the conversation's channel and queue, looked up by primary key for those conversations only.
        SELECT if(c.channel != '', c.channel, m.channel) AS channel, if(c.queue != '', c.queue, m.queue) AS queue,
               m.messages AS messages
        FROM (
            SELECT conversation_sid, any(channel) AS channel, any(queue) AS queue, uniqExact(message_sid) AS messages
            FROM messages
            WHERE sent_at >= {{since:DateTime64(3, 'UTC')}} AND sent_at <= {{now:DateTime64(3, 'UTC')}}
            GROUP BY conversation_sid
        ) AS m
        LEFT JOIN (
            SELECT conversation_sid, channel, queue
            FROM conversations
            WHERE conversation_sid IN (
                SELECT conversation_sid FROM messages
                WHERE sent_at >= {{since:DateTime64(3, 'UTC')}} AND sent_at <= {{now:DateTime64(3, 'UTC')}}
            )
            ORDER BY conversation_sid, version DESC
            LIMIT 1 BY conversation_sid
        ) AS c USING (conversation_sid)
    )
    WHERE {_SCOPE}
    GROUP BY channel, queue
    UNION ALL
    SELECT channel, queue, 0, 0, count(), countIf(bot_contained = 1), countIf(abandoned = 1)
    FROM (
        SELECT conversation_sid, channel, queue, bot_contained, abandoned
        FROM sla_conversations
        WHERE closed_at >= {{since:DateTime64(3, 'UTC')}} AND closed_at <= {{now:DateTime64(3, 'UTC')}}
        ORDER BY conversation_sid, version DESC
        LIMIT 1 BY conversation_sid
    )
    WHERE {_SCOPE}
    GROUP BY channel, queue
)
GROUP BY channel, queue
ORDER BY channel, queue
"""

#: Conversations opened per minute and channel in the range, for the volume trend.
OPENED_PER_MINUTE = f"""
SELECT toStartOfMinute(opened_at) AS minute, channel, count() AS conversations
FROM ({_OPENED})
WHERE {_SCOPE}
GROUP BY minute, channel
ORDER BY minute, channel
"""

#: The latest live row of every conversation whose status changed since live_since (the live timer publishes
#: a row on every change, so a conversation's latest row is among them when it is that recent).
_LIVE_LATEST = """
    SELECT conversation_sid, channel, queue, status, awaiting_since, threshold_s, breach_at
    FROM sla_live
    WHERE emitted_at >= {live_since:DateTime64(3, 'UTC')}
    ORDER BY conversation_sid, emitted_at DESC
    LIMIT 1 BY conversation_sid
"""

_WAITING = f"""
    SELECT * FROM ({_LIVE_LATEST})
    WHERE status IN ('awaiting', 'breaching') AND awaiting_since IS NOT NULL AND {_SCOPE}
"""

#: Customers awaiting a human now, how many breach their threshold, and the oldest wait (seconds at now).
WAITING_NOW = f"""
SELECT count() AS awaiting, countIf(status = 'breaching') AS breaching,
       if(count() = 0, NULL,
          dateDiff('millisecond', min(awaiting_since), {{now:DateTime64(3, 'UTC')}}) / 1000) AS oldest_wait_s
FROM ({_WAITING})
"""

#: Who is waiting now, oldest first (the agents are looked up for these rows only: ASSIGNED_AGENTS).
AT_RISK = f"""
SELECT conversation_sid, channel, queue, status, awaiting_since, threshold_s,
       dateDiff('millisecond', awaiting_since, {{now:DateTime64(3, 'UTC')}}) / 1000 AS waiting_s
FROM ({_WAITING})
ORDER BY awaiting_since, conversation_sid
LIMIT {{limit:UInt32}}
"""

#: The human agent who last joined or wrote in each of the given conversations. ``events`` is ordered by
#: conversation_sid, so this reads only the granules of those conversations.
ASSIGNED_AGENTS = """
SELECT conversation_sid, argMax(author, occurred_at) AS agent
FROM events
WHERE conversation_sid IN {sids:Array(String)}
  AND author_role = 'agent' AND event_type IN ('participant.added', 'message.added')
GROUP BY conversation_sid
"""

#: Channels and queues seen, for the filter choices.
FILTER_CHOICES = """
SELECT groupUniqArrayIf(channel, channel != '') AS channels, groupUniqArrayIf(queue, queue != '') AS queues
FROM conversations
"""

#: One conversation's latest state, for the transcript header.
TRANSCRIPT_CONVERSATION = """
SELECT conversation_sid, argMax(channel, version) AS channel, argMax(queue, version) AS queue,
       argMax(state, version) AS state, min(created_at) AS created_at, max(updated_at) AS updated_at
FROM conversations
WHERE conversation_sid = {conversation:String}
GROUP BY conversation_sid
"""

#: One conversation's messages (latest version of each, removed ones left out), as stored: redacted bodies and
#: pseudonymised customer addresses. The primary key starts with conversation_sid, so this reads a few granules.
TRANSCRIPT_MESSAGES = """
SELECT sent_at, author_role, author, body, media_count
FROM (
    SELECT message_sid, argMax(sent_at, version) AS sent_at, argMax(message_index, version) AS message_index,
           argMax(author_role, version) AS author_role, argMax(author, version) AS author,
           argMax(body, version) AS body, argMax(media_count, version) AS media_count,
           argMax(is_removed, version) AS is_removed
    FROM messages
    WHERE conversation_sid = {conversation:String}
    GROUP BY message_sid
)
WHERE is_removed = 0
ORDER BY sent_at, message_index
"""

# The SLA pages' names, kept next to their definitions (other pages extend __all__ the same way).
__all__ += [
    "ASSIGNED_AGENTS",
    "AT_RISK",
    "FILTER_CHOICES",
    "OPENED_PER_MINUTE",
    "SLA_BY_QUEUE",
    "SLA_PER_MINUTE",
    "TRANSCRIPT_CONVERSATION",
    "TRANSCRIPT_MESSAGES",
    "VOLUME_BY_QUEUE",
    "WAITING_NOW",
    "at_risk",
    "filter_choices",
    "opened_per_minute",
    "service_level_pct",
    "sla_by_queue",
    "sla_per_minute",
    "transcript",
    "volume_by_queue",
    "waiting_now",
]


def service_level_pct(within: int, answered: int, abandoned_past: int) -> float | None:
    """Service level from its counts (summable across queues, unlike percentages); None when nothing counts."""
    counted = answered + abandoned_past
    return None if counted == 0 else round(100.0 * within / counted, 2)


def sla_by_queue(ch: Client, bounds: Bounds) -> pd.DataFrame:
    """Service-level counts per channel × queue; the row with ``is_total`` is the whole filtered scope."""
    return ch.query_df(SLA_BY_QUEUE, parameters=bounds.parameters())


def sla_per_minute(ch: Client, bounds: Bounds) -> pd.DataFrame:
    return ch.query_df(SLA_PER_MINUTE, parameters=bounds.parameters())


def volume_by_queue(ch: Client, bounds: Bounds) -> pd.DataFrame:
    return ch.query_df(VOLUME_BY_QUEUE, parameters=bounds.parameters())


def opened_per_minute(ch: Client, bounds: Bounds) -> pd.DataFrame:
    return ch.query_df(OPENED_PER_MINUTE, parameters=bounds.parameters())


def waiting_now(ch: Client, bounds: Bounds) -> dict[str, object]:
    """``awaiting``, ``breaching`` and ``oldest_wait_s`` (None when nobody waits)."""
    result = ch.query(WAITING_NOW, parameters=bounds.parameters())
    return dict(zip(result.column_names, result.first_row, strict=True))


def at_risk(ch: Client, bounds: Bounds, limit: int) -> pd.DataFrame:
    """The longest waits (at most ``limit``) with their assigned agent ('' when none)."""
    rows = ch.query_df(AT_RISK, parameters={**bounds.parameters(), "limit": limit})
    sids = list(rows["conversation_sid"]) if len(rows) else []
    agents = ch.query(ASSIGNED_AGENTS, parameters={"sids": sids}).result_rows if sids else []
    rows["agent"] = rows["conversation_sid"].map(dict(agents)).fillna("") if len(rows) else pd.Series(dtype=str)
    return rows


def filter_choices(ch: Client) -> tuple[list[str], list[str]]:
    """Channels and queues to offer in the filters (sorted)."""
    channels, queues = ch.query(FILTER_CHOICES).first_row
    return sorted(channels), sorted(queues)


def transcript(ch: Client, conversation_sid: str) -> tuple[dict[str, object] | None, pd.DataFrame]:
    """A conversation's header (None if unknown) and its redacted messages."""
    head = ch.query(TRANSCRIPT_CONVERSATION, parameters={"conversation": conversation_sid})
    header = dict(zip(head.column_names, head.first_row, strict=True)) if head.row_count else None
    messages = ch.query_df(TRANSCRIPT_MESSAGES, parameters={"conversation": conversation_sid})
    return header, messages


# --- QA samples, Compliance and Data quality pages -------------------------------------------------------
# The redaction coverage numbers come from the code behind `cxpulse report redaction` (its SQL lives in
# streams/redact/report.py) and the data-quality tables from `cxpulse dq report` (expectations/report.py), so
# the pages and the reports can never disagree.

__all__ += [
    "DLQ_COUNT",
    "DLQ_SAMPLES",
    "DQ_PASS_RATES_OVER_TIME",
    "DQ_TOTALS",
    "QA_REASON_COUNTS",
    "QA_REVIEWS",
    "QA_SAMPLES",
    "Review",
    "dlq_count",
    "dlq_samples",
    "dq_pass_rates",
    "dq_pass_rates_over_time",
    "dq_top_reasons",
    "dq_totals",
    "insert_review",
    "qa_reason_counts",
    "qa_reviews",
    "qa_samples",
    "redaction_report",
    "trend_bucket_s",
]

_QA_SAMPLE_FILTER = """
    picked_at >= {since:DateTime64(3, 'UTC')}
    AND (empty({reasons:Array(String)}) OR hasAny(reasons, {reasons:Array(String)}))
    AND (empty({channels:Array(String)}) OR has({channels:Array(String)}, channel))
    AND (empty({queues:Array(String)}) OR has({queues:Array(String)}, queue))
"""

#: Sampled conversations (latest sample version each) with how many reviews they have, newest pick first.
QA_SAMPLES = f"""
SELECT s.conversation_sid AS conversation_sid, s.reasons AS reasons, s.picked_at AS picked_at,
       s.channel AS channel, s.queue AS queue, s.intent AS intent, s.sentiment AS sentiment,
       s.ai_confidence AS ai_confidence, s.policy_version AS policy_version, r.reviews AS reviews
FROM (SELECT * FROM qa_samples FINAL WHERE {_QA_SAMPLE_FILTER}) AS s
LEFT JOIN (
    SELECT conversation_sid, uniqExact(review_id) AS reviews FROM qa_reviews GROUP BY conversation_sid
) AS r USING (conversation_sid)
WHERE NOT {{unreviewed:Bool}} OR r.reviews = 0
ORDER BY picked_at DESC, conversation_sid
LIMIT {{limit:UInt32}}
"""

#: Samples per reason in the same filter (a sample with two reasons counts for both).
QA_REASON_COUNTS = f"""
SELECT reason, count() AS samples
FROM (SELECT reasons FROM qa_samples FINAL WHERE {_QA_SAMPLE_FILTER})
ARRAY JOIN reasons AS reason
GROUP BY reason
"""

#: A conversation's reviews, newest first (a resubmitted identical form is one review_id, one row).
QA_REVIEWS = """
SELECT reviewed_at, reviewer, scores, comment, policy_version, review_id
FROM qa_reviews FINAL
WHERE conversation_sid = {conversation:String}
ORDER BY reviewed_at DESC, review_id
"""

_REVIEW_COLUMNS = ("review_id", "conversation_sid", "reviewer", "scores", "comment", "policy_version", "reviewed_at")

#: Events the data-quality guard dead-lettered in a period.
DLQ_COUNT = """
SELECT uniqExact(event_id) AS events
FROM dlq_events
WHERE detected_at >= {since:DateTime64(3, 'UTC')} AND detected_at < {until:DateTime64(3, 'UTC')}
"""

#: The newest dead-lettered events: ids, types and reasons only; never a body (dlq_events holds none).
DLQ_SAMPLES = """
SELECT detected_at, event_id, event_type, reason, suite, expectation, conversation_sid
FROM dlq_events FINAL
WHERE detected_at >= {since:DateTime64(3, 'UTC')} AND detected_at < {until:DateTime64(3, 'UTC')}
ORDER BY detected_at DESC, event_id
LIMIT {limit:UInt32}
"""

#: Check-level pass rate per suite and time bucket: 1 - failed rows / evaluated rows over the suite's
#: expectations (the definition `cxpulse dq report` uses per expectation).
DQ_PASS_RATES_OVER_TIME = """
SELECT toStartOfInterval(validated_at, toIntervalSecond({bucket_s:UInt32})) AS bucket, suite,
       sum(evaluated) AS checks, sum(unexpected_count) AS failed_checks,
       if(checks = 0, 1.0, 1 - failed_checks / checks) AS pass_rate
FROM dq_results FINAL
WHERE validated_at >= {since:DateTime64(3, 'UTC')} AND validated_at < {until:DateTime64(3, 'UTC')}
GROUP BY bucket, suite
ORDER BY bucket, suite
"""

#: Headline numbers of the Data quality page.
DQ_TOTALS = """
SELECT uniqExact(batch_id) AS batches, sum(evaluated) AS evaluated, sum(unexpected_count) AS failed,
       countIf(success = 0) AS failed_validations
FROM dq_results FINAL
WHERE validated_at >= {since:DateTime64(3, 'UTC')} AND validated_at < {until:DateTime64(3, 'UTC')}
"""

_HOUR_S = 3600
_MINUTE_S = 60
_DAY_S = 86400


def _utc_naive(moment: datetime) -> datetime:
    """ClickHouse DateTime64(3, 'UTC') parameters: the UTC wall time without tzinfo."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def trend_bucket_s(since: datetime, until: datetime, *, minutes_max_h: float, hourly_max_h: float) -> int:
    """Per minute for short spans, per hour up to ``hourly_max_h`` hours, per day beyond."""
    span = until - since
    if span <= timedelta(hours=minutes_max_h):
        return _MINUTE_S
    return _HOUR_S if span <= timedelta(hours=hourly_max_h) else _DAY_S


def qa_samples(
    ch: Client,
    *,
    since: datetime,
    reasons: Sequence[str] = (),
    channels: Sequence[str] = (),
    queues: Sequence[str] = (),
    unreviewed: bool = False,
    limit: int,
) -> pd.DataFrame:
    return ch.query_df(
        QA_SAMPLES,
        parameters={
            "since": _utc_naive(since),
            "reasons": list(reasons),
            "channels": list(channels),
            "queues": list(queues),
            "unreviewed": unreviewed,
            "limit": limit,
        },
    )


def qa_reason_counts(
    ch: Client,
    *,
    since: datetime,
    reasons: Sequence[str] = (),
    channels: Sequence[str] = (),
    queues: Sequence[str] = (),
) -> dict[str, int]:
    result = ch.query(
        QA_REASON_COUNTS,
        parameters={
            "since": _utc_naive(since),
            "reasons": list(reasons),
            "channels": list(channels),
            "queues": list(queues),
        },
    )
    return {str(reason): int(n) for reason, n in result.result_rows}


def qa_reviews(ch: Client, conversation_sid: str) -> pd.DataFrame:
    return ch.query_df(QA_REVIEWS, parameters={"conversation": conversation_sid})


@dataclass(frozen=True)
class Review:
    """A reviewer's rubric scores for one sampled conversation (``scores``: criterion → 1..scale)."""

    conversation_sid: str
    reviewer: str
    scores: Mapping[str, int]
    comment: str
    policy_version: str
    reviewed_at: datetime

    @property
    def review_id(self) -> str:
        """Same reviewer, conversation, scores and comment → same id: a double submit stores one review."""
        content = json.dumps([self.conversation_sid, self.reviewer, sorted(self.scores.items()), self.comment])
        return hashlib.sha256(content.encode()).hexdigest()[:32]


def insert_review(ch: Client, review: Review) -> str:
    """Store a review in ``qa_reviews``; returns its id."""
    row = [
        review.review_id,
        review.conversation_sid,
        review.reviewer,
        dict(review.scores),
        review.comment,
        review.policy_version,
        _utc_naive(review.reviewed_at),
    ]
    ch.insert("qa_reviews", [row], column_names=list(_REVIEW_COLUMNS))
    return review.review_id


def redaction_report(ch: Client, since: datetime, until: datetime, settings: Settings) -> RedactionReport:
    """The compliance numbers, computed exactly as ``cxpulse report redaction`` computes them."""
    return build_redaction_report(
        ch,
        since,
        until,
        hourly_max_h=settings.redaction.report_hourly_max_h,
        gap_limit=settings.redaction.report_gap_limit,
    )


def dlq_count(ch: Client, since: datetime, until: datetime) -> int:
    return int(ch.query(DLQ_COUNT, parameters={"since": _utc_naive(since), "until": _utc_naive(until)}).first_row[0])


def dlq_samples(ch: Client, since: datetime, until: datetime, limit: int) -> pd.DataFrame:
    return ch.query_df(DLQ_SAMPLES, parameters={"since": _utc_naive(since), "until": _utc_naive(until), "limit": limit})


def dq_totals(ch: Client, since: datetime, until: datetime) -> dict[str, int]:
    result = ch.query(DQ_TOTALS, parameters={"since": _utc_naive(since), "until": _utc_naive(until)})
    return {name: int(value or 0) for name, value in zip(result.column_names, result.first_row, strict=True)}


def dq_pass_rates_over_time(ch: Client, since: datetime, until: datetime, bucket_s: int) -> pd.DataFrame:
    return ch.query_df(
        DQ_PASS_RATES_OVER_TIME,
        parameters={
            "since": _utc_naive(since),
            "until": _utc_naive(until),
            "bucket_s": bucket_s,
        },
    )


def dq_pass_rates(ch: Client, since: datetime) -> pd.DataFrame:
    """Per suite and expectation since a moment: the `cxpulse dq report` query."""
    return ch.query_df(DQ_PASS_RATES_SQL, parameters={"since": _utc_naive(since)})


def dq_top_reasons(ch: Client, since: datetime, limit: int) -> pd.DataFrame:
    """The most frequent dead-letter reasons since a moment: the `cxpulse dq report` query."""
    return ch.query_df(DQ_TOP_REASONS_SQL, parameters={"since": _utc_naive(since), "limit": limit})
