"""``0005_sla_rollups.sql`` splits into whole statements and keeps its view parameters through templating."""

from sinks.migrate import load_migrations


def _rollups_statements() -> list[str]:
    (migration,) = [m for m in load_migrations() if m.name == "0005_sla_rollups.sql"]
    return migration.statements({"retention_days": "30"})


def test_every_statement_is_whole_and_templated() -> None:
    statements = _rollups_statements()
    kinds = [" ".join(s.split()[:2]) for s in statements]
    assert kinds.count("CREATE TABLE") == 4
    assert kinds.count("CREATE MATERIALIZED") == 4
    assert kinds.count("INSERT INTO") == 4  # the backfill of facts stored before the migration
    assert kinds.count("CREATE VIEW") == 7
    assert all("${" not in s and not s.rstrip().endswith(";") for s in statements)
    assert all("INTERVAL 30 DAY" in s for s in statements if s.startswith("CREATE TABLE"))


def test_views_keep_their_range_parameters() -> None:
    """string.Template must leave ClickHouse's ``{name:Type}`` view parameters alone."""
    views = [s for s in _rollups_statements() if s.startswith("CREATE VIEW")]
    assert all("{start:DateTime}" in v and "{end:DateTime}" in v for v in views)
