"""What SQL the local ClickHouse front refuses: anything that reaches the file system, the network or the process.

Why the front must do this itself: chDB is ``clickhouse-local``, and local mode trusts its user completely.
``file()``/``url()``/``s3()``/``remote()``… are not confined to ``user_files_path`` as on a server, the default
database reads any file named as a table (``SELECT * FROM `/etc/passwd```, an Overlay over a Filesystem database;
:class:`cxpulse.stack.chserver.Engine` replaces it with a plain Atomic database at start), ``python()`` reads
objects out of the server's own memory and ``aiGenerate()`` and friends call LLM endpoints. A server confines these
with configuration and grants; chDB has neither, so every statement is vetted here before the engine sees it.

How, in order of robustness:

* allowlists where the engine's catalogue is open-ended and grows with every release: table functions and table or
  database engines not listed in :data:`SAFE_TABLE_FUNCTIONS` / :data:`SAFE_ENGINES` are refused, whatever the
  engine adds next (:meth:`QueryPolicy.for_catalogue` reads the engine's own lists);
* denylists where the space is closed: scalar functions with outside effects (``file()``, dynamic ``disk()``, the AI
  functions), settings that name paths, endpoints or engines, statements (``SYSTEM``, ``BACKUP``/``RESTORE``,
  dictionaries with their external sources, ``ATTACH … FROM '<path>'``, ``INTO OUTFILE``/``FROM INFILE``);
* on tokens, never on text: comments and string literals are skipped (``/* */fi le(`` tricks and ``'file('`` in a
  string behave as in the engine), names compare case-insensitively, and a quoted name with a backslash escape in
  front of ``(`` is refused outright (the engine decodes ``\\x66ile`` to ``file``).

Per-user grants are not here yet (one user for now): :meth:`QueryPolicy.check_sql` receives the authenticated user
so a later governance change can narrow this policy per user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cxpulse.stack.cherrors import ACCESS_DENIED, SYNTAX_ERROR, ClickHouseError
from cxpulse.stack.chlex import Tok, Truncated, token_text, tokens

__all__ = [
    "OUTSIDE_ENGINES",
    "OUTSIDE_FUNCTIONS",
    "OUTSIDE_SETTINGS",
    "OUTSIDE_TABLE_FUNCTIONS",
    "SAFE_ENGINES",
    "SAFE_TABLE_FUNCTIONS",
    "VALUES_LITERALS_ONLY",
    "QueryPolicy",
]

#: Table functions that only compute or read this server's own tables (everything else the engine offers is refused).
SAFE_TABLE_FUNCTIONS = frozenset(
    {
        "numbers",
        "numbers_mt",
        "zeros",
        "zeros_mt",
        "generate_series",
        "generateseries",
        "generaterandom",
        "primes",
        "values",
        "null",
        "view",
        "viewifpermitted",
        "viewexplain",
        "merge",
        "loop",
        "input",  # the request's own body: INSERT … SELECT … FROM input('x String') FORMAT …
        "format",  # parses an inline string
        "dictionary",  # dictionaries with external sources cannot be created here
        "mergetreeindex",
        "mergetreeprojection",
    }
)
#: Table and database engines that keep data inside the data directory (Replicated* need Keeper: not here either).
SAFE_ENGINES = frozenset(
    {
        "mergetree",
        "replacingmergetree",
        "summingmergetree",
        "aggregatingmergetree",
        "collapsingmergetree",
        "versionedcollapsingmergetree",
        "graphitemergetree",
        "coalescingmergetree",
        "memory",
        "log",
        "tinylog",
        "stripelog",
        "null",
        "set",
        "join",
        "buffer",
        "view",
        "materializedview",
        "merge",
        "dictionary",
        "generaterandom",
        "atomic",  # database engines
    }
)
#: Refused even when the engine's catalogue is not at hand (unit tests, a catalogue query that failed): the
#: outside-reaching table functions of ClickHouse 26.9 and chDB 4.4. The catalogue adds whatever is new.
OUTSIDE_TABLE_FUNCTIONS = frozenset(
    {
        "file",
        "filecluster",
        "filesystem",
        "url",
        "urlcluster",
        "s3",
        "s3cluster",
        "gcs",
        "oss",
        "cosn",
        "hdfs",
        "hdfscluster",
        "azureblobstorage",
        "azureblobstoragecluster",
        "remote",
        "remotesecure",
        "cluster",
        "clusterallreplicas",
        "mysql",
        "postgresql",
        "mongodb",
        "redis",
        "sqlite",
        "jdbc",
        "odbc",
        "executable",
        "executablepool",
        "iceberg",
        "icebergs3",
        "icebergazure",
        "iceberghdfs",
        "iceberglocal",
        "deltalake",
        "deltalakelocal",
        "hudi",
        "paimon",
        "ytsaurus",
        "bigquery",
        "arrowflight",
        "arrowstream",
        "python",
        "eval",
        "prometheusquery",
        "prometheusqueryrange",
    }
)
#: Scalar functions with outside effects: ``file()`` reads a file, ``disk()`` defines a disk at any path, the AI
#: functions call endpoints (the catalogue adds every ``ai*``/``AI*`` function the engine has).
OUTSIDE_FUNCTIONS = frozenset(
    {
        "file",
        "disk",
        "catboostevaluate",
        "aigenerate",
        "aiembed",
        "aiclassify",
        "aiextract",
        "aifilter",
        "airedact",
        "aisimilarity",
        "aitranslate",
    }
)
_AI_FUNCTION = re.compile(r"^(ai|AI)[A-Z]")
#: Engines refused even without the catalogue (the catalogue adds every engine not in :data:`SAFE_ENGINES`).
OUTSIDE_ENGINES = frozenset(
    {
        "file",
        "filelog",
        "url",
        "s3",
        "s3queue",
        "hdfs",
        "azureblobstorage",
        "azurequeue",
        "distributed",
        "remote",
        "mysql",
        "postgresql",
        "materializedpostgresql",
        "mongodb",
        "redis",
        "sqlite",
        "jdbc",
        "odbc",
        "executable",
        "executablepool",
        "kafka",
        "rabbitmq",
        "nats",
        "embeddedrocksdb",  # takes a directory of its own
        "keepermap",
        "iceberg",
        "deltalake",
        "hudi",
        "filesystem",
        "overlay",
        "backup",
        "datalakecatalog",
        "replicated",
    }
)
#: Settings that name a file, an endpoint or an engine, or re-enable what is refused here (case-insensitive).
OUTSIDE_SETTINGS = frozenset(
    {
        "format_schema",  # Protobuf/CapnProto schema: local mode reads it from any path
        "format_schema_source",
        "output_format_schema",  # writes the inferred schema to a path
        "format_template_resultset",  # Template format definitions, read from a path
        "format_template_row",
        "format_avro_schema_registry_url",
        "input_format_record_errors_file_path",  # writes parse errors to a path
        "into_outfile_create_parent_directories",
        "url_base",
        "default_table_engine",
        "default_temporary_table_engine",
        "default_database_engine",
        "cloud_mode_engine",
        "cloud_mode_database_engine",
        "allow_python_table_function",
        "allow_experimental_eval_table_function",
        "ai_function_allow_insecure_endpoint",
        "allow_named_collection_override_by_default",
        "dynamic_disk_allow_from_env",
        "dynamic_disk_allow_include",
        "dynamic_disk_allow_from_zk",
        "input_format_values_interpret_expressions",  # VALUES data stays literals (see VALUES_LITERALS_ONLY)
        "input_format_values_deduce_templates_of_expressions",
    }
)
#: Forced on every VALUES insert: the engine evaluates expressions in VALUES *data* (``(file('/etc/passwd'))``),
#: which the SQL check never sees because the data streams past it. Literals only, then.
VALUES_LITERALS_ONLY: Mapping[str, str] = {
    "input_format_values_interpret_expressions": "0",
    "input_format_values_deduce_templates_of_expressions": "0",
}
_REFUSED_STATEMENTS = {
    "SYSTEM": "SYSTEM statements (they reload, flush, stop or shut down the engine)",
    "BACKUP": "BACKUP (it writes to files and disks)",
    "RESTORE": "RESTORE (it reads from files and disks)",
}
_CREATING = frozenset({"CREATE", "ATTACH", "REPLACE"})
_BACKSLASH = b"\\"


@dataclass(frozen=True)
class QueryPolicy:
    """The SQL this front runs; build it with :meth:`for_catalogue` from the engine's own lists."""

    denied_calls: frozenset[str] = field(default=OUTSIDE_TABLE_FUNCTIONS | OUTSIDE_FUNCTIONS)
    known_engines: frozenset[str] = field(default=OUTSIDE_ENGINES | SAFE_ENGINES)
    denied_settings: frozenset[str] = field(default=OUTSIDE_SETTINGS)

    @classmethod
    def for_catalogue(
        cls, table_functions: Iterable[str], functions: Iterable[str], engines: Iterable[str]
    ) -> QueryPolicy:
        """Every table function the engine has and :data:`SAFE_TABLE_FUNCTIONS` does not list is refused, so is
        every engine outside :data:`SAFE_ENGINES`, and every AI function."""
        unsafe_table_functions = {name.lower() for name in table_functions} - SAFE_TABLE_FUNCTIONS
        ai_functions = {name.lower() for name in functions if _AI_FUNCTION.match(name)}
        return cls(
            denied_calls=OUTSIDE_TABLE_FUNCTIONS | OUTSIDE_FUNCTIONS | unsafe_table_functions | ai_functions,
            known_engines=OUTSIDE_ENGINES | SAFE_ENGINES | {name.lower() for name in engines},
        )

    def check_settings(self, names: Iterable[str], user: str) -> None:
        """Refuse URL parameters that would set an outside-reaching setting (they become ``SET`` statements)."""
        for name in names:
            if name.lower() in self.denied_settings:
                raise _setting_refused(user, name)

    def check_sql(self, sql: str | bytes, user: str) -> None:
        """Raise ClickHouse's ACCESS_DENIED (403) for a statement that reaches outside; return if it does not."""
        buf = sql.encode() if isinstance(sql, str) else sql
        try:
            toks = list(tokens(buf))
        except Truncated:
            # the engine would report a syntax error; refusing here means our lexer and the engine's never disagree
            # about where a literal ends
            raise ClickHouseError(
                SYNTAX_ERROR, "Unterminated string, quoted identifier, heredoc or comment (refused by the front)"
            ) from None
        words = [token_text(buf, t).upper() if t.kind == "word" else "" for t in toks]
        self._check_statement(buf, toks, words, user)
        for i, tok in enumerate(toks):
            if tok.kind not in ("word", "ident"):
                continue
            name = token_text(buf, tok)
            following = toks[i + 1] if i + 1 < len(toks) else None
            if following is not None and buf[following.start : following.end] == b"(" and not _qualified(buf, toks, i):
                self._check_call(buf, tok, name, user)
            if name.lower() in self.denied_settings:
                raise _setting_refused(user, name)
            if words[i] == "ENGINE":
                self._check_engine(buf, toks, i, user)
            previous = words[i - 1] if i else ""
            if (words[i], previous) in (("OUTFILE", "INTO"), ("INFILE", "FROM")):
                raise _refused(user, f"{previous} {words[i]} (the front never touches files on the server)")

    def _check_statement(self, buf: bytes, toks: list[Tok], words: list[str], user: str) -> None:
        keyword = words[0] if words else ""
        if keyword in _REFUSED_STATEMENTS:
            raise _refused(user, _REFUSED_STATEMENTS[keyword])
        if keyword in _CREATING:
            head = []  # CREATE [OR REPLACE] [TEMPORARY] DICTIONARY name: the words before the first other token
            for tok, word in zip(toks, words, strict=True):
                if tok.kind != "word":
                    break
                head.append(word)
            if "DICTIONARY" in head:
                raise _refused(user, "dictionaries (their sources read files, URLs, databases and programs)")
        if keyword == "ATTACH":
            for i, word in enumerate(words[:-1]):
                if word == "FROM" and toks[i + 1].kind == "string":
                    raise _refused(user, "ATTACH … FROM '<path>' (it reads and writes a directory on the server)")

    def _check_call(self, buf: bytes, tok: Tok, name: str, user: str) -> None:
        if tok.kind == "ident" and _BACKSLASH in buf[tok.start : tok.end]:
            raise _refused(
                user, f"a quoted function name with escapes ({buf[tok.start : tok.end].decode(errors='replace')})"
            )
        if name.lower() in self.denied_calls:
            raise _refused(user, f"{name}() (it reaches the file system, the network or the server process)")

    def _check_engine(self, buf: bytes, toks: list[Tok], i: int, user: str) -> None:
        """``ENGINE [=] name``: with ``=`` the name must be safe; without, only a known unsafe engine is refused
        (``SELECT engine FROM system.tables`` names a column, not an engine)."""
        j = i + 1
        explicit = j < len(toks) and buf[toks[j].start : toks[j].end] == b"="
        j += explicit
        if j >= len(toks) or toks[j].kind not in ("word", "ident"):
            return
        engine = token_text(buf, toks[j])
        lowered = engine.lower()
        if (explicit and lowered not in SAFE_ENGINES) or (lowered in self.known_engines - SAFE_ENGINES):
            raise _refused(user, f"ENGINE = {engine} (only engines that keep data in the data directory are allowed)")


def _qualified(buf: bytes, toks: list[Tok], i: int) -> bool:
    """``db.file (…)`` names a table: the engine never calls a qualified name (measured: ``default.file()``,
    ``x.`file`()`` are unknown functions), so a table called like a function may still be created."""
    return i >= 2 and buf[toks[i - 1].start : toks[i - 1].end] == b"." and toks[i - 2].kind in ("word", "ident")


def _refused(user: str, what: str) -> ClickHouseError:
    return ClickHouseError(
        ACCESS_DENIED,
        f"{user}: Not enough privileges. The local ClickHouse front refuses {what}. See docs/security.md",
    )


def _setting_refused(user: str, name: str) -> ClickHouseError:
    return _refused(user, f"the setting {name} (it names files, endpoints or engines, or re-enables what is refused)")
