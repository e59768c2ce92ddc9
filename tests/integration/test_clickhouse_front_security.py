"""The local ClickHouse front through its real engine: only the stack's own clients get in, and no SQL reaches
files, the network or the server process.

It runs a PRIVATE front (``ClickHouseService`` on a free port, own state dir), never the session's shared stack. A
canary file with a random token stands for the operator's files: it must never come back in any answer, and no
file the SQL names may appear.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cxpulse.settings import Settings
from cxpulse.stack.clickhouse import ClickHouseService
from sinks.clickhouse import make_client
from tests.integration.conftest import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Objects an older, unguarded front let anyone create: the new front must detach them at start.
_SEED = """
import sys, chdb
conn = chdb.connect(sys.argv[1])
canary = sys.argv[2]
conn.query(f"CREATE TABLE default.leak (s String) ENGINE = File(LineAsString, '{canary}')")
conn.query(f"CREATE VIEW default.leak_view AS SELECT * FROM file('{canary}', 'LineAsString')")
conn.query("CREATE DATABASE fsroot ENGINE = Filesystem('/')")
conn.query("CREATE TABLE default.kept (x UInt8) ENGINE = MergeTree ORDER BY x")
conn.query("INSERT INTO default.kept VALUES (7)")
conn.close()
"""


@dataclass
class Front:
    settings: Settings
    service: ClickHouseService
    url: str
    canary: Path
    token: str
    scratch: Path

    @property
    def auth(self) -> tuple[str, str]:
        return self.settings.clickhouse.credentials()

    def post(self, sql: str, body: str = "", **kwargs: object) -> httpx.Response:
        kwargs.setdefault("auth", self.auth)
        return httpx.post(self.url, params={"query": sql}, content=body, timeout=30, **kwargs)  # type: ignore[arg-type]


def _start(state: Path) -> tuple[Settings, ClickHouseService]:
    port = free_port()
    settings = Settings(clickhouse={"url": f"http://127.0.0.1:{port}", "database": "sec"}, stack={"state_dir": state})
    service = ClickHouseService(settings)
    service.up()
    return settings, service


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    root = tmp_path_factory.mktemp("chfront")
    token = secrets.token_hex(16)
    canary = root / "operator-file.txt"
    canary.write_text(f"{token}\n")
    state = root / "state"
    seeded = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SEED), str(state / "clickhouse"), str(canary)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    settings, service = _start(state)
    try:
        scratch = root / "scratch"
        scratch.mkdir()
        url = f"{settings.clickhouse.url}/"
        running = Front(settings, service, url, canary, token, scratch)
        assert running.post("CREATE DATABASE IF NOT EXISTS sec").status_code == 200
        assert running.post("CREATE TABLE sec.t (s String) ENGINE = MergeTree ORDER BY s").status_code == 200
        yield running
    finally:
        service.down()


def test_no_credentials_get_401_and_a_wrong_password_403(front: Front) -> None:
    anonymous = front.post("SELECT 1", auth=None)
    assert (anonymous.status_code, anonymous.headers["X-ClickHouse-Exception-Code"]) == (401, "194")
    wrong = front.post("SELECT 1", auth=("default", "not-the-password"))
    assert (wrong.status_code, wrong.headers["X-ClickHouse-Exception-Code"]) == (403, "516")
    as_params = httpx.get(front.url, params={"query": "SELECT 1", "user": "default", "password": "guess"})
    assert as_params.status_code == 403
    # a browser's simple cross-site POST carries no credentials at all
    form = httpx.post(front.url, content="SELECT 1", headers={"Content-Type": "text/plain"})
    assert form.status_code == 401
    assert httpx.get(f"{front.url}ping").text == "Ok.\n"  # health checks stay open, as on a server


def test_the_stack_password_works_for_clickhouse_connect(front: Front) -> None:
    password_file = front.settings.clickhouse.password_file
    assert password_file == front.settings.stack.state_dir.resolve() / "secrets" / "clickhouse"
    client = make_client(front.settings.clickhouse)  # the rule every cxpulse component uses
    try:
        assert client.command("SELECT 1") == 1
        client.insert("sec.t", [["via-clickhouse-connect"]], column_names=["s"])
        assert client.command("SELECT count() FROM sec.t WHERE s = 'via-clickhouse-connect'") == 1
    finally:
        client.close()


def test_wrong_host_and_browser_requests_are_refused(front: Front) -> None:
    rebound = front.post("SELECT 1", headers={"Host": f"attacker.example:{front.service.port}"})
    assert (rebound.status_code, rebound.headers["X-ClickHouse-Exception-Code"]) == (403, "497")
    assert "does not name this server" in rebound.text
    assert httpx.get(f"{front.url}ping", headers={"Host": "attacker.example"}).status_code == 403
    browser = front.post("SELECT 1", headers={"Origin": "http://attacker.example"})
    assert browser.status_code == 403 and "web browsers" in browser.text


def _refused_without_trace(front: Front, response: httpx.Response, code: str = "497") -> None:
    assert response.status_code in (400, 403, 404, 500), response.text
    assert response.headers["X-ClickHouse-Exception-Code"] == code, response.text
    assert response.text.startswith(f"Code: {code}. DB::Exception: ")
    assert front.token not in response.text


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('{canary}', 'LineAsString')",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT file('{canary}')",
        "SELECT * FROM file/* hidden */('{canary}', 'LineAsString')",
        "SELECT * FROM `file`\n-- hidden\n('{canary}', 'LineAsString')",
        "SELECT * FROM `\\x66ile`('{canary}', 'LineAsString')",
        "SELECT $$x$$ AS a, * FROM file('{canary}', 'LineAsString')",
        "CREATE TABLE sec.f (s String) ENGINE = File(LineAsString, '{canary}')",
        "CREATE DATABASE fs2 ENGINE = Filesystem('/')",
        "SELECT * FROM python(canary)",
        "SELECT * FROM sec.t SETTINGS format_template_row = '{canary}'",
        "SYSTEM SHUTDOWN",
    ],
)
def test_reading_outside_is_refused(front: Front, sql: str) -> None:
    response = front.post(sql.format(canary=front.canary))
    _refused_without_trace(front, response)
    assert "root:" not in response.text


def test_writing_files_is_refused_and_nothing_is_written(front: Front) -> None:
    pth = front.scratch / "evil.pth"
    outfile = front.scratch / "out.txt"
    schema = front.scratch / "schema.capnp"
    attempts = [
        (f"INSERT INTO FUNCTION file('{pth}', 'LineAsString') VALUES", "('import os')", "497"),
        (f"INSERT INTO FUNCTION `file`('{pth}', 'LineAsString') SELECT 'import os'", "", "497"),
        (f"SELECT 'x' INTO OUTFILE '{outfile}'", "", "358"),
        (f"SELECT * FROM sec.t SETTINGS output_format_schema = '{schema}' FORMAT CapnProto", "", "497"),
        ("BACKUP TABLE sec.t TO File('backup.zip')", "", "497"),
    ]
    for sql, body, code in attempts:
        _refused_without_trace(front, front.post(sql, body), code)
    assert list(front.scratch.iterdir()) == []


def test_values_data_is_never_evaluated(front: Front) -> None:
    evaluated = front.post("INSERT INTO sec.t VALUES", f"(file('{front.canary}'))")
    assert evaluated.status_code != 200 and front.token not in evaluated.text
    plain = front.post("INSERT INTO sec.t VALUES", "('plain literal')")
    assert plain.status_code == 200, plain.text
    reenabled = front.post("INSERT INTO sec.t SETTINGS input_format_values_interpret_expressions = 1 VALUES", "('x')")
    _refused_without_trace(front, reenabled)
    as_param = httpx.post(
        front.url,
        params={"query": "INSERT INTO sec.t VALUES", "input_format_values_interpret_expressions": "1"},
        content=f"(file('{front.canary}'))",
        auth=front.auth,
    )
    _refused_without_trace(front, as_param)
    assert front.token not in front.post("SELECT * FROM sec.t").text


def test_external_tables_cannot_smuggle_sql_or_expressions(front: Front) -> None:
    """External data's structure is spliced into a CREATE, and a Values payload would be evaluated."""
    written = front.scratch / "external.txt"
    smuggled = httpx.post(
        front.url,
        params={
            "query": "SELECT * FROM ext",
            "ext_structure": f"s String) ENGINE = File(LineAsString, '{written}'",
        },
        files={"ext": ("ext.tsv", b"payload\n")},
        auth=front.auth,
    )
    _refused_without_trace(front, smuggled)
    as_values = httpx.post(
        front.url,
        params={"query": "SELECT * FROM ext", "ext_structure": "s String", "ext_format": "Values"},
        files={"ext": ("ext.values", f"(file('{front.canary}'))".encode())},
        auth=front.auth,
    )
    assert as_values.status_code != 200 and front.token not in as_values.text
    assert not written.exists()


def test_the_network_is_not_reached(front: Front) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        for sql in (
            f"SELECT * FROM url('http://127.0.0.1:{port}/', 'LineAsString')",
            f"SELECT * FROM remote('127.0.0.1:{port}', system.one)",
            f"CREATE TABLE sec.u (s String) ENGINE = URL('http://127.0.0.1:{port}/', LineAsString)",
        ):
            _refused_without_trace(front, front.post(sql))
        with pytest.raises(TimeoutError):
            listener.accept()


def test_table_names_are_not_file_paths(front: Front) -> None:
    """chDB's default database would read any file named as a table; the front swapped it for a plain one."""
    for response in (
        front.post(f"SELECT * FROM `{front.canary}`"),
        front.post(f"SELECT * FROM '{front.canary}'"),
        httpx.post(
            front.url,
            params={"query": "SELECT * FROM {t:Identifier}", "param_t": str(front.canary)},
            auth=front.auth,
        ),
    ):
        assert response.status_code == 404 and front.token not in response.text
        assert response.headers["X-ClickHouse-Exception-Code"] == "60"  # UNKNOWN_TABLE


def test_objects_made_before_the_front_was_guarded_are_detached(front: Front) -> None:
    for sql in ("SELECT * FROM default.leak", "SELECT * FROM default.leak_view"):
        response = front.post(sql)
        assert response.status_code == 404 and front.token not in response.text
    assert front.post(f"SELECT * FROM fsroot.`{front.canary}`").status_code == 404
    assert front.post("SELECT x FROM default.kept").text == "7\n"  # ordinary data stays
    log = front.service.process.log_file.read_text()
    assert "detached table default.leak" in log and "detached database fsroot (Filesystem)" in log


def test_listening_beyond_loopback_needs_the_setting(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("a-password\n")
    port = free_port()
    started = subprocess.run(
        [
            *(sys.executable, "-m", "cxpulse.stack.chserver", "--data-dir", str(tmp_path / "data")),
            *("--host", "0.0.0.0", "--port", str(port), "--password-file", str(tmp_path / "pw")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert started.returncode == 1
    assert "refusing to listen on 0.0.0.0" in started.stderr and "clickhouse_allow_remote_bind" in started.stderr
    assert not (tmp_path / "data").exists()  # refused before the engine even opened the data directory


def test_deleting_the_secret_and_restarting_rotates_the_password(tmp_path: Path) -> None:
    settings, service = _start(tmp_path / "state")
    try:
        old = settings.clickhouse.credentials()
        service.down()
        assert settings.clickhouse.password_file is not None
        settings.clickhouse.password_file.unlink()
        service.up()
        new = settings.clickhouse.credentials()
        assert new != old
        url = f"{settings.clickhouse.url}/"
        assert httpx.post(url, content="SELECT 1", auth=old).status_code == 403
        assert httpx.post(url, content="SELECT 1", auth=new).text == "1\n"
    finally:
        service.down()
