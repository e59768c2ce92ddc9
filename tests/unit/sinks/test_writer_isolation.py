"""A row ClickHouse can never store is isolated and returned; outages are still held; systemic rejections too."""

from __future__ import annotations

import struct

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, DataError, OperationalError

from cxpulse.settings import SinkSettings
from sinks.errors import SinkBackpressure, is_transient
from sinks.writer import BatchWriter, TableRows, describe_error

COLUMNS = ("id", "message_index")


class UInt32Client:
    """Stores rows whose ``message_index`` fits a UInt32, packing it as clickhouse-connect's Native writer does
    (``struct.error`` for a value out of range); can also fail like an outage a number of times."""

    def __init__(self, outages: int = 0, server_error: DatabaseError | None = None) -> None:
        self.outages = outages
        self.server_error = server_error
        self.stored: dict[str, list[list[object]]] = {}
        self.tokens: list[str] = []
        self.calls = 0

    def insert(self, table: str, rows: list[list[object]], column_names: list[str], settings: dict) -> None:
        self.calls += 1
        if self.outages:
            self.outages -= 1
            raise OperationalError("HTTPDriver for http://127.0.0.1:8123 received ClickHouse error (connection)")
        if self.server_error is not None:
            raise self.server_error
        for row in rows:
            struct.pack("<I", row[1])
        token = settings["insert_deduplication_token"]
        if token in self.tokens:
            return  # ClickHouse drops a block whose token it has seen
        self.tokens.append(token)
        self.stored.setdefault(table, []).extend(rows)

    def close(self) -> None:
        pass


def writer(client: UInt32Client, attempts: int = 3) -> BatchWriter:
    settings = SinkSettings(insert_attempts=attempts, backoff_s=0.01, backoff_max_s=0.01)
    return BatchWriter(lambda: client, settings, sleep=lambda _: None)  # type: ignore[arg-type,return-value]


def test_one_bad_row_in_a_thousand_is_isolated_and_the_rest_stored() -> None:
    rows = [[f"e{i}", i] for i in range(1000)]
    rows[617][1] = 4294967296  # Twilio's Index can never be this; ClickHouse's UInt32 cannot hold it
    client = UInt32Client()
    result = writer(client).write({"events": TableRows(COLUMNS, rows)}, token="tok")
    assert [(r.table, r.index) for r in result.rejected] == [("events", 617)]
    assert "struct.error" in result.rejected[0].reason and "4294967295" in result.rejected[0].reason
    assert sorted(r[0] for r in client.stored["events"]) == sorted(f"e{i}" for i in range(1000) if i != 617)
    assert result.rows == {"events": 999}
    assert client.calls <= 2 * 10 + 1, "bisection costs about 2 log2(n) inserts"


def test_a_replayed_batch_bisects_the_same_way_and_stores_nothing_twice() -> None:
    rows = [[f"e{i}", i] for i in range(64)]
    rows[3][1] = -1
    rows[40][1] = 2**40
    client = UInt32Client()
    first = writer(client).write({"events": TableRows(COLUMNS, rows)}, token="tok")
    again = writer(client).write({"events": TableRows(COLUMNS, rows)}, token="tok")
    assert [r.index for r in first.rejected] == [r.index for r in again.rejected] == [3, 40]
    assert len(client.stored["events"]) == 62


def test_an_outage_during_bisection_is_retried_and_nothing_is_lost_or_doubled() -> None:
    rows = [[f"e{i}", i] for i in range(16)]
    rows[5][1] = 2**33
    client = UInt32Client(outages=1)
    result = writer(client).write({"events": TableRows(COLUMNS, rows)}, token="tok")
    assert [r.index for r in result.rejected] == [5]
    assert len(client.stored["events"]) == 15


def test_an_outage_is_still_held_as_backpressure() -> None:
    client = UInt32Client(outages=100)
    with pytest.raises(SinkBackpressure):
        writer(client).write({"events": TableRows(COLUMNS, [["e1", 1]])}, token="tok")


def test_every_row_rejected_for_one_reason_is_held_not_dead_lettered() -> None:
    """A column of the wrong type rejects everything: that is a deployment problem, not bad data."""
    client = UInt32Client()
    rows = [[f"e{i}", -i - 1] for i in range(8)]
    with pytest.raises(SinkBackpressure):
        writer(client).write({"events": TableRows(COLUMNS, rows)}, token="tok")
    assert "events" not in client.stored


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionError("refused"), True),
        (TimeoutError(), True),
        (OperationalError("connection reset"), True),
        (DatabaseError("Code: 252. DB::Exception: Too many parts", code=252), True),
        (DatabaseError("Code: 60. DB::Exception: Unknown table", code=60), True),
        (DatabaseError("Code: 999. unknown", code=12345), True),
        (DatabaseError("Code: 321. DB::Exception: Value out of range", code=321), False),
        (DatabaseError("Code: 53. DB::Exception: Type mismatch", code=53), False),
        (struct.error("'I' format requires 0 <= number <= 4294967295"), False),
        (OverflowError("int too big"), False),
        (TypeError("bad type"), False),
    ],
)
def test_outages_and_bad_rows_are_told_apart(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_the_drivers_conversion_error_is_a_bad_row_described_by_column_and_range_without_the_value() -> None:
    """clickhouse-connect wraps the ``struct.error`` of a value out of range in a DataError (seen on the real
    engine); the reason names the column and the range, never the value."""
    try:
        try:
            struct.pack("<I", 4294967296)
        except struct.error as cause:
            raise DataError("Unable to create native array for column `message_index`: value out of range") from cause
    except DataError as exc:
        error = exc
    assert not is_transient(error)
    reason = describe_error(error)
    assert reason == "DataError in column message_index: struct.error: 'I' format requires 0 <= number <= 4294967295"
    assert "4294967296" not in reason
