"""Streamlit entry point: the frame (login, title, shared settings) and the page router. Pages only render."""

from __future__ import annotations

import streamlit as st

from cxpulse.settings import load_settings
from dashboards.login import require_login

st.set_page_config(page_title="cxpulse", page_icon="📈", layout="wide")
require_login(load_settings().dashboard)

pages = [st.Page("app_pages/live.py", title="Live traffic", icon="📡", default=True)]
st.navigation(pages).run()
