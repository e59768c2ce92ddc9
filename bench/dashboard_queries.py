"""How fast the Live SLA and At risk pages' queries answer on big tables (target: each ≤ 300 ms).

Run: ``.venv/bin/python bench/dashboard_queries.py [--messages 10000000] [--days 14] [--repeat 15] [--keep]``
(``--reuse DATABASE`` times again against a database kept by ``--keep``, without seeding).

Seeds a dedicated database on the configured ClickHouse (``CLICKHOUSE_URL``; the shared local stack by
default) with ``--messages`` messages spread over ``--days`` days up to now, and the facts that go with them:
one conversation per 8 messages (alternating customer and agent), 4 answered waits per conversation in
``responses`` (10 % re-published with a higher version, as late events do), one ``sla_conversations`` row per
conversation, ``sla_live`` status rows (2 % of conversations are still waiting), and one ``events`` row per
message plus the conversation and agent-join events. Seeding runs inside ClickHouse (``INSERT … SELECT`` from
``numbers()``), in chunks so the progress bars move. Then every query the two live pages run is timed
end to end through clickhouse-connect (HTTP + DataFrame), as the dashboard calls it, with the default
filters (last 60 min, all channels), with a channel filter, and with the widest range (24 h; "today" late in
the day costs the same in ``sla_by_queue``), next to a baseline measured in the same loop (a count over the
range's messages: one round trip plus one column scan) and the ratio to it. The database is
dropped at the end unless ``--keep``. The machine is shared: note ``uptime`` next to the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm  # noqa: E402

from cxpulse.settings import Settings, load_settings  # noqa: E402
from cxpulse.urls import mask_url  # noqa: E402
from dashboards import queries  # noqa: E402
from dashboards.filters import Filters, bounds  # noqa: E402
from sinks.clickhouse import Client, make_client  # noqa: E402
from sinks.migrate import apply_migrations  # noqa: E402

TARGET_MS = 300.0
MESSAGES_PER_CONVERSATION = 8
RESPONSES_PER_CONVERSATION = MESSAGES_PER_CONVERSATION // 2
#: Seconds between the messages of a conversation (customer, agent, customer, …).
MESSAGE_GAP_S = 15
CHUNK_ROWS = 1_000_000
SEED_TIMEOUT_S = 3600.0
#: Every this-many-th conversation is still waiting (no idle/closed row), so At risk has rows to show.
WAITING_EVERY = 50
#: Every this-many-th response fact is re-published with version 2 (a late event changed it).
REPUBLISHED_EVERY = 10

# Columns computed from the conversation number ``c`` (and message/response number within it). {start} and
# {step_ms} are integers the script computes; nothing user-supplied is formatted into SQL.
_CONVERSATION = """
    'CH' || leftPad(lower(hex(c)), 32, '0') AS sid,
    ['sms', 'whatsapp', 'chat'][c % 3 + 1] AS ch,
    ['billing', 'support', 'sales'][intDiv(c, 3) % 3 + 1] AS q,
    fromUnixTimestamp64Milli(toInt64({start_ms} + c * {step_ms}), 'UTC') AS created
"""

SEED = {
    "messages": """
        INSERT INTO messages (message_sid, conversation_sid, account_sid, channel, queue, message_index, author,
                              author_role, body, media_count, sent_at, updated_at, is_removed, last_event_id, version)
        SELECT 'IM' || leftPad(lower(hex(number)), 32, '0'), sid, 'AC' || repeat('0', 32),
               if(k % 2 = 0, ch, 'chat'), q, k, if(k % 2 = 0, ch || ':cust_' || lower(hex(cityHash64(c))), 'agent:sam'),
               if(k % 2 = 0, 'customer', 'agent'),
               if(k % 2 = 0, 'my number is <PHONE_NUMBER>, order still missing', 'Thanks, let me check that for you'),
               0, sent, sent, 0, 'EV' || toString(number), toUInt64(toUnixTimestamp64Milli(sent)) * 4
        FROM (
            SELECT number, intDiv(number, {per}) AS c, number % {per} AS k, {conversation},
                   created + toIntervalSecond((k + 1) * {gap}) AS sent
            FROM numbers({offset}, {count})
        )
    """,
    "events": """
        INSERT INTO events (event_id, event_type, account_sid, conversation_sid, message_sid, participant_sid, author,
                            author_role, channel, queue, attributes, occurred_at, received_at, source)
        SELECT 'EV' || toString(number), e_type, 'AC' || repeat('0', 32), sid, m_sid, p_sid, author, role,
               ch, q, '{{}}', at, at, 'simulator'
        FROM (
            SELECT number, intDiv(number, {per} + 2) AS c, number % ({per} + 2) AS k, {conversation},
                   multiIf(k = 0, 'conversation.added', k = 1, 'participant.added', 'message.added') AS e_type,
                   if(k >= 2, 'IM' || leftPad(lower(hex(c * {per} + k - 2)), 32, '0'), '') AS m_sid,
                   if(k = 1, 'MB' || leftPad(lower(hex(c)), 32, '0'), '') AS p_sid,
                   multiIf(k = 1 OR (k >= 2 AND k % 2 = 1), 'agent:sam', k = 0, '', ch || ':cust_x') AS author,
                   multiIf(k = 1 OR (k >= 2 AND k % 2 = 1), 'agent', k = 0, 'system', 'customer') AS role,
                   created + toIntervalSecond(greatest(k - 1, 0) * {gap}) AS at
            FROM numbers({offset}, {count})
        )
    """,
    "conversations": """
        INSERT INTO conversations (conversation_sid, account_sid, channel, queue, state, created_at, updated_at,
                                   attributes, last_event_id, version)
        SELECT sid, 'AC' || repeat('0', 32), ch, q, 'active', created, created, '{{}}', 'EV' || toString(c),
               toUInt64(toUnixTimestamp64Milli(created)) * 4
        FROM (SELECT number AS c, {conversation} FROM numbers({offset}, {count}))
    """,
    "responses": """
        INSERT INTO responses (response_id, conversation_sid, channel, queue, outcome, agent, customer_at, reply_at,
                               response_s, threshold_s, is_first, breached, short_abandon, segment,
                               customer_messages, retracted, version)
        SELECT sid || ':r:' || toString(p), sid, ch, q, 'answered', 'agent:sam', cust,
               cust + toIntervalMillisecond(toInt64(wait * 1000)), wait, 60, p = 0, wait > 60, 0, 0, 1, 0, v
        FROM (
            SELECT intDiv(number, {per}) AS c, number % {per} AS p, {conversation},
                   created + toIntervalSecond((2 * p + 1) * {gap}) AS cust,
                   toFloat64(cityHash64(number) % 120000) / 1000 + 1 AS wait,
                   arrayJoin(if(number % {republished} = 0, [1, 2], [1])) AS v
            FROM numbers({offset}, {count})
        )
    """,
    "sla_conversations": """
        INSERT INTO sla_conversations (conversation_sid, channel, queue, created_at, closed_at, handle_s,
                                       first_response_s, responses, breaches, abandoned_waits, short_abandons,
                                       unanswered_at_close, reopen_count, bot_contained, abandoned,
                                       messages_customer, messages_agent, messages_bot, messages_other,
                                       messages_total, cost, agents, version)
        SELECT sid, ch, q, created, created + toIntervalSecond({per} * {gap} + 60), {per} * {gap} + 60,
               20, {responses}, 1, 0, 0, 0, 0, c % 7 = 0, c % 11 = 0, {responses}, {responses}, 0, 0, {per},
               0.0079 * {per}, ['agent:sam'], 1
        FROM (SELECT number AS c, {conversation} FROM numbers({offset}, {count}))
        WHERE c % {waiting} != 0
    """,
    "sla_live": """
        INSERT INTO sla_live (conversation_sid, channel, queue, status, awaiting_since, threshold_s, breach_at,
                              last_activity, emitted_at)
        SELECT sid, ch, q, status, if(status IN ('awaiting', 'breaching'), created + toIntervalSecond({gap}), NULL),
               60, if(status IN ('awaiting', 'breaching'), created + toIntervalSecond({gap} + 60), NULL),
               created + toIntervalSecond({gap}), emitted
        FROM (
            SELECT number AS c, {conversation},
                   arrayJoin(if(c % {waiting} = 0, [('awaiting', 1), ('breaching', 2)],
                                [('awaiting', 1), ('idle', 2), ('closed', 3)])) AS step,
                   step.1 AS status,
                   created + toIntervalSecond(multiIf(step.2 = 1, {gap}, step.2 = 2, {gap} + 61,
                                                      {per} * {gap} + 60)) AS emitted
            FROM numbers({offset}, {count})
        )
        WHERE emitted <= fromUnixTimestamp64Milli(toInt64({end_ms}), 'UTC')
    """,
}


def _seed(ch: Client, messages: int, days: float, end: datetime) -> None:
    conversations = messages // MESSAGES_PER_CONVERSATION
    start_ms = int((end - timedelta(days=days)).timestamp() * 1000)
    step_ms = int(days * 86_400_000 / conversations)
    rows = {
        "messages": messages,
        "events": conversations * (MESSAGES_PER_CONVERSATION + 2),
        "conversations": conversations,
        "responses": conversations * RESPONSES_PER_CONVERSATION,
        "sla_conversations": conversations,
        "sla_live": conversations,
    }
    for table, total in rows.items():
        per = RESPONSES_PER_CONVERSATION if table == "responses" else MESSAGES_PER_CONVERSATION
        with tqdm(total=total, desc=f"seed {table}", unit="row", unit_scale=True) as bar:
            for offset in range(0, total, CHUNK_ROWS):
                count = min(CHUNK_ROWS, total - offset)
                conversation = _CONVERSATION.format(start_ms=start_ms, step_ms=step_ms)
                sql = SEED[table].format(
                    per=per,
                    gap=MESSAGE_GAP_S,
                    offset=offset,
                    count=count,
                    conversation=conversation,
                    republished=REPUBLISHED_EVERY,
                    responses=RESPONSES_PER_CONVERSATION,
                    waiting=WAITING_EVERY,
                    end_ms=int(end.timestamp() * 1000),
                )
                ch.command(sql)
                bar.update(count)


#: The ratio column's denominator: count the messages of the range (a scan of one time column).
BASELINE = """
SELECT count() FROM messages
WHERE sent_at >= {since:DateTime64(3, 'UTC')} AND sent_at <= {now:DateTime64(3, 'UTC')}
"""


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    call()  # warm-up: first-use caches (marks, dictionaries) are not what a refreshing page pays
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def _scenarios(settings: Settings, end: datetime) -> dict[str, Filters]:
    return {
        "default (60 min, all)": Filters(range_min=settings.dashboard.default_range_min),
        "channel=sms (60 min)": Filters(channels=("sms",), range_min=settings.dashboard.default_range_min),
        "24 h, all": Filters(range_min=max(settings.dashboard.time_ranges_min)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--reuse", metavar="DATABASE", help="time against a database kept by --keep (no seeding)")
    args = parser.parse_args()

    base = load_settings()
    database = args.reuse or f"bench_dash_{secrets.token_hex(4)}"
    # Seeding a chunk can take minutes on a busy machine: a long HTTP timeout for this client only.
    clickhouse = base.clickhouse.model_copy(update={"database": database, "query_timeout_s": SEED_TIMEOUT_S})
    settings = base.model_copy(update={"clickhouse": clickhouse})
    print(f"database {database} on {mask_url(settings.clickhouse.url)}; load: {os.getloadavg()}")
    ch = make_client(settings.clickhouse, database="")
    try:
        if args.reuse:
            ch = make_client(settings.clickhouse)
            end = ch.query("SELECT max(sent_at) FROM messages").first_row[0].replace(tzinfo=UTC)
        else:
            apply_migrations(settings)
            ch = make_client(settings.clickhouse)
            end = datetime.now(UTC)
            started = time.perf_counter()
            _seed(ch, args.messages, args.days, end)
            print(f"seeded in {time.perf_counter() - started:.0f}s")
        for table in ("messages", "events", "responses", "sla_live", "sla_conversations", "conversations"):
            print(f"  {table:18} {ch.query(f'SELECT count() FROM {table}').first_row[0]:>12,} rows")
        waiting_sid = ch.query(
            "SELECT conversation_sid FROM sla_live WHERE status = 'breaching' ORDER BY emitted_at DESC LIMIT 1"
        ).first_row[0]
        dash = settings.dashboard
        print(f"\nload before timing: {os.getloadavg()}  (repeat={args.repeat}, target ≤ {TARGET_MS:.0f} ms)")
        print(f"{'scenario':24} {'query':22} {'p50 ms':>8} {'max ms':>8} {'× base':>7}  target")
        worst = 0.0
        for name, filters in _scenarios(settings, end).items():
            b = bounds(filters, dash, now=end)
            calls: dict[str, Callable[[], object]] = {
                # The floor on this machine right now: one round trip and a time-column scan, no work.
                "baseline": lambda b=b: ch.query(BASELINE, parameters=b.parameters()),
                "sla_by_queue": lambda b=b: queries.sla_by_queue(ch, b),
                "waiting_now": lambda b=b: queries.waiting_now(ch, b),
                "volume_by_queue": lambda b=b: queries.volume_by_queue(ch, b),
                "sla_per_minute": lambda b=b: queries.sla_per_minute(ch, b),
                "opened_per_minute": lambda b=b: queries.opened_per_minute(ch, b),
                "at_risk": lambda b=b: queries.at_risk(ch, b, dash.at_risk_limit),
                "filter_choices": lambda: queries.filter_choices(ch),
                "transcript": lambda: queries.transcript(ch, waiting_sid),
            }
            base_ms = 0.0
            for query, call in calls.items():
                p50, high = _time(call, args.repeat)
                if query == "baseline":
                    base_ms = p50
                else:
                    worst = max(worst, p50)
                verdict = "ok" if p50 <= TARGET_MS else "MISSED"
                print(f"{name:24} {query:22} {p50:8.1f} {high:8.1f} {p50 / base_ms:7.1f}  {verdict}")
        print(f"\nload after timing: {os.getloadavg()}; slowest p50 {worst:.1f} ms")
        return 0 if worst <= TARGET_MS else 1
    finally:
        if args.keep or args.reuse:
            print(f"kept database {database}")
        else:
            ch.command(f"DROP DATABASE IF EXISTS {database}")
        ch.close()


if __name__ == "__main__":
    raise SystemExit(main())
