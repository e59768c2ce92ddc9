"""Streamlit entry point: the frame (login, title, shared settings) and the page router. Pages only render.

The navigation lists only the pages the viewer's roles allow (``dashboards/roles.py``): a page left out cannot
be opened by URL either (Streamlit serves the default page instead), and each page checks the roles again.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cxpulse.settings import load_settings
from dashboards import roles
from dashboards.login import require_login, sidebar_viewer


@dataclass(frozen=True)
class _Page:
    key: str
    path: str
    title: str
    icon: str
    hidden: bool = False


_PAGES = (
    _Page(roles.LIVE_SLA, "app_pages/live_sla.py", "Live SLA", ":material/speed:"),
    _Page(roles.AT_RISK, "app_pages/at_risk.py", "At risk", ":material/warning:"),
    _Page(roles.LIVE, "app_pages/live.py", "Live traffic", ":material/sensors:"),
    _Page(roles.QA, "app_pages/qa.py", "QA samples", ":material/fact_check:"),
    _Page(roles.COMPLIANCE, "app_pages/compliance.py", "Compliance", ":material/shield:"),
    _Page(roles.QUALITY, "app_pages/quality.py", "Data quality", ":material/rule:"),
    # Opened from At risk with ?conversation=CH…; reachable by URL, not listed.
    _Page(roles.TRANSCRIPT, "app_pages/transcript.py", "Transcript", ":material/forum:", hidden=True),
)

st.set_page_config(page_title="cxpulse", page_icon="📈", layout="wide")
viewer = require_login(load_settings().dashboard)
sidebar_viewer(viewer)
allowed = [page for page in _PAGES if viewer.may_open(page.key)]
# The first allowed page is the default one (Live SLA for supervisors, QA samples for a QA reviewer, ...).
pages = [
    st.Page(
        page.path,
        title=page.title,
        icon=page.icon,
        url_path=page.key,
        default=index == 0,
        visibility="hidden" if page.hidden else "visible",
    )
    for index, page in enumerate(allowed)
]
st.navigation(pages).run()
