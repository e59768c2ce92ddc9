"""The login gate through Streamlit's AppTest: OIDC allowlist and roles, password lockout, the real bind address,
and QA reviews signed by the logged-in identity. ClickHouse is a fake: no page here reaches a server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from dashboards import login, queries

DASHBOARDS = Path(__file__).resolve().parents[3] / "dashboards"
APP = DASHBOARDS / "app.py"
PASSWORD = "correct-horse-battery-staple"
MAX_ATTEMPTS = 3
ROLES = {"rita@partner.io": ["qa_reviewer"], "@acme.com": ["supervisor"], "@example.org": ["compliance"]}
SID = "CH" + "a" * 32
LOCKED = "Too many failed attempts"


class FakeClickHouse:
    """Answers the QA page's queries (one sample, no messages) and records inserted reviews."""

    def __init__(self) -> None:
        self.reviews: list[dict[str, Any]] = []

    def query_df(self, sql: str, parameters: dict[str, Any] | None = None) -> pd.DataFrame:
        if sql == queries.QA_SAMPLES:
            return pd.DataFrame(
                [
                    {
                        "conversation_sid": SID,
                        "reasons": ["breach"],
                        "picked_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
                        "channel": "sms",
                        "queue": "billing",
                        "intent": "refund",
                        "sentiment": "negative",
                        "ai_confidence": 0.5,
                        "policy_version": "p1",
                        "reviews": len(self.reviews),
                    }
                ]
            )
        if sql == queries.TRANSCRIPT_MESSAGES:
            return pd.DataFrame(columns=["sent_at", "author_role", "author", "body"])
        if sql == queries.QA_REVIEWS:
            return pd.DataFrame(self.reviews, columns=["reviewed_at", "reviewer", "scores", "comment"])
        raise AssertionError(f"unexpected query: {sql[:60]}")

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> SimpleNamespace:
        if sql in (queries.QA_REASON_COUNTS, queries.TRANSCRIPT_CONVERSATION):
            return SimpleNamespace(result_rows=[], row_count=0, column_names=(), first_row=())
        raise AssertionError(f"unexpected query: {sql[:60]}")

    def insert(self, table: str, rows: list[list[Any]], column_names: list[str]) -> None:
        assert table == "qa_reviews"
        self.reviews.extend(dict(zip(column_names, row, strict=True)) for row in rows)


@pytest.fixture
def clickhouse(monkeypatch: pytest.MonkeyPatch) -> FakeClickHouse:
    fake = FakeClickHouse()
    monkeypatch.setattr(queries, "client", lambda settings: fake)
    return fake


@pytest.fixture
def no_clickhouse(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that gets past the gate by mistake fails loudly instead of reading anything."""

    def refuse(settings: object) -> None:
        raise AssertionError("a page queried ClickHouse")

    monkeypatch.setattr(queries, "client", refuse)


@pytest.fixture
def dashboard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """Runs ``dashboards/app.py`` (or a page as the main script) with ``CXPULSE_DASHBOARD__*`` settings."""
    login.login_throttle.clear()

    def run(script: Path = APP, user: dict[str, Any] | None = None, **dashboard: object) -> AppTest:
        for key, value in dashboard.items():
            text = value if isinstance(value, str) else json.dumps(value)
            monkeypatch.setenv(f"CXPULSE_DASHBOARD__{key.upper()}", text)
        settings_module.load_settings.cache_clear()
        app = AppTest.from_file(str(script), default_timeout=30)
        if user is not None:
            app.user = user
        return app.run()

    yield run
    settings_module.load_settings.cache_clear()
    login.login_throttle.clear()


def _oidc(email: str, **claims: object) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, **claims}


def _errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


# --- OIDC allowlist and roles ------------------------------------------------------------------------------


def test_an_allowlisted_oidc_user_gets_their_pages_and_no_others(
    dashboard: Callable[..., AppTest], clickhouse: FakeClickHouse
) -> None:
    """Rita is a QA reviewer: her default page is QA samples; supervisor and compliance pages are not registered."""
    app = dashboard(user=_oidc("Rita@Partner.io"), oidc_provider="okta", roles=ROLES)
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["QA samples"]
    assert any("Signed in as rita@partner.io" in t.value for t in app.sidebar.text)
    for page in ("live_sla.py", "at_risk.py", "live.py", "compliance.py", "quality.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(f"app_pages/{page}")
    app.switch_page("app_pages/transcript.py").run()  # transcripts go with QA
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["Transcript"]


def test_a_user_the_provider_knows_but_the_allowlist_does_not_is_refused(
    dashboard: Callable[..., AppTest], no_clickhouse: None
) -> None:
    for email in ("mallory@evilacme.com", "mallory@acme.com.evil.io", "mallory@gmail.com"):
        app = dashboard(user=_oidc(email), oidc_provider="okta", roles=ROLES)
        assert not app.exception, app.exception
        assert _errors(app) == [
            f"{email} is not allowed to use this dashboard. Ask an administrator to add you to [dashboard.roles]."
        ]
        assert [b.label for b in app.button] == ["Log out"]
        assert not app.metric and not app.dataframe


def test_an_unverified_email_is_refused(dashboard: Callable[..., AppTest], no_clickhouse: None) -> None:
    app = dashboard(user=_oidc("bob@acme.com", email_verified=False), oidc_provider="okta", roles=ROLES)
    assert not app.exception, app.exception
    assert any("not verified" in e for e in _errors(app))


def test_a_logged_out_visitor_sees_only_the_login_button(
    dashboard: Callable[..., AppTest], no_clickhouse: None
) -> None:
    app = dashboard(user={"is_logged_in": False}, oidc_provider="okta", roles=ROLES)
    assert not app.exception, app.exception
    assert [b.label for b in app.button] == ["Log in"]


@pytest.mark.parametrize("page", ["compliance.py", "quality.py", "qa.py"])
def test_a_forbidden_page_opened_directly_is_refused(
    dashboard: Callable[..., AppTest], no_clickhouse: None, page: str
) -> None:
    """A supervisor running a page on its own (no router to leave it out) gets a refusal, not the page."""
    app = dashboard(DASHBOARDS / "app_pages" / page, user=_oidc("bob@acme.com"), oidc_provider="okta", roles=ROLES)
    assert not app.exception, app.exception
    assert _errors(app) == ["bob@acme.com (supervisor) may not open this page."]
    assert not app.title and not app.metric


def test_a_page_opened_directly_still_needs_a_login(dashboard: Callable[..., AppTest], no_clickhouse: None) -> None:
    app = dashboard(DASHBOARDS / "app_pages" / "compliance.py", password=PASSWORD)
    assert not app.exception, app.exception
    assert [t.label for t in app.text_input] == ["Password"]
    assert [t.value for t in app.title] == ["cxpulse"]


def test_an_oidc_login_nobody_may_pass_is_refused(dashboard: Callable[..., AppTest], no_clickhouse: None) -> None:
    app = dashboard(user=_oidc("bob@acme.com"), oidc_provider="okta")
    assert not app.exception, app.exception
    assert _errors(app) == ["This dashboard's login is misconfigured; its log says why."]


# --- Shared password ---------------------------------------------------------------------------------------


def _try(app: AppTest, password: str) -> AppTest:
    app.text_input[0].input(password)
    return app.button[0].click().run()


def test_lockout_after_max_wrong_passwords_refuses_even_the_right_one(
    dashboard: Callable[..., AppTest], no_clickhouse: None
) -> None:
    app = dashboard(password=PASSWORD, login_max_attempts=str(MAX_ATTEMPTS))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        _try(app, f"guess-{attempt}")
        assert not app.exception, app.exception
        assert _errors(app)[0] == "Wrong password."
    assert LOCKED in _errors(app)[-1]  # the last wrong one locks the client out
    _try(app, PASSWORD)
    assert len(_errors(app)) == 1 and LOCKED in _errors(app)[0]
    assert [t.label for t in app.text_input] == ["Password"]  # still the login form: not logged in

    # The lockout lives in the process, not in the session: a new session (a new browser tab) is locked too.
    fresh = dashboard(password=PASSWORD, login_max_attempts=str(MAX_ATTEMPTS))
    _try(fresh, PASSWORD)
    assert len(_errors(fresh)) == 1 and LOCKED in _errors(fresh)[0]
    assert [t.label for t in fresh.text_input] == ["Password"]


def test_the_right_password_logs_in_as_the_configured_user(
    dashboard: Callable[..., AppTest], clickhouse: FakeClickHouse
) -> None:
    app = dashboard(password=PASSWORD, password_user="night-shift", password_roles='["qa_reviewer"]')
    _try(app, PASSWORD)
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["QA samples"]  # the password user's only role
    assert any("Signed in as night-shift" in t.value for t in app.sidebar.text)


def test_a_short_password_is_refused_and_not_revealed(
    dashboard: Callable[..., AppTest], no_clickhouse: None, caplog: pytest.LogCaptureFixture
) -> None:
    app = dashboard(password="s3cret-short", host="0.0.0.0")
    assert not app.exception, app.exception
    assert _errors(app) == ["This dashboard's login is misconfigured; its log says why."]
    assert not app.text_input  # no login form to guess against
    assert "at least 16 are required" in caplog.text and "s3cret-short" not in caplog.text


# --- The address Streamlit really binds --------------------------------------------------------------------


@pytest.fixture
def streamlit_binds_everywhere() -> Iterator[None]:
    """What ``streamlit run dashboards/app.py --server.address 0.0.0.0`` sets (the option is process-wide)."""
    before, where = config.get_option("server.address"), config.get_where_defined("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before, where)


def test_a_0000_bind_without_a_login_is_refused_although_cxpulse_says_loopback(
    dashboard: Callable[..., AppTest], no_clickhouse: None, streamlit_binds_everywhere: None
) -> None:
    app = dashboard(host="127.0.0.1")
    assert not app.exception, app.exception
    assert _errors(app) == ["This dashboard is reachable beyond localhost but no login is configured."]
    assert not app.metric and not app.title


def test_a_loopback_bind_without_a_login_is_the_open_developer_dashboard(
    dashboard: Callable[..., AppTest], clickhouse: FakeClickHouse
) -> None:
    app = dashboard(host="127.0.0.1")
    app.switch_page("app_pages/qa.py").run()  # every page: the local viewer is an admin
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["QA samples"]


# --- QA reviewer identity ----------------------------------------------------------------------------------


def test_a_review_is_signed_by_the_logged_in_identity(
    dashboard: Callable[..., AppTest], clickhouse: FakeClickHouse
) -> None:
    app = dashboard(
        DASHBOARDS / "app_pages" / "qa.py", user=_oidc("Rita@Partner.io"), oidc_provider="okta", roles=ROLES
    )
    assert not app.exception, app.exception
    assert "Reviewer" not in [t.label for t in app.text_input]  # nothing to type another name into
    assert "Reviewing as rita@partner.io" in [c.value for c in app.caption]
    next(b for b in app.button if b.label == "Submit review").click().run()
    assert not app.exception, app.exception
    assert [r["reviewer"] for r in clickhouse.reviews] == ["rita@partner.io"]
