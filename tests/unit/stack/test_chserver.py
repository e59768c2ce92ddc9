"""The chDB-backed ClickHouse HTTP front, driven the way the stack drives it: clickhouse-connect and raw HTTP.

The server runs as a subprocess on a temporary data directory (chDB hosts one engine per process, and the test
process never loads it); pure helpers (SQL splitting, encodings, error texts) are tested in-process.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
import lz4.block
import lz4.frame
import pytest
import zstandard
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError
from clickhouse_connect.driver.external import ExternalData

from cxpulse.stack.chserver import (
    ClickHouseError,
    InsertSplit,
    describe_sql,
    locate_insert_data,
    negotiate_encoding,
)

pytestmark = pytest.mark.timeout(120)

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
READY_LINE = re.compile(r"serving http://([\d.]+):(\d+)/")
ROWS = 20_000
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
USER, PASSWORD = "default", "unit-test-password"
AUTH = (USER, PASSWORD)


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    data_dir: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def client(self, **kwargs: Any) -> Client:
        return clickhouse_connect.get_client(host=self.host, port=self.port, username=USER, password=PASSWORD, **kwargs)

    def stop(self) -> int:
        """SIGTERM, as ``cxpulse stack down`` sends it; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_S)


def start_server(data_dir: Path, log: Path, *extra_args: str) -> RunningServer:
    """Start ``python -m cxpulse.stack.chserver`` on a free port and wait until it answers /ping."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    password_file = log.parent / "password"
    password_file.write_text(PASSWORD + "\n")
    command = [
        *(sys.executable, "-m", "cxpulse.stack.chserver", "--data-dir", str(data_dir), "--port", "0"),
        *("--password-file", str(password_file), *extra_args),
    ]
    log_start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, cwd=REPO_ROOT, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if (ready := READY_LINE.search(log.read_bytes()[log_start:].decode())) is not None:
            server = RunningServer(process, ready[1], int(ready[2]), data_dir, log)
            assert httpx.get(server.url + "ping").text == "Ok.\n"
            return server
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"chserver did not start; log:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    base = tmp_path_factory.mktemp("chserver")
    running = start_server(base / "data", base / "server.log")
    yield running
    assert running.stop() == 0, running.log.read_text()


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Client:
    return server.client()


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, auth=AUTH) as session:
        yield session


@pytest.fixture(scope="module")
def db(client: Client) -> str:
    client.command("CREATE DATABASE IF NOT EXISTS cx")
    return "cx"


# -- the pure helpers ------------------------------------------------------------------------------------------

FORMATS = {"native", "csv", "jsoneachrow", "tabseparated", "values"}


def _split(sql: bytes, clause: bytes, data: bytes, fmt: str) -> InsertSplit:
    """The expected split: SQL up to ``clause`` (FORMAT…/VALUES), data from ``data`` on."""
    return InsertSplit(sql.index(clause), sql.index(data), fmt)


@pytest.mark.parametrize(
    ("sql", "clause", "data", "fmt"),
    [
        (b"INSERT INTO t (a, b) FORMAT Native\n\x01\x02'binary", b"FORMAT", b"\x01", "Native"),
        (b"INSERT INTO t FORMAT CSV  \r\n\n1,2", b"FORMAT", b"\n1,2", "CSV"),  # blanks, then one line break only
        (b"INSERT INTO t FORMAT CSV 1,2", b"FORMAT", b"1,2", "CSV"),
        (b"INSERT INTO format SETTINGS x='FORMAT CSV' FORMAT CSV\n1", b"FORMAT CSV\n", b"1", "CSV"),
        (b"INSERT INTO FUNCTION f(format='CSV') VALUES (1)", b"VALUES", b"(1)", "Values"),
        (b"INSERT INTO t -- VALUES (0)\n VALUES (1)", b"VALUES (1)", b"(1)", "Values"),
    ],
)
def test_insert_data_is_split_where_clickhouse_splits_it(sql: bytes, clause: bytes, data: bytes, fmt: str) -> None:
    assert locate_insert_data(sql, final=True, input_formats=FORMATS) == _split(sql, clause, data, fmt)


def test_insert_without_inline_data_or_still_incomplete() -> None:
    assert locate_insert_data(b"INSERT INTO t SELECT 1 FORMAT CSV", final=True) is False
    assert locate_insert_data(b"SELECT 1 FORMAT CSV", final=False) is False
    assert locate_insert_data(b"INSERT INTO t FORMAT Nat", final=False) is None  # the name may go on
    assert locate_insert_data(b"INSERT INTO t VALUES", final=False) is None
    assert locate_insert_data(b"INSERT INTO t (a) /* comment", final=False) is None
    with pytest.raises(ClickHouseError) as excinfo:
        locate_insert_data(b"INSERT INTO t FORMAT CSV;1,2", final=True)
    assert excinfo.value.code == 62


def test_statements_are_classified_like_the_server_does() -> None:
    formats = {"json": "JSON", "tsv": "TSV"}
    shape = describe_sql(b"SELECT format, (SELECT 1 FORMAT TSV) FROM t FORMAT json", formats)
    assert (shape.keyword, shape.output_format, shape.returns_rows, shape.statements) == ("SELECT", "JSON", True, 1)
    assert describe_sql(b"SELECT 1; -- trailing\n").statements == 1
    assert describe_sql(b"SELECT 1; SELECT 2").extra_statement_at == 8
    assert describe_sql(b"SELECT 1 INTO OUTFILE 'x'").into_outfile
    assert describe_sql(b"  ").statements == 0
    assert describe_sql(b"CREATE TEMPORARY TABLE x (a Int8)").read_only
    assert not describe_sql(b"CREATE TABLE x (a Int8) ENGINE=Memory").read_only
    assert describe_sql(b"SET max_threads = 1").changes_session


def test_response_encoding_follows_clickhouse_preference_order() -> None:
    assert negotiate_encoding("lz4,zstd,gzip,deflate") == "zstd"  # clickhouse-connect's compress=True
    assert negotiate_encoding("gzip, deflate, br") == "gzip"
    assert negotiate_encoding("zstd;q=0, gzip;q=0.5") == "gzip"
    assert negotiate_encoding("br") is None
    assert negotiate_encoding("*") == "zstd"


def test_engine_errors_are_unwrapped_to_one_clickhouse_message() -> None:
    nested = RuntimeError(
        "Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format X. (UNKNOWN_FORMAT) (version 26.9.2.1)"
        ". (UNKNOWN_FORMAT)"
    )
    err = ClickHouseError.from_engine(nested)
    assert (err.code, err.name, err.message, int(err.http_status)) == (73, "UNKNOWN_FORMAT", "Unknown format X", 404)
    prefixed = ClickHouseError.from_engine(
        RuntimeError(
            "Streaming insert finish failed: Code: 27. DB::Exception: Cannot parse input. "
            "(CANNOT_PARSE_INPUT_ASSERTION_FAILED)"
        )
    )
    assert prefixed.render("v") == (
        "Code: 27. DB::Exception: Cannot parse input. (CANNOT_PARSE_INPUT_ASSERTION_FAILED) (version v)"
    )
    assert ClickHouseError.from_engine(ValueError("boom")).code == 1002


# -- the server ------------------------------------------------------------------------------------------------


def test_health_endpoints_answer_ok(http: httpx.Client) -> None:
    for path in ("/ping", "/", "/replicas_status"):
        response = http.get(path)
        assert (response.status_code, response.text) == (200, "Ok.\n")
    assert http.get("/no/such/handler").status_code == 404


def test_clickhouse_connect_handshake(client: Client) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", client.server_version)
    assert str(client.server_tz) == "UTC"
    assert client.command("SELECT timezone()") == "UTC"
    assert client.command("SELECT 1") == 1


EVENT_COLUMNS = ["id", "ts", "attrs", "tags", "wait_s", "queue", "version"]


def _event_rows(count: int, version: int = 1) -> list[list[Any]]:
    return [
        [
            f"IM{i:08d}",
            EPOCH + dt.timedelta(milliseconds=1500 * i),
            {"channel": "sms" if i % 2 else "whatsapp", "i": str(i)},
            [f"t{i % 7}", "vip"] if i % 5 == 0 else [],
            None if i % 3 == 0 else i % 600,
            f"queue-{i % 4}",
            version,
        ]
        for i in range(count)
    ]


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_insert_and_read_back_with_each_compression(server: RunningServer, db: str, compress: str | bool) -> None:
    client = server.client(compress=compress)
    table = f"{db}.events_{compress or 'none'}"
    client.command(
        f"""CREATE TABLE {table} (
              id String, ts DateTime64(3), attrs Map(String, String), tags Array(String),
              wait_s Nullable(Int32), queue LowCardinality(String), version UInt32
            ) ENGINE = ReplacingMergeTree(version) ORDER BY id"""
    )
    rows = _event_rows(ROWS)
    assert client.insert(table, rows, column_names=EVENT_COLUMNS).written_rows == ROWS
    assert client.insert(table, _event_rows(10, version=2), column_names=EVENT_COLUMNS).written_rows == 10

    assert client.command(f"SELECT count() FROM {table}") == ROWS + 10
    assert client.command(f"SELECT count() FROM {table} FINAL") == ROWS
    stored = client.query(f"SELECT * FROM {table} FINAL WHERE version = 1 ORDER BY id").result_rows
    expected = [(r[0], r[1].replace(tzinfo=None), r[2], r[3], r[4], r[5], 1) for r in rows[10:]]
    assert stored == expected
    queues = client.query(f"SELECT queue, count() FROM {table} FINAL GROUP BY queue ORDER BY queue").result_rows
    assert queues == [(f"queue-{q}", ROWS // 4) for q in range(4)]


def test_server_side_parameters(client: Client, db: str) -> None:
    client.command(f"CREATE TABLE {db}.params (id String, ts DateTime64(3), name String) ENGINE=MergeTree ORDER BY id")
    client.insert(
        f"{db}.params",
        [[f"c{i}", EPOCH + dt.timedelta(minutes=i), "alice" if i % 2 else "bob"] for i in range(100)],
        column_names=["id", "ts", "name"],
    )
    result = client.query(
        f"SELECT id FROM {db}.params WHERE ts >= {{since:DateTime64(3)}} AND name = {{name:String}}"
        " AND id IN {ids:Array(String)} ORDER BY id",
        parameters={"since": EPOCH + dt.timedelta(minutes=50), "name": "alice", "ids": ["c1", "c51", "c52", "c53"]},
    )
    assert result.result_rows == [("c51",), ("c53",)]
    # Large parameters make clickhouse-connect switch to a multipart form.
    many = [f"c{i}" for i in range(3000)]
    assert client.command(f"SELECT count() FROM {db}.params WHERE id IN {{ids:Array(String)}}", {"ids": many}) == 100


def test_query_df_and_query_arrow(client: Client) -> None:
    df = client.query_df("SELECT number AS n, toString(number) AS s, toLowCardinality('q') AS q FROM numbers(5)")
    assert list(df.columns) == ["n", "s", "q"]
    assert df["n"].tolist() == [0, 1, 2, 3, 4]
    table = client.query_arrow("SELECT number AS n FROM numbers(3)")
    assert table.column("n").to_pylist() == [0, 1, 2]
    assert client.query_df("SELECT 1 AS a WHERE 0").empty


def test_errors_carry_code_and_message_and_the_server_keeps_serving(client: Client, http: httpx.Client) -> None:
    with pytest.raises(DatabaseError) as unknown:
        client.query("SELECT * FROM cx.no_such_table")
    assert (unknown.value.code, unknown.value.name) == (60, "UNKNOWN_TABLE")
    assert "no_such_table" in str(unknown.value)
    with pytest.raises(DatabaseError) as syntax:
        client.command("SELEC 1")
    assert syntax.value.code == 62

    response = http.post("/", content="SELECT * FROM cx.no_such_table")
    assert response.status_code == 404
    assert response.headers["X-ClickHouse-Exception-Code"] == "60"
    assert re.fullmatch(r"Code: 60\. DB::Exception: .+\. \(UNKNOWN_TABLE\) \(version [\d.]+\)\n", response.text)
    assert http.post("/", content="SELEC 1").status_code == 400
    assert http.post("/", content="SELECT 1; SELECT 2").status_code == 400  # multi-statements, as a server
    assert client.command("SELECT 2") == 2


def test_curl_style_http(http: httpx.Client, db: str) -> None:
    response = http.get("/", params={"query": "SELECT 1"})
    assert response.text == "1\n"
    assert response.headers["X-ClickHouse-Format"] == "TabSeparated"
    assert response.headers["X-ClickHouse-Timezone"] == "UTC"
    assert response.headers["X-ClickHouse-Query-Id"]
    summary = json.loads(response.headers["X-ClickHouse-Summary"])
    assert summary["result_rows"] == "1" and {"read_rows", "written_rows", "elapsed_ns"} <= summary.keys()

    response = http.post("/", params={"default_format": "JSONEachRow"}, content="SELECT number AS n FROM numbers(2)")
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in response.text.splitlines()] == [{"n": 0}, {"n": 1}]

    http.post("/", content=f"CREATE TABLE {db}.raw (a UInt32, b String) ENGINE=MergeTree ORDER BY a").raise_for_status()
    response = http.post(
        "/", params={"query": f"INSERT INTO {db}.raw FORMAT JSONEachRow"}, content=b'{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n'
    )
    assert response.status_code == 200
    assert json.loads(response.headers["X-ClickHouse-Summary"])["written_rows"] == "2"
    # The query parameter and the body make one statement: here the body carries FORMAT and the data.
    http.post("/", params={"query": f"INSERT INTO {db}.raw"}, content="FORMAT CSV\n3,z\n").raise_for_status()
    assert http.get("/", params={"query": f"SELECT sum(a) FROM {db}.raw"}).text == "6\n"


def test_get_is_read_only(http: httpx.Client, db: str) -> None:
    http.post("/", content=f"CREATE TABLE {db}.ro (a UInt8) ENGINE = MergeTree ORDER BY a").raise_for_status()
    response = http.get("/", params={"query": f"INSERT INTO {db}.ro VALUES (1)"})
    assert response.headers["X-ClickHouse-Exception-Code"] == "164"
    assert "method GET implies readonly" in response.text
    assert http.get("/", params={"query": f"DROP TABLE {db}.ro"}).headers["X-ClickHouse-Exception-Code"] == "164"
    assert http.get("/", params={"query": f"SELECT count() FROM {db}.ro"}).text == "0\n"


def test_request_and_response_compression(http: httpx.Client, db: str) -> None:
    http.post("/", content=f"CREATE TABLE {db}.enc (a UInt32) ENGINE = MergeTree ORDER BY a").raise_for_status()
    encoders = {
        "lz4": lambda data: lz4.frame.compress(data[:4]) + lz4.frame.compress(data[4:]),  # several frames
        "zstd": zstandard.ZstdCompressor().compress,
        "gzip": gzip.compress,
        "deflate": zlib.compress,
    }
    for encoding, encode in encoders.items():
        response = http.post(
            "/",
            params={"query": f"INSERT INTO {db}.enc FORMAT CSV"},
            content=encode(b"1\n2\n3\n"),
            headers={"Content-Encoding": encoding},
        )
        assert response.status_code == 200, response.text
    # decompress=1: ClickHouse's own compressed blocks (checksum, method 0x82 = LZ4, sizes, payload).
    payload = lz4.block.compress(b"4\n", store_size=False)
    block = bytes(16) + struct.pack("<BII", 0x82, len(payload) + 9, 2) + payload
    response = http.post("/", params={"query": f"INSERT INTO {db}.enc FORMAT CSV", "decompress": "1"}, content=block)
    assert response.status_code == 200, response.text
    assert http.get("/", params={"query": f"SELECT count(), sum(a) FROM {db}.enc"}).text == "13\t28\n"

    for accept, expected in [("gzip", "gzip"), ("deflate, zstd", "zstd"), ("br", None)]:
        response = http.get(
            "/",
            params={"query": "SELECT 'compressed'", "enable_http_compression": "1"},
            headers={"Accept-Encoding": accept},
        )
        assert response.headers.get("Content-Encoding") == expected
        assert response.text == "compressed\n"  # httpx decodes gzip/deflate/zstd


def test_sessions_keep_state_and_url_settings_stay_per_query(server: RunningServer) -> None:
    client = server.client()  # clickhouse-connect generates a session id
    client.command("CREATE TEMPORARY TABLE scratch (x UInt8)")
    client.command("INSERT INTO scratch VALUES (1), (2)")
    assert client.command("SELECT sum(x) FROM scratch") == 3
    client.command("SET max_threads = 1")
    assert client.command("SELECT getSetting('max_threads')", settings={"max_threads": 2}) == 2
    assert client.command("SELECT getSetting('max_threads')") == 1
    other = server.client()
    with pytest.raises(DatabaseError):
        other.command("SELECT sum(x) FROM scratch")


def test_external_data_is_a_temporary_table_for_one_query(client: Client) -> None:
    external = ExternalData(file_name="lookup", data=b"1\tone\n2\ttwo\n", structure=["k UInt32", "v String"])
    result = client.query("SELECT v FROM lookup ORDER BY k", external_data=external)
    assert result.result_rows == [("one",), ("two",)]
    with pytest.raises(DatabaseError):
        client.query("SELECT * FROM lookup")


def test_streamed_results_and_errors_after_the_first_block(client: Client) -> None:
    with client.query_row_block_stream("SELECT number FROM numbers(300000)") as stream:
        assert sum(len(block) for block in stream) == 300_000
    with pytest.raises(Exception, match="throwIf"):  # noqa: B017 - clickhouse-connect raises a stream-specific error
        with client.query_row_block_stream(
            "SELECT number, throwIf(number = 250000) FROM numbers(300000) SETTINGS max_block_size = 1000"
        ) as stream:
            for _ in stream:
                pass
    assert client.command("SELECT 3") == 3


def test_concurrent_inserts_and_selects_lose_nothing(server: RunningServer, db: str) -> None:
    server.client().command(f"CREATE TABLE {db}.conc (worker UInt8, i UInt32) ENGINE = MergeTree ORDER BY (worker, i)")
    batches, batch_rows, errors = 8, 500, []

    def work(worker: int) -> None:
        try:
            client = server.client(compress="lz4")
            for batch in range(batches):
                rows = [[worker, batch * batch_rows + i] for i in range(batch_rows)]
                client.insert(f"{db}.conc", rows, column_names=["worker", "i"])
                seen = client.command(f"SELECT count() FROM {db}.conc WHERE worker = {worker}")
                assert seen == (batch + 1) * batch_rows
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = server.client().query(f"SELECT worker, count(), uniqExact(i) FROM {db}.conc GROUP BY 1 ORDER BY 1")
    assert counts.result_rows == [(w, batches * batch_rows, batches * batch_rows) for w in range(4)]


def test_restart_keeps_data_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    first = start_server(data_dir, log, "--max-body-size", "65536")
    try:
        client = first.client()
        client.command("CREATE TABLE kept (a UInt32) ENGINE = MergeTree ORDER BY a")
        client.insert("kept", [[i] for i in range(1000)], column_names=["a"])
        too_big = httpx.post(
            first.url, params={"query": "INSERT INTO kept FORMAT CSV"}, content=b"1\n" * 40_000, auth=AUTH
        )
        assert too_big.status_code == 413
        assert too_big.headers["X-ClickHouse-Exception-Code"] == "229"
    finally:
        assert first.stop() == 0
    assert "unlocked" in log.read_text()

    second = start_server(data_dir, log)  # would fail if the first had not released the chDB lock
    try:
        assert second.client().command("SELECT count(), sum(a) FROM kept") == ["1000", "499500"]
    finally:
        assert second.stop() == 0
