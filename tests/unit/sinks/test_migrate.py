"""Migration files are discovered in order and split into statements with variables filled in."""

from sinks.migrate import load_migrations


def test_migrations_are_numbered_and_ordered() -> None:
    migrations = load_migrations()
    assert migrations, "schemas/clickhouse holds no migrations"
    versions = [m.version for m in migrations]
    assert versions == sorted(versions)


def test_statements_are_split_and_templated() -> None:
    core = load_migrations()[0]
    statements = core.statements({"retention_days": "30"})
    assert [s.split("(")[0].split()[-1] for s in statements] == ["events", "messages", "conversations"]
    assert all("${" not in s for s in statements)
    assert "INTERVAL 30 DAY" in statements[0]
    assert all(not s.rstrip().endswith(";") for s in statements)
