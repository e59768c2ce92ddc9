"""The login gate rendered before any page (Streamlit side of :mod:`dashboards.access` and :mod:`dashboards.roles`).

Every page calls :func:`require_page` too, not only the router: a page opened on its own (``streamlit run
app_pages/qa.py``, a URL the navigation no longer lists) is gated the same way.
"""

from __future__ import annotations

import logging
import math

import streamlit as st

from cxpulse.settings import DashboardSettings
from dashboards.access import login_config_errors, password_matches
from dashboards.exposure import beyond_loopback
from dashboards.roles import ADMIN, LOCAL_IDENTITY, AccessDenied, Viewer, oidc_viewer, password_viewer
from dashboards.throttle import LoginThrottle

__all__ = ["login_throttle", "require_login", "require_page", "sidebar_viewer"]

log = logging.getLogger(__name__)

_SESSION_KEY = "cxpulse_authenticated"
#: ``st.context.ip_address`` is None for loopback connections (and under AppTest).
_LOCAL_CLIENT = "localhost"


@st.cache_resource(show_spinner=False)
def login_throttle(max_attempts: int, global_max_attempts: int, window_s: float, lockout_s: float) -> LoginThrottle:
    """One throttle per process and policy, shared by every session: a new browser tab must not reset the count."""
    return LoginThrottle(
        max_attempts=max_attempts, global_max_attempts=global_max_attempts, window_s=window_s, lockout_s=lockout_s
    )


def require_login(settings: DashboardSettings) -> Viewer:
    """Stop the script unless the viewer may see the dashboard; return who they are."""
    problems = login_config_errors(settings)
    if problems:
        # The details (a password's length, say) are for the operator's log, not for whoever opened the page.
        log.error("dashboard login misconfigured: %s", "; ".join(problems))
        st.error("This dashboard's login is misconfigured; its log says why.")
        st.stop()
    if settings.oidc_provider:
        return _oidc_login(settings)
    if settings.password is None:
        if not beyond_loopback(settings):
            return Viewer(identity=LOCAL_IDENTITY, roles=frozenset({ADMIN}), method="local")
        st.error("This dashboard is reachable beyond localhost but no login is configured.")
        st.stop()
    return _password_login(settings)


def require_page(settings: DashboardSettings, page: str) -> Viewer:
    """:func:`require_login`, then refuse unless the viewer's roles include ``page`` (a ``roles`` page key)."""
    viewer = require_login(settings)
    if not viewer.may_open(page):
        log.warning("dashboard page refused identity=%s page=%s", viewer.identity, page)
        st.error(f"{viewer.identity} ({', '.join(sorted(viewer.roles))}) may not open this page.")
        st.stop()
    return viewer


def sidebar_viewer(viewer: Viewer) -> None:
    """Who is signed in, with which roles, and the way out."""
    if viewer.method == "local":
        return
    st.sidebar.text(f"Signed in as {viewer.identity}\nRoles: {', '.join(sorted(viewer.roles))}")
    if viewer.method == "oidc":
        st.sidebar.button("Log out", on_click=st.logout)
    else:
        st.sidebar.button("Log out", on_click=_forget_password_login)


def _forget_password_login() -> None:
    st.session_state.pop(_SESSION_KEY, None)


def _oidc_login(settings: DashboardSettings) -> Viewer:
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        st.title("cxpulse")
        st.button("Log in", on_click=st.login, args=(settings.oidc_provider,))
        st.stop()
    try:
        return oidc_viewer(user, settings)
    except AccessDenied as exc:
        log.warning("dashboard login refused identity=%s", user.get("email"))
        st.title("cxpulse")
        st.error(str(exc))
        st.button("Log out", on_click=st.logout)
        st.stop()


def _password_login(settings: DashboardSettings) -> Viewer:
    if st.session_state.get(_SESSION_KEY):
        return password_viewer(settings)
    st.title("cxpulse")
    with st.form("login"):
        attempt = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in")
    if not submitted:
        st.stop()
    throttle = login_throttle(
        settings.login_max_attempts,
        settings.login_global_max_attempts,
        settings.login_window_s,
        settings.login_lockout_s,
    )
    address = st.context.ip_address  # not X-Forwarded-For: any client can write that header
    client = address if isinstance(address, str) and address else _LOCAL_CLIENT
    # Locked out: the password is not even compared, so a right guess now tells the guesser nothing.
    if wait := throttle.locked_for(client):
        st.error(_locked_message(wait))
        st.stop()
    if password_matches(settings, attempt):
        throttle.succeeded(client)
        st.session_state[_SESSION_KEY] = True
        st.rerun()
    wait = throttle.failed(client)
    log.warning("dashboard password refused client=%s locked_for_s=%.0f", client, wait)
    st.error("Wrong password.")
    if wait:
        st.error(_locked_message(wait))
    st.stop()


def _locked_message(wait_s: float) -> str:
    return f"Too many failed attempts: try again in {math.ceil(wait_s)} s."
