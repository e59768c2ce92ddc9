"""The ``cxpulse`` command: one entry point for the stack, the worker, the simulator, the dashboard, the demo.

Settings are loaded once here and passed down; subcommands stay thin and call into their rooms.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cxpulse.settings import Settings, load_settings

__all__ = ["main"]

log = logging.getLogger("cxpulse")


def _print_table(rows: Sequence[dict[str, str]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def _stack(args: argparse.Namespace, settings: Settings) -> int:
    from cxpulse.stack.manager import Stack

    stack = Stack(settings)
    if args.action == "up":
        for name, outcome in stack.up().items():
            print(f"{name}: {outcome}")
        _print_table(stack.status())
        return 0
    if args.action == "down":
        for name, was_running in stack.down().items():
            print(f"{name}: {'stopped' if was_running else 'was not running (nothing to stop)'}")
        return 0
    rows = stack.status()
    _print_table(rows)
    return 0 if all(r["state"] in {"healthy", "external"} for r in rows) else 1


def _kafka(args: argparse.Namespace, settings: Settings) -> int:
    """Kafka access (docs/security.md "Kafka"): topics + ACLs as admin, or a new local-stack password."""
    if args.action == "setup":
        from streams.acls import acl_set, should_apply_acls
        from streams.topics import ensure_topics

        created = ensure_topics(settings)
        print("topics created: " + (", ".join(created) if created else "none (all exist)"))
        if should_apply_acls(settings):
            print(f"ACLs in place: {len(acl_set(settings))}")
        else:
            print("ACLs not applied: this process is not the admin principal over SASL")
        return 0
    from cxpulse.stack.kafka import KafkaService

    print(KafkaService(settings).rotate_password(args.role))
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from sinks.migrate import apply_migrations

    applied = apply_migrations(settings, database=args.database)
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from cxpulse.worker import run_worker

    return run_worker(settings, migrate=not args.no_migrate, demo=args.demo)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from cxpulse.ingest import run_ingest

    return run_ingest(settings)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from cxpulse import simulate

    return simulate.main(args, settings)


def _dashboard(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from cxpulse.demo import dashboard_command

    command = dashboard_command(settings)
    # Become Streamlit, so signals (Ctrl-C, SIGTERM from a supervisor) reach the server itself.
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from cxpulse.demo import run_demo

    return run_demo(settings, rate=args.rate, duration=args.duration, seed=args.seed)


def _dlq(args: argparse.Namespace, settings: Settings) -> int:
    from expectations.replay import replay_dlq
    from expectations.report import parse_since

    since = parse_since(args.since) if args.since else None
    result = replay_dlq(
        settings,
        reasons=set(args.reason) if args.reason else None,
        since=since,
        dry_run=args.dry_run,
        progress=lambda n: print(f"\rread {n} dead-letter records", end="", file=sys.stderr) if n % 500 == 0 else None,
    )
    verb = "would replay" if args.dry_run else "replayed"
    print(
        f"read {result.read} dead-letter records; {verb} {result.replayed} "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(result.reasons.items())) or 'none'}); skipped: "
        f"{result.skipped_reason} other reasons, {result.skipped_time} older, {result.without_event} without a "
        f"redacted event, {result.undecodable} undecodable"
    )
    return 0


def _dq(args: argparse.Namespace, settings: Settings) -> int:
    from expectations.report import build_report, parse_since
    from sinks.clickhouse import make_client

    since = parse_since(args.since)
    client = make_client(settings.clickhouse)
    try:
        report = build_report(client, since, limit=args.limit)
    finally:
        client.close()
    print(f"data quality since {report.since.isoformat()}")
    print("\npass rates per suite/expectation (worst first):")
    _print_table(report.pass_rates) if report.pass_rates else print("  no validations recorded")
    print("\ntop failure reasons (dead-lettered events):")
    _print_table(report.top_reasons) if report.top_reasons else print("  none")
    return 0


def _report_redaction(args: argparse.Namespace, settings: Settings) -> int:
    from streams.redact.report import run_report

    return run_report(
        settings, since=args.since, until=args.until, fmt=args.format, output=args.output, gap_limit=args.gap_limit
    )


def _config(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(settings.masked(), indent=2, default=str))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxpulse", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="local Apache Kafka (KRaft) + ClickHouse (chDB) services")
    stack.add_argument("action", choices=["up", "down", "status"])
    stack.set_defaults(func=_stack)

    migrate = sub.add_parser("migrate", help="apply ClickHouse migrations (schemas/clickhouse/*.sql)")
    migrate.add_argument("--database", help="database to migrate (default: settings)")
    migrate.set_defaults(func=_migrate)

    worker = sub.add_parser("worker", help="run the stream worker: ingest + redaction + ClickHouse sink")
    worker.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start")
    worker.add_argument(
        "--demo",
        action="store_true",
        help="local trial: generate the salts that have no safe default (kept in the stack's state dir)",
    )
    worker.set_defaults(func=_worker)

    ingest = sub.add_parser(
        "ingest",
        help="serve the Twilio webhook endpoints on their own (no faust): verify, produce to the raw topic, "
        "answer after Kafka acknowledged; several may share the port",
    )
    ingest.set_defaults(func=_ingest)

    simulate = sub.add_parser("simulate", help="post signed, simulated Twilio webhooks to the ingest endpoint")
    from cxpulse import simulate as simulate_module

    simulate_module.add_arguments(simulate)
    simulate.set_defaults(func=_simulate)

    dashboard = sub.add_parser("dashboard", help="serve the Streamlit dashboard")
    dashboard.set_defaults(func=_dashboard)

    demo = sub.add_parser("demo", help="stack + worker + simulator + dashboard in one command (Ctrl-C stops)")
    demo.add_argument("--rate", type=float, default=20.0, help="simulated events per second (default 20)")
    demo.add_argument("--duration", type=float, default=None, help="seconds to simulate (default: until Ctrl-C)")
    demo.add_argument("--seed", type=int, default=None, help="simulator seed (default: random)")
    demo.set_defaults(func=_demo)

    dq = sub.add_parser("dq", help="data-quality guard: pass rates and failure reasons")
    dq.add_argument("action", choices=["report"])
    dq.add_argument("--since", default="24h", help="24h, 15m, 7d or an ISO 8601 time (default 24h)")
    dq.add_argument("--limit", type=int, default=10, help="how many failure reasons to list (default 10)")
    dq.set_defaults(func=_dq)

    kafka = sub.add_parser("kafka", help="Kafka access: `setup` topics + ACLs (as admin), `rotate-password`")
    kafka.add_argument("action", choices=["setup", "rotate-password"])
    kafka.add_argument(
        "--role",
        choices=["admin", "worker", "reader", "ingest"],
        default="worker",
        help="rotate-password: whose local-stack password (default: worker)",
    )
    kafka.set_defaults(func=_kafka)

    dlq = sub.add_parser("dlq", help="dead-lettered events: send them through validation again after a fix")
    dlq.add_argument("action", choices=["replay"])
    dlq.add_argument("--reason", action="append", help="only this DLQ reason (repeatable; default: every reason)")
    dlq.add_argument("--since", default=None, help="only records dead-lettered since 24h, 15m, 7d or an ISO time")
    dlq.add_argument("--dry-run", action="store_true", help="count what would be replayed, produce nothing")
    dlq.set_defaults(func=_dlq)

    report = sub.add_parser("report", help="compliance reports from ClickHouse")
    reports = report.add_subparsers(dest="report", required=True)
    redaction = reports.add_parser(
        "redaction", help="redaction coverage: scanned vs received, entities, fail-closed, versions (exit 1 if < 100%%)"
    )
    redaction.add_argument("--since", required=True, help="24h, 15m, 7d, 2w or an ISO 8601 time")
    redaction.add_argument("--until", default=None, help="same forms as --since (default: now)")
    redaction.add_argument("--format", choices=["md", "html", "csv"], default="md", help="default md")
    redaction.add_argument("--output", type=Path, default=None, help="write to this file (default: stdout)")
    redaction.add_argument(
        "--gap-limit",
        type=int,
        default=None,
        help="not-scanned event ids to list (default: [redaction] report_gap_limit)",
    )
    redaction.set_defaults(func=_report_redaction)

    config = sub.add_parser("config", help="print the effective settings (secrets masked)")
    config.set_defaults(func=_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # One line per HTTP request would drown the simulator's progress and the worker's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    handler: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return handler(args, load_settings())
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from cxpulse.errors import CxpulseError

        if isinstance(exc, CxpulseError | FileNotFoundError | ValueError):
            print(f"cxpulse: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
