"""Streamlit entry point: the frame (login, title, shared settings) and the page router. Pages only render."""

from __future__ import annotations

import streamlit as st

from cxpulse.settings import load_settings
from dashboards.login import require_login

st.set_page_config(page_title="cxpulse", page_icon="📈", layout="wide")
require_login(load_settings().dashboard)

pages = [
    st.Page("app_pages/live_sla.py", title="Live SLA", icon=":material/speed:", url_path="live_sla", default=True),
    st.Page("app_pages/at_risk.py", title="At risk", icon=":material/warning:", url_path="at_risk"),
    st.Page("app_pages/live.py", title="Live traffic", icon=":material/sensors:", url_path="live"),
    st.Page("app_pages/qa.py", title="QA samples", icon=":material/fact_check:", url_path="qa"),
    st.Page("app_pages/compliance.py", title="Compliance", icon=":material/shield:", url_path="compliance"),
    st.Page("app_pages/quality.py", title="Data quality", icon=":material/rule:", url_path="quality"),
    # Opened from At risk with ?conversation=CH…; reachable by URL, not listed.
    st.Page(
        "app_pages/transcript.py",
        title="Transcript",
        icon=":material/forum:",
        url_path="transcript",
        visibility="hidden",
    ),
]
st.navigation(pages).run()
