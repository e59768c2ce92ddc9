"""Nobody beyond localhost without a login; the login gate shows nothing of the dashboard before it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from cxpulse.settings import DashboardSettings
from dashboards.access import AccessError, check_listen_address, is_loopback, password_matches

DASHBOARD_APP = Path(__file__).resolve().parents[3] / "dashboards" / "app.py"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("cx.example.com", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_beyond_localhost_needs_a_login() -> None:
    check_listen_address(DashboardSettings(host="127.0.0.1"))
    with pytest.raises(AccessError, match="CXPULSE_DASHBOARD__PASSWORD"):
        check_listen_address(DashboardSettings(host="0.0.0.0"))
    check_listen_address(DashboardSettings(host="0.0.0.0", password="s3cret"))
    check_listen_address(DashboardSettings(host="0.0.0.0", oidc_provider="okta"))
    with pytest.raises(AccessError):
        check_listen_address(DashboardSettings(host="0.0.0.0", password=""))


def test_password_comparison() -> None:
    settings = DashboardSettings(password="s3cret")
    assert password_matches(settings, "s3cret")
    assert not password_matches(settings, "s3cre")
    assert not password_matches(DashboardSettings(), "anything")


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CXPULSE_DASHBOARD__PASSWORD", "s3cret")
    monkeypatch.setenv("CXPULSE_DASHBOARD__HOST", "0.0.0.0")
    settings_module.load_settings.cache_clear()
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=30).run()
    yield app
    settings_module.load_settings.cache_clear()


def test_login_form_shows_nothing_else(gated: AppTest) -> None:
    assert not gated.exception
    assert [t.value for t in gated.title] == ["cxpulse"]
    assert len(gated.text_input) == 1 and gated.text_input[0].label == "Password"
    assert not gated.metric and not gated.dataframe


def test_wrong_password_is_refused(gated: AppTest) -> None:
    gated.text_input[0].input("nope")
    gated.button[0].click().run()
    assert [e.value for e in gated.error] == ["Wrong password."]
    assert not gated.metric
