"""What the SLA rollups (``schemas/clickhouse/0005_sla_rollups.sql``) cost on insert and save on read.

Run: ``.venv/bin/python bench/sla_rollups.py [--facts 1000000] [--days 14] [--repeat 5] [--keep]``

Seeds two databases on the configured ClickHouse (``CLICKHOUSE_URL``; the shared local stack by default) with
the same ``responses`` rows, generated inside ClickHouse (``INSERT … SELECT`` from ``numbers()``): ``--facts``
response facts over ``--days`` days, 10 % re-published with a higher version, 2 % inserted twice and 1 %
retracted. Database ``with`` has every migration (the rollup views fire on insert); database ``without`` has the
rollup views dropped, so the ratio of the seeding times is the insert overhead of the rollups. Then, in
``with``, the exact reference (``sla_service_level_hourly``, ``FINAL`` over ``responses``) and the rollup view
(``sla_service_level_by_queue_hour``) are timed over the whole range and over one day, and their counts
compared. The machine is shared: the output includes ``uptime``; compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxpulse.settings import Settings, load_settings  # noqa: E402
from sinks.clickhouse import Client, make_client  # noqa: E402
from sinks.migrate import apply_migrations  # noqa: E402

CHUNK_ROWS = 250_000
SEED_TIMEOUT_S = 3600.0
#: Every this-many-th fact is re-published with version 2; every DUPLICATE_EVERY-th inserted twice; every
#: RETRACT_EVERY-th retracted (version 3).
REPUBLISH_EVERY = 10
DUPLICATE_EVERY = 50
RETRACT_EVERY = 100
ROLLUP_VIEWS = (
    "sla_response_fact_versions_mv",
    "sla_response_versions_mv",
    "sla_conversation_fact_versions_mv",
    "sla_conversation_versions_mv",
)

_ROWS = """
INSERT INTO responses
SELECT
    concat('CH', toString(intDiv(n, 4)), ':r:', toString(n)) AS response_id,
    concat('CH', toString(intDiv(n, 4))) AS conversation_sid,
    ['sms', 'whatsapp', 'chat'][1 + n % 3] AS channel,
    ['billing', 'support', 'sales', 'vip'][1 + intDiv(n, 3) % 4] AS queue,
    if(n % 20 = 0, 'abandoned', 'answered') AS outcome,
    if(outcome = 'answered', concat('agent', toString(n % 40)), '') AS agent,
    toDateTime64({start:DateTime}, 3, 'UTC') + toIntervalMillisecond(intDiv(n * {span_ms:UInt64}, {facts:UInt64}))
        AS customer_at,
    customer_at + toIntervalMillisecond(1000 + cityHash64(n, {version:UInt64}) % 120000) AS reply_at,
    dateDiff('millisecond', customer_at, reply_at) / 1000 AS response_s,
    60 AS threshold_s,
    toUInt8(n % 4 = 0) AS is_first,
    toUInt8(response_s > threshold_s) AS breached,
    toUInt8(outcome = 'abandoned' AND response_s < 5) AS short_abandon,
    0 AS segment,
    1 AS customer_messages,
    toUInt8({version:UInt64} = 3) AS retracted,
    {version:UInt64} AS version
FROM (SELECT number AS n FROM numbers({offset:UInt64}, {rows:UInt64}))
WHERE n % {every:UInt64} = 0
"""

_EXACT = """
SELECT sum(responses), sum(within_threshold), sum(abandoned_past_threshold)
FROM sla_service_level_hourly WHERE hour >= {since:DateTime}"""
_ROLLUP = """
SELECT sum(responses), sum(within_threshold), sum(abandoned_past_threshold)
FROM sla_service_level_by_queue_hour(start = {since:DateTime}, end = now() + INTERVAL 1 DAY)"""


def _seed(client: Client, facts: int, days: int, start: int) -> float:
    """Every pass of the fact stream, in chunks; returns the seconds spent inserting."""
    passes = [(1, 1), (1, DUPLICATE_EVERY), (2, REPUBLISH_EVERY), (3, RETRACT_EVERY)]
    spent = 0.0
    for version, every in passes:
        for offset in range(0, facts, CHUNK_ROWS):
            began = time.perf_counter()
            client.command(
                _ROWS,
                parameters={
                    "start": start,
                    "span_ms": days * 86_400_000,
                    "facts": facts,
                    "version": version,
                    "offset": offset,
                    "rows": min(CHUNK_ROWS, facts - offset),
                    "every": every,
                },
            )
            spent += time.perf_counter() - began
    return spent


def _timed(client: Client, sql: str, since: int, repeat: int) -> tuple[float, tuple]:
    times, result = [], ()
    for _ in range(repeat):
        began = time.perf_counter()
        result = tuple(client.query(sql, parameters={"since": since}).result_rows[0])
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    args = parser.parse_args()

    base: Settings = load_settings()
    settings = base.model_copy(
        update={"clickhouse": base.clickhouse.model_copy(update={"query_timeout_s": SEED_TIMEOUT_S})}
    )
    tag = secrets.token_hex(3)
    names = {"with": f"bench_rollups_with_{tag}", "without": f"bench_rollups_without_{tag}"}
    start = int(time.time()) - args.days * 86_400
    print(f"uptime before: {os.getloadavg()}")
    clients: dict[str, Client] = {}
    try:
        for kind, database in names.items():
            apply_migrations(settings, database=database)
            clients[kind] = make_client(settings.clickhouse, database=database)
        for view in ROLLUP_VIEWS:
            clients["without"].command(f"DROP VIEW {view}")
        seconds = {kind: _seed(client, args.facts, args.days, start) for kind, client in clients.items()}
        rows = clients["with"].query("SELECT count() FROM responses").result_rows[0][0]
        print(f"seeded {rows:,} response rows ({args.facts:,} facts) per database over {args.days} days")
        print(
            f"insert without rollups: {seconds['without']:.1f} s; with rollups: {seconds['with']:.1f} s "
            f"(x{seconds['with'] / seconds['without']:.2f})"
        )
        with_rollups = clients["with"]
        day_ago = int(time.time()) - 86_400
        # Whole hours, as both views group by hour and filter on the hour's start.
        for label, since in (("whole range", start - start % 3600), ("last day", day_ago - day_ago % 3600)):
            exact_ms, exact = _timed(with_rollups, _EXACT, since, args.repeat)
            rollup_ms, rolled = _timed(with_rollups, _ROLLUP, since, args.repeat)
            agree = "equal" if exact == rolled else f"DIFFER exact={exact} rollup={rolled}"
            print(
                f"{label}: FINAL view {exact_ms:.0f} ms, rollup view {rollup_ms:.0f} ms "
                f"(x{exact_ms / rollup_ms:.2f} faster); counts {agree}"
            )
        print(f"uptime after: {os.getloadavg()}")
    finally:
        for kind, database in names.items():
            client = clients.get(kind)
            if client is not None:
                if not args.keep:
                    client.command(f"DROP DATABASE IF EXISTS {database}")
                client.close()


if __name__ == "__main__":
    main()
