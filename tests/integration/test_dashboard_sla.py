"""The Live SLA, At risk and Transcript pages against seeded facts in the real ClickHouse engine.

The seed is small and written by hand (SLA facts inserted as the SLA stage would store them, core tables
through the real sink row builders), so every figure the pages show can be worked out on paper: each
expected value below says how.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from dashboards import queries
from dashboards.filters import Filters, bounds, format_wait
from schemas.events import AuthorRole, ConversationEvent, EventType
from sinks.clickhouse import make_client
from sinks.rows import event_tables
from sinks.writer import BatchWriter
from streams.sla.rows import CONVERSATION_COLUMNS, LIVE_COLUMNS, RESPONSE_COLUMNS
from tests.integration.conftest import Deployment, seeded_conversation

pytestmark = pytest.mark.integration

ACCOUNT = "AC" + "0" * 32
DASHBOARD_APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
THRESHOLD_S = 60.0
CUSTOMER = "whatsapp:cust_3f2a"


def _sid(n: int) -> str:
    return f"CH{n:032x}"


def _response(
    rid: str,
    channel: str,
    queue: str,
    outcome: str,
    response_s: float,
    reply_at: datetime,
    *,
    is_first: int = 1,
    short_abandon: int = 0,
    retracted: int = 0,
    version: int = 1,
) -> list[object]:
    values = {
        "response_id": rid,
        "conversation_sid": _sid(9000 + int(rid[1:])),
        "channel": channel,
        "queue": queue,
        "outcome": outcome,
        "agent": "agent:sam" if outcome == "answered" else "",
        "customer_at": reply_at - timedelta(seconds=response_s),
        "reply_at": reply_at,
        "response_s": response_s,
        "threshold_s": THRESHOLD_S,
        "is_first": is_first,
        "breached": int(response_s > THRESHOLD_S),
        "short_abandon": short_abandon,
        "segment": 0,
        "customer_messages": 1,
        "retracted": retracted,
        "version": version,
    }
    return [values[c] for c in RESPONSE_COLUMNS]


def _responses(now: datetime) -> list[list[object]]:
    """Answered (a) / abandoned (x) waits. m5 = replied 5 min ago (inside "last 15 min" and the 60 min range),
    m30 = 30 min ago (range only), m90 = 90 min ago (today only, if after 01:30), d2 = two days ago (neither)."""
    m5, m30, m90, d2 = (now - timedelta(minutes=m) for m in (5, 30, 90, 2 * 24 * 60))
    r = _response
    return [
        r("r1", "sms", "billing", "answered", 20, m5),
        r("r1", "sms", "billing", "answered", 20, m5),  # a replayed row: counts once
        r("r2", "sms", "billing", "answered", 90, m5),  # breached
        r("r3", "whatsapp", "support", "answered", 100, m5, version=1),  # superseded by version 2:
        r("r3", "whatsapp", "support", "answered", 40, m5, version=2),  # within
        r("r4", "chat", "sales", "abandoned", 120, m5),  # abandoned past the threshold: counts against
        r("r5", "chat", "sales", "abandoned", 3, m5, short_abandon=1),  # short abandon: never counts
        r("r6", "sms", "billing", "answered", 30, m5, version=1),
        r("r6", "sms", "billing", "answered", 30, m5, retracted=1, version=2),  # retracted: gone
        r("r7", "sms", "support", "answered", 10, m5, is_first=0),  # within, not a first response
        r("r8", "whatsapp", "billing", "answered", 50, m30),
        r("r9", "sms", "billing", "answered", 200, m30),  # breached
        r("r10", "sms", "billing", "abandoned", 30, m30),  # abandoned within the threshold: no SL effect
        r("r11", "sms", "billing", "answered", 15, m90),
        r("r12", "sms", "billing", "answered", 500, d2),
    ]


def _closed(
    n: int, channel: str, queue: str, closed_at: datetime, *, bot: int, abandoned: int = 0, version: int = 1
) -> list[object]:
    values = {
        "conversation_sid": _sid(5000 + n),
        "channel": channel,
        "queue": queue,
        "created_at": closed_at - timedelta(minutes=3),
        "closed_at": closed_at,
        "handle_s": 180.0,
        "first_response_s": None,
        "responses": 0,
        "breaches": 0,
        "abandoned_waits": abandoned,
        "short_abandons": 0,
        "unanswered_at_close": 0,
        "reopen_count": 0,
        "bot_contained": bot,
        "abandoned": abandoned,
        "messages_customer": 1,
        "messages_agent": 0,
        "messages_bot": bot,
        "messages_other": 0,
        "messages_total": 1 + bot,
        "cost": 0.0,
        "agents": [],
        "version": version,
    }
    return [values[c] for c in CONVERSATION_COLUMNS]


def _sla_conversations(now: datetime) -> list[list[object]]:
    """Closed in the 60 min range: 4 (two bot-contained → 50 %); one more closed 3 h ago (outside)."""
    m10 = now - timedelta(minutes=10)
    return [
        _closed(1, "sms", "billing", m10, bot=1),
        _closed(2, "whatsapp", "support", m10, bot=1),
        _closed(3, "chat", "sales", m10, bot=0, abandoned=1),
        _closed(4, "sms", "billing", m10, bot=1, version=1),
        _closed(4, "sms", "billing", m10, bot=0, version=2),  # the latest version is not contained
        _closed(5, "sms", "billing", now - timedelta(hours=3), bot=1),
    ]


LIVE_AWAITING, LIVE_BREACHING_5, LIVE_IDLE, LIVE_BREACHING_20, LIVE_STALE, LIVE_ABANDONED = range(101, 107)


def _live(n: int, channel: str, queue: str, status: str, since: datetime | None, emitted: datetime) -> list[object]:
    values = {
        "conversation_sid": _sid(n),
        "channel": channel,
        "queue": queue,
        "status": status,
        "awaiting_since": since,
        "threshold_s": THRESHOLD_S,
        "breach_at": None if since is None else since + timedelta(seconds=THRESHOLD_S),
        "last_activity": since,
        "emitted_at": emitted,
    }
    return [values[c] for c in LIVE_COLUMNS]


def _sla_live(now: datetime) -> list[list[object]]:
    """Waiting now: 101 (30 s, awaiting), 102 (5 min, breaching), 104 (20 min, breaching). 103 was answered
    (its latest row is idle), 105's row is older than the 24 h lookback, 106 is provisionally abandoned."""
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731 - a local shorthand
    return [
        _live(LIVE_AWAITING, "sms", "billing", "awaiting", ago(seconds=30), ago(seconds=30)),
        _live(LIVE_BREACHING_5, "whatsapp", "support", "awaiting", ago(minutes=5), ago(minutes=5)),
        _live(LIVE_BREACHING_5, "whatsapp", "support", "breaching", ago(minutes=5), ago(minutes=4)),
        _live(LIVE_IDLE, "sms", "billing", "awaiting", ago(minutes=10), ago(minutes=10)),
        _live(LIVE_IDLE, "sms", "billing", "idle", None, ago(minutes=8)),
        _live(LIVE_BREACHING_20, "chat", "sales", "breaching", ago(minutes=20), ago(minutes=19)),
        _live(LIVE_STALE, "sms", "billing", "awaiting", ago(hours=30), ago(hours=30)),
        _live(LIVE_ABANDONED, "sms", "sales", "abandoned_idle", ago(minutes=40), ago(minutes=25)),
    ]


def _agent_event(n: int, kind: EventType, author: str, at: datetime, tag: str) -> ConversationEvent:
    extra = (
        {"message_sid": f"IM{n:030x}{tag}", "index": 5, "body": "hello"}
        if kind is EventType.MESSAGE_ADDED
        else {"participant_sid": f"MB{n:030x}{tag}"}
    )
    return ConversationEvent(
        event_id=f"{_sid(n)}-{tag}",
        event_type=kind,
        account_sid=ACCOUNT,
        conversation_sid=_sid(n),
        channel="chat",
        author=author,
        author_role=AuthorRole.AGENT,
        occurred_at=at,
        received_at=at,
        redacted=True,
        **extra,
    )


def _events(now: datetime) -> list[ConversationEvent]:
    """Opened in the 60 min range: 3 sms/billing (10 min ago) and 2 whatsapp/support (40 min ago), 2 messages
    each; 1 chat/sales 2 h ago (outside). Agents: 101 had sam write (70 min ago), then lee join (lee is assigned);
    102 had dana join; 104 has nobody."""
    events: list[ConversationEvent] = []
    for n in range(3):
        events += seeded_conversation(n, "sms", queue="billing", customer=CUSTOMER, at=now - timedelta(minutes=10))
    for n in range(3, 5):
        events += seeded_conversation(n, "whatsapp", queue="support", customer=CUSTOMER, at=now - timedelta(minutes=40))
    events += seeded_conversation(5, "chat", queue="sales", customer=CUSTOMER, at=now - timedelta(hours=2))
    events += [
        _agent_event(LIVE_AWAITING, EventType.MESSAGE_ADDED, "agent:sam", now - timedelta(minutes=70), "s1"),
        _agent_event(LIVE_AWAITING, EventType.PARTICIPANT_ADDED, "agent:lee", now - timedelta(minutes=2), "l1"),
        _agent_event(LIVE_BREACHING_5, EventType.PARTICIPANT_ADDED, "agent:dana", now - timedelta(minutes=6), "d1"),
    ]
    return events


@pytest.fixture
def seeded(
    make_deployment: Callable[[], Deployment], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Deployment, datetime]]:
    deployment = make_deployment()
    now = datetime.now(UTC)
    writer = BatchWriter(lambda: make_client(deployment.settings.clickhouse), deployment.settings.sink)
    events = [e.to_json() for e in _events(now)]
    writer.write(event_tables(events), token="seed")
    with deployment.clickhouse() as ch:
        ch.insert("responses", _responses(now), column_names=list(RESPONSE_COLUMNS))
        ch.insert("sla_conversations", _sla_conversations(now), column_names=list(CONVERSATION_COLUMNS))
        ch.insert("sla_live", _sla_live(now), column_names=list(LIVE_COLUMNS))
    for name, value in deployment.env.items():
        monkeypatch.setenv(name, value)
    settings_module.load_settings.cache_clear()
    try:
        yield deployment, now
    finally:
        settings_module.load_settings.cache_clear()


def _metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def _seconds(text: str) -> float:
    """``20m 03s`` / ``4.5s`` → seconds (the inverse of format_wait, to the second)."""
    match = re.fullmatch(r"(?:(\d+)m )?(\d+(?:\.\d)?)s", text)
    assert match, text
    return 60 * int(match.group(1) or 0) + float(match.group(2))


def test_live_sla_page_shows_the_seeded_figures(seeded: tuple[Deployment, datetime]) -> None:
    _, now = seeded
    started = time.monotonic()
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60).run()
    elapsed = time.monotonic() - started
    assert not app.exception
    assert app.title[0].value == "Live SLA", "Live SLA is the default page"
    metrics = _metrics(app)
    # Last 15 min: answered r1 r2 r3 r7 (r6 retracted, r1's replay counted once) = 4, within r1 r3 r7 = 3,
    # abandoned past the threshold r4 = 1 (r5 is a short abandon) → 3 / (4 + 1) = 60 %.
    assert metrics["Service level · last 15 min"] == "60.0%"
    # Today adds r8 r9 (30 min ago: r8 within, r9 breached; r10 abandoned within the threshold: no effect)
    # and r11 (90 min ago, within) when that is still today in UTC.
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    within, counted = (3 + 1, 5 + 2) if now - timedelta(minutes=30) >= midnight else (3, 5)
    if now - timedelta(minutes=90) >= midnight:
        within, counted = within + 1, counted + 1
    assert metrics["Service level · today"] == f"{100 * within / counted:.1f}%"
    # Waiting: 101 (30 s), 102 (5 min, breaching), 104 (20 min, breaching).
    assert metrics["Awaiting now"] == "3"
    assert metrics["Breaching now"] == "2"
    oldest = _seconds(metrics["Oldest wait"])
    assert 20 * 60 <= oldest <= 20 * 60 + elapsed + 1
    # First responses in the last 60 min: r1 20, r2 90, r3 40, r8 50, r9 200 → sorted 20 40 50 90 200;
    # nearest rank p50 = 3rd = 50 s, p90 = ceil(4.5) = 5th = 200 s.
    assert metrics["First response p50"] == format_wait(50) == "50.0s"
    assert metrics["First response p90"] == format_wait(200) == "3m 20s"
    assert metrics["Conversations opened"] == "5"  # 3 sms + 2 whatsapp; the chat one is 2 h old
    assert metrics["Messages"] == "10"  # 2 per conversation opened in range
    assert metrics["Abandoned"] == "2"  # r4 and r10; r5 is a short abandon
    assert metrics["Bot containment"] == "50.0%"  # 2 of the 4 closed in range (4's latest version is not)

    table = app.dataframe[0].value.set_index(["channel", "queue"])
    assert table.loc[("sms", "billing"), ["opened", "messages", "answered", "abandoned"]].tolist() == [3, 6, 3, 1]
    # sms/billing in range: answered r1 (within), r2, r9 (breached) → 1/3.
    assert table.loc[("sms", "billing"), "service_level_pct"] == pytest.approx(33.33)
    assert table.loc[("whatsapp", "support"), ["opened", "messages", "answered"]].tolist() == [2, 4, 1]
    assert table.loc[("chat", "sales"), "service_level_pct"] == 0.0  # only r4, abandoned past the threshold
    assert table.loc[("chat", "sales"), "abandoned"] == 1
    assert table.loc[("sms", "support"), "service_level_pct"] == 100.0


def test_live_sla_filters_apply_to_every_tile(seeded: tuple[Deployment, datetime]) -> None:
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60).run()
    app.multiselect(key="f_channels").select("sms").run()
    assert not app.exception
    metrics = _metrics(app)
    # sms in the last 15 min: answered r1 r2 r7, within r1 r7 → 2/3.
    assert metrics["Service level · last 15 min"] == "66.7%"
    assert metrics["Awaiting now"] == "1"  # 101
    assert metrics["Breaching now"] == "0"
    assert metrics["Conversations opened"] == "3"
    assert metrics["Messages"] == "6"
    assert metrics["Abandoned"] == "1"  # r10
    assert metrics["Bot containment"] == "50.0%"  # sms closed in range: 1 contained, 4 (latest) not

    app.multiselect(key="f_queues").select("support").run()
    metrics = _metrics(app)
    assert metrics["Service level · last 15 min"] == "100.0%"  # r7 alone
    assert metrics["Awaiting now"] == "0"
    assert metrics["Oldest wait"] == "–"

    app.multiselect(key="f_channels").unselect("sms").run()
    app.selectbox(key="f_range").select(15).run()
    metrics = _metrics(app)
    # support, all channels, last 15 min: r3 (40 s, first) and r7 (not first) → p50 = p90 = 40 s.
    assert metrics["First response p50"] == "40.0s"
    assert metrics["First response p90"] == "40.0s"
    assert metrics["Conversations opened"] == "0"  # the whatsapp/support ones are 40 min old


def test_per_minute_trend_query(seeded: tuple[Deployment, datetime]) -> None:
    deployment, now = seeded
    settings = settings_module.load_settings()
    with deployment.clickhouse() as ch:
        trend = queries.sla_per_minute(ch, bounds(Filters(range_min=60), settings.dashboard, now=now))
    by_minute = trend.set_index("minute")
    m5 = (now - timedelta(minutes=5)).replace(second=0, microsecond=0, tzinfo=None)
    m30 = (now - timedelta(minutes=30)).replace(second=0, microsecond=0, tzinfo=None)
    assert list(by_minute.index) == [m30, m5]
    assert by_minute.loc[m5, ["responses", "breaches", "abandoned"]].tolist() == [4, 1, 1]
    assert by_minute.loc[m5, "service_level_pct"] == 60.0
    assert by_minute.loc[m5, "first_response_p50_s"] == 40.0  # 20 40 90 → 2nd
    assert by_minute.loc[m30, "service_level_pct"] == 50.0  # r8 within, r9 breached
    assert by_minute.loc[m30, "first_response_p90_s"] == 200.0


def test_at_risk_lists_waiting_conversations_oldest_first(seeded: tuple[Deployment, datetime]) -> None:
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60).run()
    app.switch_page("app_pages/at_risk.py").run()
    assert not app.exception
    metrics = _metrics(app)
    assert metrics["Waiting now"] == "3"
    assert metrics["Breaching"] == "2"
    rows = app.dataframe[0].value
    assert list(rows["conversation"]) == [
        f"transcript?conversation={_sid(n)}" for n in (LIVE_BREACHING_20, LIVE_BREACHING_5, LIVE_AWAITING)
    ]
    assert list(rows["status"]) == ["breaching", "breaching", "awaiting"]
    assert list(rows["agent"]) == ["unassigned", "agent:dana", "agent:lee"]
    assert list(rows["channel"]) == ["chat", "whatsapp", "sms"]
    assert list(rows["queue"]) == ["sales", "support", "billing"]
    assert rows["waiting_s"].iloc[0] >= 20 * 60 and rows["waiting_s"].iloc[2] >= 30


def test_transcript_shows_redacted_messages(seeded: tuple[Deployment, datetime]) -> None:
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60)
    app.query_params["conversation"] = _sid(0)
    app.run()
    app.switch_page("app_pages/transcript.py").run()
    assert not app.exception
    metrics = _metrics(app)
    assert (metrics["Channel"], metrics["Queue"], metrics["Messages"]) == ("sms", "billing", "2")
    table = app.table[0].value
    assert list(table["body"]) == ["my card is <CREDIT_CARD>", "on it"]
    assert list(table["author"]) == ["whatsapp:cust_3f2a", "agent:sam"]


def test_transcript_refuses_what_is_not_a_conversation_sid(seeded: tuple[Deployment, datetime]) -> None:
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60)
    app.query_params["conversation"] = "CH1' OR 1=1 --"
    app.run()
    app.switch_page("app_pages/transcript.py").run()
    assert not app.exception
    assert not app.table
    assert "Not a Conversation SID" in app.error[0].value
