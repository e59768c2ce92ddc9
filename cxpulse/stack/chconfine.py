"""Confine the chDB engine at start, before the front serves anything.

The SQL check (:mod:`cxpulse.stack.chpolicy`) sees statements; these steps fix what a statement alone cannot show:

* chDB's ``default`` database is an Overlay of an Atomic database and a *Filesystem* database, so any table name that
  is not a table reads the file of that name (``SELECT * FROM `/etc/passwd```, ``{t:Identifier}`` parameters, or a
  bare ``README`` relative to the server's working directory). It is swapped for the Atomic database alone: same
  UUID, same tables, nothing else (measured: the tables survive, and the swap is redone at every start because chDB
  recreates the Overlay each time).
* objects made before the front vetted SQL (an older cxpulse, or chDB used directly) may read outside: a ``File``
  table, a view over ``url()``, a dictionary, a ``Filesystem`` database. Each one the policy would refuse to create
  is detached (its data stays on disk, untouched) and named in the log.
* the policy itself is built from the engine's own catalogue of table functions, functions and engines.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

from cxpulse.stack.cherrors import ClickHouseError
from cxpulse.stack.chpolicy import QueryPolicy

__all__ = ["ConfinementError", "Query", "build_policy", "confine"]

logger = logging.getLogger(__name__)

#: Runs one SQL statement on the engine and returns its TabSeparated output.
Query = Callable[[str], str]

_SYSTEM_DATABASES = ("system", "information_schema", "INFORMATION_SCHEMA")
#: Database engines that hold only this engine's own tables.
_SAFE_DATABASE_ENGINES = frozenset({"Atomic", "Memory", "Ordinary", "Lazy"})
_STARTUP_USER = "chserver startup"
_DATABASE_ENGINES = "SELECT name FROM system.database_engines"


class ConfinementError(RuntimeError):
    """The engine could not be confined: the front must not serve it."""


def build_policy(query: Query) -> QueryPolicy:
    """The policy for this engine: its table functions, AI functions and engines, read from its catalogue."""
    return QueryPolicy.for_catalogue(
        table_functions=_lines(query("SELECT name FROM system.table_functions")),
        functions=_lines(query("SELECT name FROM system.functions")),
        engines=_lines(
            query("SELECT name FROM system.table_engines UNION ALL SELECT name FROM system.database_engines")
        ),
    )


def confine(query: Query, policy: QueryPolicy) -> list[str]:
    """Swap the Overlay ``default`` database for its Atomic part and detach what reaches outside; returns what was
    detached. Raises :class:`ConfinementError` if ``default`` is still not a plain database afterwards."""
    overlay_uuid = query("SELECT uuid FROM system.databases WHERE name = 'default' AND engine = 'Overlay'").strip()
    if overlay_uuid:
        query("DETACH DATABASE default")
        query(f"ATTACH DATABASE default UUID '{overlay_uuid}' ENGINE = Atomic")
    engine = query("SELECT engine FROM system.databases WHERE name = 'default'").strip()
    if engine not in _SAFE_DATABASE_ENGINES:
        raise ConfinementError(f"the default database is {engine or 'missing'} after confinement, not Atomic")
    detached = _detach_outside_databases(query) + _detach_outside_tables(query, policy)
    for name in detached:
        logger.warning("detached %s: it reads or writes outside the data directory (data left on disk)", name)
    return detached


def _detach_outside_databases(query: Query) -> list[str]:
    detached = []
    for line in _lines(query("SELECT name, engine FROM system.databases")):
        name, engine = line.split("\t")
        if name not in _SYSTEM_DATABASES and engine not in _SAFE_DATABASE_ENGINES:
            query(f"DETACH DATABASE {_ident(name)}")
            detached.append(f"database {name} ({engine})")
    return detached


def _detach_outside_tables(query: Query, policy: QueryPolicy) -> list[str]:
    excluded = ", ".join(f"'{name}'" for name in _SYSTEM_DATABASES)
    rows = query(  # base64: names and statements may hold tabs, newlines and backslashes
        "SELECT base64Encode(database), base64Encode(name), base64Encode(create_table_query) FROM system.tables "
        f"WHERE database NOT IN ({excluded}) AND NOT is_temporary"
    )
    detached = []
    for line in _lines(rows):
        database, name, create = (base64.b64decode(field).decode() for field in line.split("\t"))
        try:
            policy.check_sql(create, _STARTUP_USER)
        except ClickHouseError:
            target = f"{_ident(database)}.{_ident(name)}"
            try:
                query(f"DETACH TABLE {target}")
            except ClickHouseError:
                query(f"DETACH DICTIONARY {target}")
            detached.append(f"table {database}.{name}")
    return detached


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def _ident(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
