"""Sinks: everything that writes to ClickHouse (client factory, migrations, batched idempotent writers)."""
