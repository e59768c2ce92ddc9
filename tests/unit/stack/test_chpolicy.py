"""The SQL the local ClickHouse front refuses (reaching files, the network, the process) and what it still runs.

Pure: the policy and the lexer, no engine. The integration test ``test_clickhouse_front_security`` proves the same
rules through a running front, against the engine's real behaviour.
"""

from __future__ import annotations

import pytest

from cxpulse.stack.cherrors import ACCESS_DENIED, SYNTAX_ERROR, ClickHouseError
from cxpulse.stack.chlex import token_text, tokens
from cxpulse.stack.chpolicy import QueryPolicy
from sinks.migrate import load_migrations

POLICY = QueryPolicy.for_catalogue(
    # a slice of chDB 4.4's catalogue: new table functions are refused unless allowlisted
    table_functions=["numbers", "file", "url", "python", "someFutureLakeFunction", "view", "input", "format"],
    functions=["file", "aiGenerate", "AIEmbed", "plus", "airportDistance"],
    engines=["MergeTree", "File", "SomeFutureEngine", "Atomic", "Filesystem"],
)

REFUSED = [
    ("SELECT * FROM file('/etc/passwd', 'LineAsString')", "file()"),
    ("select * from FILE('/etc/passwd')", "FILE()"),
    ("INSERT INTO FUNCTION file('/home/op/.venv/lib/site.pth', 'LineAsString') VALUES ('import os')", "file()"),
    ("SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", "url()"),
    ("SELECT * FROM file /* a comment */ ('/etc/passwd')", "file()"),
    ("SELECT * FROM file -- a comment\n('/etc/passwd')", "file()"),
    ("SELECT * FROM `file`('/etc/passwd')", "file()"),
    ("SELECT * FROM \"file\"('/etc/passwd')", "file()"),
    ("SELECT * FROM `\\x66ile`('/etc/passwd')", "escapes"),
    ("SELECT $$x$$, file('/etc/passwd')", "file()"),
    ("SELECT arrayMap(p -> file(p), ['/etc/passwd'])", "file()"),
    ("SELECT * FROM s3('https://bucket/x')", "s3()"),
    ("SELECT * FROM remote('127.0.0.1:9000', system.one)", "remote()"),
    ("SELECT * FROM cluster('default', system.one)", "cluster()"),
    ("SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')", "mysql()"),
    ("SELECT * FROM postgresql('h:5432', 'db', 't', 'u', 'p')", "postgresql()"),
    ("SELECT * FROM executable('x.sh', 'TSV', 'a String')", "executable()"),
    ("SELECT * FROM icebergLocal('/data')", "icebergLocal()"),
    ("SELECT * FROM python(df)", "python()"),
    ("SELECT * FROM someFutureLakeFunction('x')", "someFutureLakeFunction()"),
    ("SELECT aiGenerate('say hi')", "aiGenerate()"),
    ("SELECT AIEmbed('x')", "AIEmbed()"),
    ("SELECT * FROM loop(file('/etc/passwd'))", "file()"),
    ("CREATE VIEW v AS SELECT * FROM url('http://x/')", "url()"),
    ("CREATE TABLE t (s String) ENGINE = File(LineAsString, '/etc/passwd')", "File"),
    ("CREATE TABLE t (s String) ENGINE = URL('http://x/', CSV)", "URL"),
    ("CREATE TABLE t (s String) ENGINE SomeFutureEngine", "SomeFutureEngine"),
    ("CREATE TABLE t (s String) ENGINE = Distributed(c, db, t)", "Distributed"),
    ("CREATE TABLE t (x Int) ENGINE = MergeTree ORDER BY x SETTINGS disk = disk(type = local, path = '/tmp/')", "disk"),
    ("CREATE DATABASE fs ENGINE = Filesystem('/')", "Filesystem"),
    ("CREATE DATABASE o ENGINE = Overlay('a', 'b')", "Overlay"),
    ("CREATE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(HTTP(url 'http://x/' format 'TSV'))", "dictionaries"),
    ("CREATE OR REPLACE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(FILE(path '/x'))", "dictionaries"),
    ("ATTACH TABLE t FROM '/var/lib/other' (x Int) ENGINE = MergeTree ORDER BY x", "ATTACH"),
    ("SYSTEM SHUTDOWN", "SYSTEM"),
    ("system reload config", "SYSTEM"),
    ("BACKUP TABLE t TO File('/tmp/b.zip')", "BACKUP"),
    ("RESTORE TABLE t FROM Disk('default', 'b.zip')", "RESTORE"),
    ("SELECT 1 INTO OUTFILE '/tmp/x'", "OUTFILE"),
    ("SELECT * FROM (SELECT 1 INTO OUTFILE '/tmp/x')", "OUTFILE"),
    ("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT CSV", "INFILE"),
    ("SELECT 1 SETTINGS output_format_schema = '/tmp/schema.capnp'", "output_format_schema"),
    ("SET format_schema = '/etc/passwd:Message'", "format_schema"),
    ("SET `format_template_row` = '/etc/passwd'", "format_template_row"),
    ("INSERT INTO t SETTINGS input_format_values_interpret_expressions = 1", "input_format_values"),
    ("SET default_table_engine = 'File'", "default_table_engine"),
    ("SET allow_experimental_eval_table_function = 1", "eval"),
]

ALLOWED = [
    "SELECT 1",
    "SELECT 'file(' AS s, 'url(x)', $$remote($$, $t$s3($t$",  # calls inside strings are text
    "SELECT * FROM file",  # a table called file
    "SELECT * FROM db.file",
    "CREATE TABLE db.file (x Int) ENGINE = MergeTree ORDER BY x",  # a qualified name is never called
    "SELECT name, engine FROM system.tables WHERE engine = 'File'",  # a column named engine, a string 'File'
    "SELECT engine FROM system.databases",
    "SELECT number FROM numbers(10)",
    "SELECT * FROM view(SELECT 1)",
    "INSERT INTO t SELECT * FROM input('x String') FORMAT CSV",
    "SELECT fileSize, url_path FROM t",  # names that merely start like refused ones
    "SELECT airportDistance(1)",  # not an AI function
    "CREATE TEMPORARY TABLE scratch (x UInt8)",
    "CREATE TABLE t (x Int) ENGINE = ReplacingMergeTree(version) ORDER BY x",
    "CREATE DATABASE IF NOT EXISTS cx",
    "CREATE DATABASE cx ENGINE = Atomic",
    "SET max_threads = 1",
    "SELECT getSetting('format_schema')",  # a setting named in a string is only read
    "INSERT INTO t (source, url) FORMAT Native",
]


@pytest.mark.parametrize(("sql", "named"), REFUSED)
def test_outside_reaching_sql_is_refused_with_clickhouse_access_denied(sql: str, named: str) -> None:
    with pytest.raises(ClickHouseError) as refused:
        POLICY.check_sql(sql, "default")
    assert refused.value.code == ACCESS_DENIED and int(refused.value.http_status) == 403
    assert named in refused.value.message
    assert refused.value.message.startswith("default: Not enough privileges.")


@pytest.mark.parametrize("sql", ALLOWED)
def test_ordinary_sql_passes(sql: str) -> None:
    POLICY.check_sql(sql, "default")


def test_every_shipped_migration_passes() -> None:
    statements = [s for m in load_migrations() for s in m.statements({"retention_days": "400"})]
    assert len(statements) > 10
    for statement in statements:
        POLICY.check_sql(statement, "default")


def test_the_static_lists_refuse_without_a_catalogue() -> None:
    bare = QueryPolicy()
    for sql in ("SELECT * FROM file('/x')", "SELECT * FROM url('http://x')", "CREATE TABLE t (s String) ENGINE = S3"):
        with pytest.raises(ClickHouseError):
            bare.check_sql(sql, "u")


def test_refused_url_parameters_name_the_setting() -> None:
    with pytest.raises(ClickHouseError, match="output_format_schema"):
        POLICY.check_settings({"max_threads": "1", "output_format_schema": "/tmp/x"}, "default")
    POLICY.check_settings({"max_threads": "1", "session_timezone": "UTC"}, "default")


def test_an_unterminated_literal_is_refused_not_passed_through() -> None:
    for sql in ("SELECT 'abc", "SELECT $x$abc", "SELECT /* open", "SELECT `abc"):
        with pytest.raises(ClickHouseError) as refused:
            POLICY.check_sql(sql, "default")
        assert refused.value.code == SYNTAX_ERROR


def test_lexer_reads_heredocs_and_doubled_quotes_like_the_engine() -> None:
    sql = b"SELECT $tag$it's $$ here$tag$, `a``b`, x"
    kinds = [(t.kind, token_text(sql, t)) for t in tokens(sql)]
    assert kinds == [
        ("word", "SELECT"),
        ("string", "$tag$it's $$ here$tag$"),
        ("other", ","),
        ("ident", "a`b"),
        ("other", ","),
        ("word", "x"),
    ]
