"""The dashboard's live page against seeded data in the real ClickHouse engine: the numbers it shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from sinks.clickhouse import make_client
from sinks.rows import event_tables
from sinks.writer import BatchWriter
from tests.integration.conftest import Deployment, seeded_conversation

pytestmark = pytest.mark.integration

ACCOUNT = "AC" + "0" * 32
DASHBOARD_APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def test_live_page_shows_stored_counts_by_conversation_channel(
    make_deployment: Callable[[], Deployment], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = make_deployment()
    now = datetime.now(UTC) - timedelta(minutes=2)
    channels = ["sms"] * 3 + ["whatsapp"] * 2 + ["chat"]
    events = [e for n, channel in enumerate(channels) for e in seeded_conversation(n, channel, now)]
    writer = BatchWriter(lambda: make_client(deployment.settings.clickhouse), deployment.settings.sink)
    writer.write(event_tables([e.to_json() for e in events]), token="seed")
    writer.write(event_tables([e.to_json() for e in events]), token="replayed")  # a replay must not count

    for name, value in deployment.env.items():
        monkeypatch.setenv(name, value)
    settings_module.load_settings.cache_clear()
    try:
        app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60).run()
        app.switch_page("app_pages/live.py").run()  # Live SLA is the default page
    finally:
        settings_module.load_settings.cache_clear()

    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Events stored"] == f"{len(events):,}"
    assert metrics["Conversations"] == f"{len(channels):,}"
    assert metrics["Messages"] == f"{2 * len(channels):,}"
    by_channel = app.dataframe[0].value.set_index("channel")["messages"].to_dict()
    # Agent replies count for their conversation's channel, not for "chat".
    assert by_channel == {"sms": 6, "whatsapp": 4, "chat": 2}
    latest = app.table[0].value
    assert len(latest) == 2 * len(channels)
    assert set(latest["author"]) == {"cust_1", "agent:sam"}
    assert set(latest["queue"]) == {"billing"}, "a message shows its conversation's queue"


def test_correct_password_opens_the_dashboard(
    make_deployment: Callable[[], Deployment], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = make_deployment()
    events = seeded_conversation(1, "sms", datetime.now(UTC) - timedelta(minutes=1))
    writer = BatchWriter(lambda: make_client(deployment.settings.clickhouse), deployment.settings.sink)
    writer.write(event_tables([e.to_json() for e in events]), token="seed")
    for name, value in {
        **deployment.env,
        "CXPULSE_DASHBOARD__HOST": "0.0.0.0",
        "CXPULSE_DASHBOARD__PASSWORD": "correct-horse-battery-staple",
    }.items():
        monkeypatch.setenv(name, value)
    settings_module.load_settings.cache_clear()
    try:
        app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=60).run()
        assert not app.metric
        app.text_input[0].input("correct-horse-battery-staple")
        app.button[0].click().run()
        app.switch_page("app_pages/live.py").run()
    finally:
        settings_module.load_settings.cache_clear()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Events stored"] == "3"
