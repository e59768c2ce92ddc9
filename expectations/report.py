"""``cxpulse dq report``: pass rates per suite/expectation and the top failure reasons since a moment.

The SQL lives here as named constants with server-side parameters; the command only formats what it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sinks.clickhouse import Client

__all__ = ["PASS_RATES", "TOP_REASONS", "Report", "build_report", "parse_since"]

PASS_RATES = """
SELECT suite, expectation, count() AS batches, sum(evaluated) AS checks, sum(unexpected_count) AS failed,
       if(checks = 0, 1.0, 1 - failed / checks) AS pass_rate
FROM dq_results FINAL
WHERE validated_at >= {since:DateTime64(3)}
GROUP BY suite, expectation
ORDER BY pass_rate ASC, suite, expectation
"""
TOP_REASONS = """
SELECT reason, suite, expectation, count() AS events, any(message) AS message
FROM dlq_events FINAL
WHERE detected_at >= {since:DateTime64(3)}
GROUP BY reason, suite, expectation
ORDER BY events DESC, reason
LIMIT {limit:UInt32}
"""
_RELATIVE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``24h`` / ``15m`` / ``7d`` / ``30s`` (ago) or an ISO 8601 timestamp (UTC when naive)."""
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"--since must look like 24h, 15m, 7d or an ISO 8601 time, got {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True)
class Report:
    since: datetime
    pass_rates: list[dict[str, str]]
    top_reasons: list[dict[str, str]]


def build_report(client: Client, since: datetime, *, limit: int = 10) -> Report:
    """Query both tables and return printable rows."""
    naive = since.astimezone(UTC).replace(tzinfo=None)
    rates = client.query(PASS_RATES, parameters={"since": naive}).result_rows
    reasons = client.query(TOP_REASONS, parameters={"since": naive, "limit": limit}).result_rows
    return Report(
        since=since,
        pass_rates=[
            {
                "suite": s,
                "expectation": e,
                "batches": str(b),
                "evaluated": str(n),
                "failed": str(f),
                "pass_rate": f"{rate:.2%}",
            }
            for s, e, b, n, f, rate in rates
        ],
        top_reasons=[{"reason": r, "check": f"{s}/{e}", "events": str(n), "meaning": m} for r, s, e, n, m in reasons],
    )
