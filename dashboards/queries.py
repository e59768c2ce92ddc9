"""All dashboard SQL, as named constants with server-side parameters, plus cached loaders.

Pages never write SQL; they call these loaders. Every query reads only redacted tables: the dashboard
cannot show raw PII because ClickHouse never holds any.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from cxpulse.settings import ClickHouseSettings, Settings
from sinks.clickhouse import Client, make_client

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
