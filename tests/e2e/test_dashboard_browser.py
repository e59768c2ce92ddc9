"""The running pipeline seen through a real browser: figures refresh, match ClickHouse, and show no raw PII."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cxpulse.settings import Settings
from cxpulse.simulate import WebhookPost, generate_posts, run_simulation
from tests.integration.conftest import Deployment, free_port, post_signed, query_rows, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_TOTAL = 400
#: A contact-center pace: at hundreds of events/s the first posts are almost all conversation starts.
_RATE = 60
_SEED = 11
#: Minutes of backdated traffic posted before the live run: the live run is seconds long, too short for bot
#: hand-offs and agents (customers reply within 8-75 s, queue waits are minutes), so the SLA board would
#: show nothing but idle conversations. A different seed, so no conversation or event id is shared.
_HISTORY_MIN = 6
_HISTORY_SEED = 12
#: A short threshold, so some of the customers still waiting at the end of the history are breaching.
_THRESHOLD_S = 20
_POSTERS = 2
#: Where the first row's transcript link sits in the At risk grid (pixels from its top-left corner: header
#: row 35 px, first row centred below it), and how often to click it.
_LINK_X, _FIRST_ROW_Y = 60, 52
_CLICKS, _CLICK_PAUSE_MS = 4, 1000
_ATTEMPTS = 3


def _dashboard(deployment: Deployment, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **deployment.env, "CXPULSE_DASHBOARD__PORT": str(port)}
    log = open(deployment.workdir / "dashboard.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "cxpulse", "dashboard"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _metric(page, label: str) -> int:  # type: ignore[no-untyped-def]
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    value = box.locator('[data-testid="stMetricValue"]').inner_text()
    return int(re.sub(r"[^0-9]", "", value))


@dataclass
class Running:
    """One deployment with its worker (SLA stage on), dashboard and a finished simulation."""

    deployment: Deployment
    url: str
    settings: Settings
    history: list[WebhookPost]

    @property
    def events(self) -> int:
        return _TOTAL + len(self.history)


@pytest.fixture(scope="module")
def running(make_deployment_module: Callable[[], Deployment]) -> Iterator[Running]:
    """Module-scoped: the worker, the dashboard and one simulation serve every page test of this module."""
    deployment = make_deployment_module()
    deployment.env["CXPULSE_SLA__ENABLED"] = "1"  # the Live SLA page reads the SLA stage's facts
    # The simulated minute is too short for agents to join (queue waits are log-normal around minutes), so a
    # short threshold makes waiting customers breach while the test watches.
    deployment.env["CXPULSE_SLA__DEFAULT_THRESHOLD_S"] = str(_THRESHOLD_S)
    deployment.worker().start()
    port = free_port()
    dashboard = _dashboard(deployment, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(f"{url}/_stcore/health"), 60, "the dashboard")
        settings = deployment.settings.model_copy(
            update={"simulator": deployment.settings.simulator.model_copy(update={"seed": _SEED})}
        )
        now = datetime.now(UTC)
        history = list(
            itertools.takewhile(
                lambda post: post.occurred_at is not None and post.occurred_at <= now,
                generate_posts(
                    seed=_HISTORY_SEED, settings=settings.simulator, start=now - timedelta(minutes=_HISTORY_MIN)
                ),
            )
        )
        # Each conversation's posts in order (out-of-order message indexes are data-quality failures, as they
        # should be); conversations side by side.
        by_conversation: dict[str, list[WebhookPost]] = {}
        for post in history:
            by_conversation.setdefault(post.conversation_sid, []).append(post)
        with ThreadPoolExecutor(max_workers=_POSTERS) as pool:
            statuses = [
                status
                for batch in pool.map(lambda posts: [_deliver(deployment, p) for p in posts], by_conversation.values())
                for status in batch
            ]
        assert set(statuses) == {200}, f"history posts refused: {sorted(set(statuses))}"
        simulation = run_simulation(
            settings, rate=_RATE, duration=None, total=_TOTAL, target_url=deployment.ingest_url, progress=False
        )
        # Playwright's sync API owns this thread's event loop; the simulator gets a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(asyncio.run, simulation).result()
        assert report.accepted == _TOTAL

        def stored() -> int:
            with deployment.clickhouse() as ch:
                return query_rows(ch, "SELECT uniqExact(event_id) FROM events")[0][0]

        wait_for(lambda: stored() == _TOTAL + len(history), 120, "every simulated event in ClickHouse")
        yield Running(deployment=deployment, url=url, settings=settings, history=history)
    finally:
        os.killpg(dashboard.pid, signal.SIGTERM)
        dashboard.wait(timeout=30)


def _deliver(deployment: Deployment, post: WebhookPost) -> int:
    """Post like Twilio: a timed-out webhook is retried with the same idempotency token (stored once)."""
    for _ in range(_ATTEMPTS - 1):
        try:
            return post_signed(deployment, post).status_code
        except httpx.TimeoutException:
            continue
    return post_signed(deployment, post).status_code


def _simulated_pii(running: Running) -> set[str]:
    live = itertools.islice(
        generate_posts(seed=_SEED, settings=running.settings.simulator, start=datetime.now(UTC), events_per_s=_RATE),
        _TOTAL,
    )
    posts = [*live, *running.history]
    pii = {value.lower() for post in posts for value in post.pii if len(value) >= 6}
    assert pii, "the simulated traffic carried no PII: a check for it would prove nothing"
    return pii


def _updated(page) -> str:  # type: ignore[no-untyped-def]
    return page.get_by_text(re.compile(r"^Updated \d")).inner_text()


def test_live_page_in_a_browser(running: Running, browser, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    deployment, url = running.deployment, running.url
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{url}/live")
    try:
        page.get_by_text("Events stored").wait_for(timeout=60_000)
        first_update = _updated(page)
    except Exception:
        page.screenshot(path=str(artifacts / "live-failed.png"), full_page=True)
        raise
    wait_for(lambda: _updated(page) != first_update, 30, "the live fragment to refresh without a reload")
    with deployment.clickhouse() as ch:
        conversations, messages = query_rows(
            ch, "SELECT uniqExact(conversation_sid), (SELECT uniqExact(message_sid) FROM messages) FROM events"
        )[0]
    assert _metric(page, "Events stored") == running.events
    assert _metric(page, "Conversations") == conversations
    assert _metric(page, "Messages") == messages
    page.screenshot(path=str(artifacts / "live.png"), full_page=True)

    html = page.content().lower()
    assert "cust_" in html, "the latest messages are not in the page HTML: the check below would prove nothing"
    leaked = sorted(value for value in _simulated_pii(running) if value in html)
    assert not leaked, f"raw PII on the page: {leaked[:5]}"
    page.close()


def test_live_sla_page_in_a_browser(running: Running, browser, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    deployment, url = running.deployment, running.url

    def clickhouse(sql: str) -> int:
        with deployment.clickhouse() as ch:
            return int(query_rows(ch, sql)[0][0])

    # The SLA stage runs behind the sinks: wait until it has judged every conversation it saw.
    conversations = clickhouse("SELECT uniqExact(conversation_sid) FROM conversations")
    wait_for(
        lambda: clickhouse("SELECT uniqExact(conversation_sid) FROM sla_live") >= conversations,
        120,
        "a live status for every conversation",
    )
    breaching_sql = "SELECT count() FROM sla_live FINAL WHERE status = 'breaching'"
    wait_for(lambda: clickhouse(breaching_sql) > 0, 60, "a breaching customer (else the checks prove little)")

    page = browser.new_page(viewport={"width": 1400, "height": 1500})
    page.goto(url)  # Live SLA is the default page
    try:
        page.get_by_text("Awaiting now").wait_for(timeout=60_000)
        first_update = _updated(page)
        wait_for(lambda: _updated(page) != first_update, 30, "the Live SLA fragment to refresh without a reload")
        # Independent SQL (FINAL, not the page's argMax queries). The page refreshes every 2 s and the timer
        # keeps statuses moving, so compare until a refresh and a query agree.
        awaiting_sql = "SELECT count() FROM sla_live FINAL WHERE status IN ('awaiting', 'breaching')"
        wait_for(
            lambda: _metric(page, "Awaiting now") == clickhouse(awaiting_sql),
            30,
            "the page's awaiting count to equal ClickHouse's",
        )
        wait_for(
            lambda: _metric(page, "Breaching now") == clickhouse(breaching_sql),
            30,
            "the page's breaching count to equal ClickHouse's",
        )
        assert _metric(page, "Awaiting now") >= _metric(page, "Breaching now") > 0
        # Everything simulated happened in the last minutes, inside the default 60 min range.
        assert _metric(page, "Conversations opened") == clickhouse(
            "SELECT uniqExact(conversation_sid) FROM conversations FINAL WHERE created_at >= now64(3) - INTERVAL 1 HOUR"
        )
        assert _metric(page, "Messages") == clickhouse(
            "SELECT uniqExact(message_sid) FROM messages WHERE sent_at >= now64(3) - INTERVAL 1 HOUR"
        )
        abandoned_sql = (
            "SELECT count() FROM responses FINAL WHERE retracted = 0 AND outcome = 'abandoned' "
            "AND short_abandon = 0 AND reply_at >= now64(3) - INTERVAL 1 HOUR"
        )
        wait_for(
            lambda: _metric(page, "Abandoned") == clickhouse(abandoned_sql),
            30,
            "the page's abandoned count to equal ClickHouse's",
        )
        page.screenshot(path=str(artifacts / "live_sla.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts / "live_sla-failed.png"), full_page=True)
        raise
    pii = _simulated_pii(running)
    html = page.content().lower()
    assert "service level" in html and "volume by channel and queue" in html
    leaked = sorted(value for value in pii if value in html)
    assert not leaked, f"raw PII on the Live SLA page: {leaked[:5]}"

    # At risk: the same waiting customers, longest wait first.
    page.goto(f"{url}/at_risk")
    page.get_by_text("Longest wait").wait_for(timeout=60_000)
    wait_for(
        lambda: _metric(page, "Waiting now") == clickhouse(awaiting_sql),
        30,
        "the At risk count to equal ClickHouse's",
    )
    page.screenshot(path=str(artifacts / "at_risk.png"), full_page=True)
    html = page.content().lower()
    leaked = sorted(value for value in pii if value in html)
    assert not leaked, f"raw PII on the At risk page: {leaked[:5]}"
    page.close()


def test_transcript_link_in_a_browser(running: Running, browser, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    """At risk's first transcript link opens that conversation's messages, redacted."""
    page = browser.new_page(viewport={"width": 1400, "height": 1500})
    page.goto(f"{running.url}/at_risk")
    page.get_by_text("Longest wait").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    # A canvas grid: the first click focuses the cell, a further one opens the link in a new tab.
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    assert grid is not None
    first_link = (grid["x"] + _LINK_X, grid["y"] + _FIRST_ROW_Y)
    for _ in range(_CLICKS):
        page.mouse.click(*first_link)
        if len(page.context.pages) > 1:
            break
        page.wait_for_timeout(_CLICK_PAUSE_MS)
    assert len(page.context.pages) > 1, "the transcript link did not open"
    transcript = page.context.pages[-1]
    assert re.search(r"/transcript\?conversation=CH[0-9a-f]{32}$", transcript.url), transcript.url
    transcript.get_by_text("bodies redacted at ingest").wait_for(timeout=60_000)
    transcript.locator('[data-testid="stTable"]').wait_for(timeout=60_000)
    transcript.screenshot(path=str(artifacts / "transcript.png"), full_page=True)
    pii = _simulated_pii(running)
    html = transcript.content().lower()
    transcript.close()
    page.close()
    assert "cust_" in html, "no pseudonymised customer on the transcript: the check below would prove nothing"
    leaked = sorted(value for value in pii if value in html)
    # Person names included: "the account is under Kavya Banerjee" leaked here once (spaCy missed it); the
    # introduced-name recogniser closed the gap, so any surviving name now fails this test.
    assert not leaked, f"raw PII on the transcript page: {leaked[:5]}"
