"""Nobody beyond localhost without a login; the login gate shows nothing of the dashboard before it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from cxpulse.demo import dashboard_command
from cxpulse.settings import DashboardSettings, Settings
from dashboards import login
from dashboards.access import AccessError, check_listen_address, check_startup, is_loopback, password_matches

DASHBOARD_APP = Path(__file__).resolve().parents[3] / "dashboards" / "app.py"
PASSWORD = "correct-horse-battery-staple"


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


def test_a_short_password_refuses_to_start_without_printing_it() -> None:
    short = DashboardSettings(host="0.0.0.0", password="s3cret-s3cret")  # 13 characters
    with pytest.raises(AccessError, match="has 13 characters; at least 16 are required") as refused:
        check_startup(short)
    assert "s3cret" not in str(refused.value)
    with pytest.raises(AccessError, match="at least 16"):  # what `cxpulse dashboard` and `cxpulse demo` run
        dashboard_command(Settings().model_copy(update={"dashboard": short}))
    check_startup(DashboardSettings(host="0.0.0.0", password=PASSWORD))
    check_startup(DashboardSettings(host="0.0.0.0", password="x" * 12, password_min_length=12))


def test_an_oidc_login_without_an_allowlist_refuses_to_start() -> None:
    with pytest.raises(AccessError, match="dashboard.roles is empty"):
        check_startup(DashboardSettings(host="0.0.0.0", oidc_provider="okta"))
    check_startup(DashboardSettings(host="0.0.0.0", oidc_provider="okta", roles={"@acme.com": ["supervisor"]}))


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CXPULSE_DASHBOARD__PASSWORD", PASSWORD)
    monkeypatch.setenv("CXPULSE_DASHBOARD__HOST", "0.0.0.0")
    settings_module.load_settings.cache_clear()
    login.login_throttle.clear()
    app = AppTest.from_file(str(DASHBOARD_APP), default_timeout=30).run()
    yield app
    settings_module.load_settings.cache_clear()
    login.login_throttle.clear()


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
