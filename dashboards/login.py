"""The login gate rendered before any page (Streamlit side of :mod:`dashboards.access`)."""

from __future__ import annotations

import streamlit as st

from cxpulse.settings import DashboardSettings
from dashboards.access import is_loopback, password_matches

__all__ = ["require_login"]

_SESSION_KEY = "cxpulse_authenticated"


def require_login(settings: DashboardSettings) -> None:
    """Stop the script unless the viewer may see the dashboard."""
    if settings.oidc_provider:
        if not st.user.is_logged_in:
            st.title("cxpulse")
            st.button("Log in", on_click=st.login, args=(settings.oidc_provider,))
            st.stop()
        return
    if settings.password is None or not settings.password.get_secret_value():
        if is_loopback(settings.host):
            return
        st.error("This dashboard is reachable beyond localhost but no login is configured.")
        st.stop()
    if st.session_state.get(_SESSION_KEY):
        return
    st.title("cxpulse")
    with st.form("login"):
        attempt = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in")
    if submitted and password_matches(settings, attempt):
        st.session_state[_SESSION_KEY] = True
        st.rerun()
    if submitted:
        st.error("Wrong password.")
    st.stop()
