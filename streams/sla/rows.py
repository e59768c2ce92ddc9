"""SLA fact JSON → ClickHouse rows (the row builders handed to :func:`sinks.agent.register_table_sink`).

Pure functions of the record values: a replayed record produces the identical row, which the
ReplacingMergeTree tables of ``schemas/clickhouse/0003_sla.sql`` collapse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sinks.writer import TableRows
from streams.sla.facts import from_iso

__all__ = [
    "CONVERSATION_COLUMNS",
    "LIVE_COLUMNS",
    "RESPONSE_COLUMNS",
    "WINDOW_COLUMNS",
    "conversation_tables",
    "live_tables",
    "response_tables",
    "window_tables",
]

log = logging.getLogger(__name__)

RESPONSE_COLUMNS = (
    "response_id",
    "conversation_sid",
    "channel",
    "queue",
    "outcome",
    "agent",
    "customer_at",
    "reply_at",
    "response_s",
    "threshold_s",
    "is_first",
    "breached",
    "short_abandon",
    "segment",
    "customer_messages",
    "retracted",
    "version",
)
CONVERSATION_COLUMNS = (
    "conversation_sid",
    "channel",
    "queue",
    "created_at",
    "closed_at",
    "handle_s",
    "first_response_s",
    "responses",
    "breaches",
    "abandoned_waits",
    "short_abandons",
    "unanswered_at_close",
    "reopen_count",
    "bot_contained",
    "abandoned",
    "messages_customer",
    "messages_agent",
    "messages_bot",
    "messages_other",
    "messages_total",
    "cost",
    "agents",
    "version",
)
WINDOW_COLUMNS = (
    "window",
    "channel",
    "queue",
    "window_start",
    "window_end",
    "conversations_opened",
    "conversations_closed",
    "responses",
    "breaches",
    "abandoned",
    "short_abandons",
    "response_p50_s",
    "response_p90_s",
    "response_p99_s",
    "service_level_pct",
    "bot_contained",
    "bot_containment_pct",
    "late_rejected",
    "version",
    # schemas/clickhouse/0006_sla_windows_live.sql
    "active",
    "awaiting",
    "oldest_wait_s",
)
LIVE_COLUMNS = (
    "conversation_sid",
    "channel",
    "queue",
    "status",
    "awaiting_since",
    "threshold_s",
    "breach_at",
    "last_activity",
    "emitted_at",
)
_TIMES = frozenset(
    {
        "customer_at",
        "reply_at",
        "created_at",
        "closed_at",
        "awaiting_since",
        "breach_at",
        "last_activity",
        "emitted_at",
        "window_start",
        "window_end",
    }
)
#: Boolean columns (UInt8) per table. Per table, because a name can mean a flag in one table and a count in
#: another (``bot_contained`` / ``abandoned``: flags per conversation, counts per window).
_FLAGS = {
    "responses": frozenset({"is_first", "breached", "short_abandon", "retracted"}),
    "sla_conversations": frozenset({"bot_contained", "abandoned"}),
    "sla_live": frozenset(),
    "sla_windows": frozenset(),
}


def _row(data: dict[str, Any], columns: Sequence[str], flags: frozenset[str]) -> list[object]:
    row: list[object] = []
    for column in columns:
        value = data[column]
        if column in _TIMES:
            value = from_iso(value)
        elif column in flags:
            value = int(bool(value))
        row.append(value)
    return row


def _builder(table: str, columns: Sequence[str]) -> Callable[[Sequence[bytes]], dict[str, TableRows]]:
    flags = _FLAGS[table]

    def build(values: Sequence[bytes]) -> dict[str, TableRows]:
        rows: list[list[object]] = []
        for value in values:
            try:
                rows.append(_row(json.loads(value), columns, flags))
            except (ValueError, KeyError, TypeError) as exc:
                # Only the SLA stage writes these topics: a bad record is a bug. Say what, never print it.
                log.error("unusable sla record skipped table=%s error=%s", table, type(exc).__name__)
        return {table: TableRows(columns, rows)}

    build.__name__ = f"{table}_tables"
    return build


response_tables = _builder("responses", RESPONSE_COLUMNS)
conversation_tables = _builder("sla_conversations", CONVERSATION_COLUMNS)
live_tables = _builder("sla_live", LIVE_COLUMNS)
window_tables = _builder("sla_windows", WINDOW_COLUMNS)
