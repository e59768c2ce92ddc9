"""Which records go to ``cx.sink.dlq``, and with what: every rejected row's record once, unreadable records by
position, and a value only when the record says it passed redaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sinks.agent import dead_letters, rejection_tables
from sinks.writer import UNREADABLE, RejectedRow, TableRows

COLUMNS = ("id", "n")


@dataclass
class Message:
    topic: str
    partition: int
    offset: int


@dataclass
class Record:
    key: bytes
    value: bytes
    message: Message


def record(offset: int, value: bytes) -> Record:
    return Record(key=b"k", value=value, message=Message("cx.events.validated", 1, offset))


def build_rows(values: list[bytes]) -> dict[str, TableRows]:
    """A builder like event_tables: one row per JSON record; anything else unreadable."""
    rows, unreadable = [], []
    for position, value in enumerate(values):
        try:
            data = json.loads(value)
            rows.append([data["id"], data["n"]])
        except (ValueError, KeyError):
            unreadable.append([position, "unreadable", False])
    return {"t": TableRows(COLUMNS, rows), UNREADABLE: TableRows(("position", "reason", "keep_value"), unreadable)}


def test_rejected_rows_and_unreadable_records_are_dead_lettered_once_each() -> None:
    records = [record(10 + i, json.dumps({"id": f"e{i}", "n": i}).encode()) for i in range(5)]
    records.insert(2, record(99, b"Zebulon 4155550199"))
    tables = build_rows([r.value for r in records])
    rejected = [
        RejectedRow("t", 3, "struct.error: 'I' format requires 0 <= number <= 4294967295"),
        RejectedRow(UNREADABLE, 2, "unreadable", keep_value=False),
    ]
    letters = [json.loads(letter) for _, letter in dead_letters(records, tables, rejected, build_rows)]
    assert sorted((x["source_offset"], x["table_name"]) for x in letters) == [(13, "t"), (99, UNREADABLE)]
    by_table = {x["table_name"]: x for x in letters}
    assert by_table[UNREADABLE]["value"] == "", "a record not marked redacted never travels on"
    assert json.loads(by_table["t"]["value"]) == {"id": "e3", "n": 3}
    stored = rejection_tables([json.dumps(x).encode() for x in letters])["sink_rejections"].rows
    assert sorted(row[2] for row in stored) == [13, 99]
