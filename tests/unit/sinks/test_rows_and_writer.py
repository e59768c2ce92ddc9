"""Row building is a pure function of the event (so replays collapse) and the writer retries then pushes back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cxpulse.settings import SinkSettings
from schemas.events import AuthorRole, ConversationEvent, EventType
from sinks.errors import SinkBackpressure
from sinks.rows import (
    CONVERSATION_COLUMNS,
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    conversation_row,
    event_tables,
    message_row,
    rows_by_table,
)
from sinks.writer import UNREADABLE, BatchWriter, dedup_token

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CH = "CH" + "a" * 32


def event(event_type: EventType, event_id: str, *, at: datetime = T0, **fields: object) -> ConversationEvent:
    base: dict[str, object] = {
        "event_id": event_id,
        "event_type": event_type,
        "account_sid": "AC" + "0" * 32,
        "conversation_sid": CH,
        "occurred_at": at,
        "received_at": T0,
        "redacted": True,
    }
    if event_type.value.startswith("message"):
        base.update(
            message_sid="IM" + "1" * 32,
            index=0,
            body="hello <PERSON>",
            author="cust_x",
            author_role=AuthorRole.CUSTOMER,
        )
    base.update(fields)
    return ConversationEvent(**base)  # type: ignore[arg-type]


class FakeClient:
    """Records inserts; fails the first ``failures`` calls like a ClickHouse that is restarting."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.inserts: list[tuple[str, list[list[object]], list[str], dict[str, str]]] = []
        self.closed = 0

    def insert(self, table: str, rows: list[list[object]], column_names: list[str], settings: dict) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection refused")
        self.inserts.append((table, rows, column_names, settings))

    def close(self) -> None:
        self.closed += 1


def test_rows_match_their_column_lists() -> None:
    tables = rows_by_table([event(EventType.MESSAGE_ADDED, "e1"), event(EventType.CONVERSATION_ADDED, "e2")])
    assert [len(r) for r in tables["events"]] == [len(EVENT_COLUMNS)] * 2
    assert [len(r) for r in tables["messages"]] == [len(MESSAGE_COLUMNS)]
    assert [len(r) for r in tables["conversations"]] == [len(CONVERSATION_COLUMNS)]


def test_replayed_event_gives_identical_rows() -> None:
    first = rows_by_table([event(EventType.MESSAGE_ADDED, "e1")])
    again = rows_by_table([event(EventType.MESSAGE_ADDED, "e1")])
    assert first == again


def test_later_message_change_has_higher_version_and_keeps_sent_at() -> None:
    added = message_row(event(EventType.MESSAGE_ADDED, "e1"))
    updated = message_row(
        event(
            EventType.MESSAGE_UPDATED,
            "e2",
            at=T0 + timedelta(seconds=5),
            attributes={"raw_extra": {"DateCreated": T0.isoformat()}},
        )
    )
    removed_same_ms = message_row(event(EventType.MESSAGE_REMOVED, "e3", at=T0 + timedelta(seconds=5)))
    version = MESSAGE_COLUMNS.index("version")
    sent_at = MESSAGE_COLUMNS.index("sent_at")
    assert added is not None and updated is not None and removed_same_ms is not None
    assert added[version] < updated[version] < removed_same_ms[version]
    assert updated[sent_at] == added[sent_at] == T0


def test_conversation_update_without_state_writes_no_row() -> None:
    assert conversation_row(event(EventType.CONVERSATION_UPDATED, "e1")) is None
    row = conversation_row(event(EventType.CONVERSATION_STATE_UPDATED, "e2", state_from="active", state_to="closed"))
    assert row is not None and row[CONVERSATION_COLUMNS.index("state")] == "closed"
    added = conversation_row(event(EventType.CONVERSATION_ADDED, "e3"))
    assert added is not None and added[CONVERSATION_COLUMNS.index("state")] == "active"


def test_unredacted_events_are_refused() -> None:
    with pytest.raises(ValueError, match="unredacted"):
        rows_by_table([event(EventType.MESSAGE_ADDED, "e1", redacted=False)])


def test_dedup_token_depends_on_keys_not_order() -> None:
    assert dedup_token(["t:0:1", "t:1:7"]) == dedup_token(["t:1:7", "t:0:1"]) != dedup_token(["t:0:1"])


def test_event_tables_skip_unparsable_and_unredacted_records() -> None:
    good = event(EventType.MESSAGE_ADDED, "e1").to_json()
    unredacted = event(EventType.MESSAGE_ADDED, "e2", redacted=False).to_json()
    tables = event_tables([good, b"{not json", unredacted])
    assert [row[0] for row in tables["events"].rows] == ["e1"]
    assert tables["events"].columns == EVENT_COLUMNS
    # The unparsable one is listed for the dead-letter topic, without its value; the unredacted one never is.
    assert [(row[0], row[2]) for row in tables[UNREADABLE].rows] == [(1, False)]


def test_an_unreadable_redacted_event_is_listed_with_where_and_why_but_not_its_value() -> None:
    record = json.loads(event(EventType.MESSAGE_ADDED, "e1", body="call Zebulon on 4155550199").to_json())
    record["index"] = 2**32
    record["body"] = {"nested": "Zebulon 4155550199"}
    tables = event_tables([json.dumps(record).encode()])
    [[position, reason, keep_value]] = tables[UNREADABLE].rows
    assert (position, keep_value) == (0, True)
    assert reason == "unreadable event: index less_than_equal; body string_type"
    assert tables["events"].rows == []


def test_writer_retries_then_stores_every_table_with_the_token() -> None:
    client = FakeClient(failures=2)
    sleeps: list[float] = []
    writer = BatchWriter(lambda: client, SinkSettings(backoff_s=0.1), sleep=sleeps.append)  # type: ignore[arg-type,return-value]
    tables = event_tables(
        [event(EventType.MESSAGE_ADDED, "e1").to_json(), event(EventType.CONVERSATION_ADDED, "e2").to_json()]
    )
    result = writer.write(tables, token="tok")
    assert result.attempts == 3
    assert sleeps == [0.1, 0.2]
    assert {table for table, *_ in client.inserts} == {"events", "messages", "conversations"}
    assert {s["insert_deduplication_token"] for *_, s in client.inserts} == {"tok"}


def test_writer_raises_backpressure_after_bounded_attempts() -> None:
    client = FakeClient(failures=100)
    writer = BatchWriter(
        lambda: client,
        SinkSettings(insert_attempts=3, backoff_s=1, backoff_max_s=1.5),
        sleep=lambda _: None,  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(SinkBackpressure) as raised:
        writer.write(event_tables([event(EventType.MESSAGE_ADDED, "e1").to_json()]), token="tok")
    assert raised.value.retry_after == 1.5
    assert client.inserts == []
