"""Redacted events → ClickHouse rows. Pure functions: the writer decides when and where they go.

Every row is a function of the event alone, so a replayed event produces the identical row and the
ReplacingMergeTree tables collapse it (see ``schemas/clickhouse/0001_core.sql``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import ValidationError

from schemas.events import ConversationEvent, EventType
from sinks.writer import UNREADABLE, UNREADABLE_COLUMNS, TableRows

__all__ = [
    "CONVERSATION_COLUMNS",
    "EVENT_COLUMNS",
    "MESSAGE_COLUMNS",
    "conversation_row",
    "event_tables",
    "event_row",
    "message_row",
    "rows_by_table",
]

log = logging.getLogger(__name__)

#: Validation errors named in an unreadable record's dead-letter reason.
_MAX_ERRORS = 3

EVENT_COLUMNS = (
    "event_id",
    "schema_version",
    "event_type",
    "account_sid",
    "chat_service_sid",
    "conversation_sid",
    "message_sid",
    "participant_sid",
    "message_index",
    "author",
    "author_role",
    "body",
    "media_count",
    "channel",
    "queue",
    "state_from",
    "state_to",
    "reason",
    "attributes",
    "occurred_at",
    "received_at",
    "source",
)
MESSAGE_COLUMNS = (
    "message_sid",
    "conversation_sid",
    "account_sid",
    "channel",
    "queue",
    "message_index",
    "author",
    "author_role",
    "body",
    "media_count",
    "sent_at",
    "updated_at",
    "is_removed",
    "last_event_id",
    "version",
)
CONVERSATION_COLUMNS = (
    "conversation_sid",
    "account_sid",
    "chat_service_sid",
    "channel",
    "queue",
    "state",
    "created_at",
    "updated_at",
    "is_removed",
    "attributes",
    "last_event_id",
    "version",
)

_MESSAGE_EVENTS = {EventType.MESSAGE_ADDED: 0, EventType.MESSAGE_UPDATED: 1, EventType.MESSAGE_REMOVED: 2}
_CONVERSATION_EVENTS = {
    EventType.CONVERSATION_ADDED: 0,
    EventType.CONVERSATION_UPDATED: 1,
    EventType.CONVERSATION_STATE_UPDATED: 1,
    EventType.CONVERSATION_REMOVED: 2,
}
_RANKS = 4
#: Twilio creates conversations in the active state unless told otherwise.
_DEFAULT_STATE = "active"
_CREATED_FIELDS = ("DateCreated", "date_created")


def _version(occurred_at: datetime, rank: int) -> int:
    """Later changes win; at the same millisecond, added < updated < removed."""
    return int(occurred_at.timestamp() * 1000) * _RANKS + rank


def _created_at(event: ConversationEvent) -> datetime:
    """When the message/conversation was created: an update event carries it in Twilio's DateCreated."""
    extra = event.attributes.get("raw_extra")
    if isinstance(extra, dict):
        for name in _CREATED_FIELDS:
            value = extra.get(name)
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    break
    return event.occurred_at


def _state(event: ConversationEvent) -> str:
    if event.state_to:
        return event.state_to
    extra = event.attributes.get("raw_extra")
    state = extra.get("State") if isinstance(extra, dict) else None
    if isinstance(state, str) and state:
        return state.lower()
    return _DEFAULT_STATE if event.event_type is EventType.CONVERSATION_ADDED else ""


def event_row(event: ConversationEvent) -> list[object]:
    return [
        event.event_id,
        event.schema_version,
        event.event_type.value,
        event.account_sid,
        event.chat_service_sid or "",
        event.conversation_sid,
        event.message_sid or "",
        event.participant_sid or "",
        event.index,
        event.author or "",
        event.author_role.value,
        event.body,
        event.media_count,
        event.channel,
        event.queue or "",
        event.state_from or "",
        event.state_to or "",
        event.reason or "",
        event.attributes_json(),
        event.occurred_at,
        event.received_at,
        event.source.value,
    ]


def message_row(event: ConversationEvent) -> list[object] | None:
    rank = _MESSAGE_EVENTS.get(event.event_type)
    if rank is None or not event.message_sid:
        return None
    sent_at = event.occurred_at if rank == 0 else _created_at(event)
    return [
        event.message_sid,
        event.conversation_sid,
        event.account_sid,
        event.channel,
        event.queue or "",
        event.index,
        event.author or "",
        event.author_role.value,
        event.body,
        event.media_count,
        sent_at,
        event.occurred_at,
        int(event.event_type is EventType.MESSAGE_REMOVED),
        event.event_id,
        _version(event.occurred_at, rank),
    ]


def conversation_row(event: ConversationEvent) -> list[object] | None:
    rank = _CONVERSATION_EVENTS.get(event.event_type)
    if rank is None:
        return None
    state = _state(event)
    if not state:
        # A whole-row replacement without a state would erase the known one; the event stays in `events`.
        return None
    created_at = event.occurred_at if rank == 0 else _created_at(event)
    return [
        event.conversation_sid,
        event.account_sid,
        event.chat_service_sid or "",
        event.channel,
        event.queue or "",
        state,
        created_at,
        event.occurred_at,
        int(event.event_type is EventType.CONVERSATION_REMOVED),
        event.attributes_json(),
        event.event_id,
        _version(event.occurred_at, rank),
    ]


def rows_by_table(events: Iterable[ConversationEvent]) -> dict[str, list[list[object]]]:
    """Rows for ``events``, ``messages`` and ``conversations`` from one batch of redacted events."""
    tables: dict[str, list[list[object]]] = {"events": [], "messages": [], "conversations": []}
    for event in events:
        if not event.redacted:
            raise ValueError(f"refusing to store unredacted event {event.event_id}")
        tables["events"].append(event_row(event))
        if (row := message_row(event)) is not None:
            tables["messages"].append(row)
        if (row := conversation_row(event)) is not None:
            tables["conversations"].append(row)
    return tables


def event_tables(values: Sequence[bytes]) -> dict[str, TableRows]:
    """The core sink's rows builder: redacted event JSON → ``events``, ``messages``, ``conversations``."""
    events: list[ConversationEvent] = []
    unreadable: list[list[object]] = []
    for position, value in enumerate(values):
        try:
            events.append(ConversationEvent.from_json(value))
        except ValidationError as exc:
            # Only our own stages write this topic, so a bad record is a bug or a replay of an old one: it goes to
            # the sink dead-letter topic with the fields and rules it broke (never their values, which may be PII).
            unreadable.append([position, unreadable_reason(exc), _marked_redacted(value)])
    unredacted = [e for e in events if not e.redacted]
    if unredacted:
        log.error("refusing to store %d unredacted events (a redaction bug): skipped", len(unredacted))
    tables = rows_by_table(e for e in events if e.redacted)
    return {
        "events": TableRows(EVENT_COLUMNS, tables["events"]),
        "messages": TableRows(MESSAGE_COLUMNS, tables["messages"]),
        "conversations": TableRows(CONVERSATION_COLUMNS, tables["conversations"]),
        UNREADABLE: TableRows(UNREADABLE_COLUMNS, unreadable),
    }


def _marked_redacted(value: bytes) -> bool:
    """Whether an unreadable record still says it passed redaction: only then may its value be dead-lettered
    (and stored in ``sink_rejections``); anything else could be raw text that lost its way."""
    try:
        record = json.loads(value)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("redacted") is True


def unreadable_reason(exc: ValidationError) -> str:
    """``"unreadable event: index less_than_equal; body string_type"``: where and which rule, never the value."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'record'} {e['type']}" for e in exc.errors()[:_MAX_ERRORS]]
    more = exc.error_count() - len(parts)
    return "unreadable event: " + "; ".join(parts) + (f"; +{more} more" if more > 0 else "")
