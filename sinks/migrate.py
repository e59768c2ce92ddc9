"""``cxpulse migrate``: apply the numbered DDL files in ``schemas/clickhouse/`` once each, in order.

Applied files are recorded in ``schema_migrations`` with a checksum, so running ``migrate`` again is a no-op
and a migration edited after it was applied is reported instead of being silently skipped.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from string import Template

from cxpulse.settings import Settings
from sinks.clickhouse import Client, make_client
from sinks.errors import MigrationError

__all__ = ["Migration", "apply_migrations", "load_migrations"]

log = logging.getLogger(__name__)

_MIGRATIONS_TABLE = "schema_migrations"
_FILE_PATTERN = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Statements end with ";" at the end of a line; our DDL never has one inside a string literal.
_STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self, variables: dict[str, str]) -> list[str]:
        rendered = Template(self.sql).substitute(variables)
        without_comments = "\n".join(line for line in rendered.splitlines() if not line.lstrip().startswith("--"))
        return [part.strip() for part in _STATEMENT_END.split(without_comments) if part.strip()]


def load_migrations() -> list[Migration]:
    """The DDL files shipped in ``schemas/clickhouse``, ordered by their number."""
    folder = resources.files("schemas") / "clickhouse"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_PATTERN.match(entry.name)
        if match:
            found.append(Migration(version=match.group(1), name=entry.name, sql=entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number: {versions}")
    return found


def _template_variables(settings: Settings) -> dict[str, str]:
    return {"retention_days": str(settings.retention.clickhouse_days)}


def _applied(client: Client) -> dict[str, str]:
    client.command(
        f"CREATE TABLE IF NOT EXISTS {_MIGRATIONS_TABLE} "
        "(version String, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    rows = client.query(f"SELECT version, checksum FROM {_MIGRATIONS_TABLE} FINAL").result_rows
    return {version: checksum for version, checksum in rows}


def apply_migrations(settings: Settings, *, database: str | None = None) -> list[str]:
    """Create the database if needed and apply every pending migration. Returns the names applied."""
    if settings.clickhouse.cluster:
        raise MigrationError(
            "CLICKHOUSE_CLUSTER is set, but replicated ON CLUSTER migrations are not implemented yet; "
            "unset it to migrate a single node"
        )
    database = database or settings.clickhouse.database
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
        raise MigrationError(f"not a safe database name: {database!r}")
    bootstrap = make_client(settings.clickhouse, database="")
    try:
        bootstrap.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    finally:
        bootstrap.close()

    client = make_client(settings.clickhouse, database=database)
    applied_now: list[str] = []
    try:
        applied = _applied(client)
        variables = _template_variables(settings)
        for migration in load_migrations():
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"{migration.name} changed after it was applied to {database}; "
                        "add a new numbered migration instead of editing an applied one"
                    )
                continue
            for statement in migration.statements(variables):
                try:
                    client.command(statement)
                except Exception as exc:
                    raise MigrationError(f"{migration.name} failed: {exc}") from exc
            client.insert(
                _MIGRATIONS_TABLE,
                [[migration.version, migration.name, migration.checksum]],
                column_names=["version", "name", "checksum"],
            )
            log.info("applied migration=%s database=%s", migration.name, database)
            applied_now.append(migration.name)
    finally:
        client.close()
    return applied_now
