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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cxpulse.simulate import generate_posts, run_simulation
from tests.integration.conftest import Deployment, free_port, query_rows, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_TOTAL = 400
#: A contact-center pace: at hundreds of events/s the first posts are almost all conversation starts.
_RATE = 60
_SEED = 11


def _dashboard(deployment: Deployment, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **deployment.env, "CXPULSE_DASHBOARD__PORT": str(port)}
    log = open(deployment.workdir / "dashboard.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "cxpulse", "dashboard"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


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


def test_live_page_in_a_browser(
    make_deployment: Callable[[], Deployment], browser, artifacts: Path  # type: ignore[no-untyped-def]
) -> None:
    deployment = make_deployment()
    deployment.worker().start()
    port = free_port()
    dashboard = _dashboard(deployment, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(f"{url}/_stcore/health"), 60, "the dashboard")
        settings = deployment.settings.model_copy(
            update={"simulator": deployment.settings.simulator.model_copy(update={"seed": _SEED})}
        )
        simulation = run_simulation(settings, rate=_RATE, duration=None, total=_TOTAL,
                                    target_url=deployment.ingest_url, progress=False)
        # Playwright's sync API owns this thread's event loop; the simulator gets a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(asyncio.run, simulation).result()
        assert report.accepted == _TOTAL

        def stored() -> int:
            with deployment.clickhouse() as ch:
                return query_rows(ch, "SELECT uniqExact(event_id) FROM events")[0][0]

        wait_for(lambda: stored() == _TOTAL, 120, "every simulated event in ClickHouse")

        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        try:
            page.get_by_text("Events stored").wait_for(timeout=60_000)
            first_update = page.get_by_text(re.compile(r"^Updated \d")).inner_text()
        except Exception:
            page.screenshot(path=str(artifacts / "live-failed.png"), full_page=True)
            raise
        wait_for(lambda: page.get_by_text(re.compile(r"^Updated \d")).inner_text() != first_update, 30,
                 "the live fragment to refresh without a reload")
        with deployment.clickhouse() as ch:
            conversations, messages = query_rows(
                ch, "SELECT uniqExact(conversation_sid), (SELECT uniqExact(message_sid) FROM messages) FROM events"
            )[0]
        assert _metric(page, "Events stored") == _TOTAL
        assert _metric(page, "Conversations") == conversations
        assert _metric(page, "Messages") == messages
        page.screenshot(path=str(artifacts / "live.png"), full_page=True)

        html = page.content().lower()
        posts = itertools.islice(generate_posts(seed=_SEED, settings=settings.simulator,
                                                start=datetime.now(UTC), events_per_s=_RATE), _TOTAL)
        pii = {value.lower() for post in posts for value in post.pii if len(value) >= 6}
        assert pii, "the simulated traffic carried no PII: the check below would prove nothing"
        assert "cust_" in html, "the latest messages are not in the page HTML: the check below would prove nothing"
        leaked = sorted(value for value in pii if value in html)
        assert not leaked, f"raw PII on the page: {leaked[:5]}"
    finally:
        os.killpg(dashboard.pid, signal.SIGTERM)
        dashboard.wait(timeout=30)
