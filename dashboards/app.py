"""Streamlit entry point: the frame (title, shared settings) and the page router. Pages only render."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="cxpulse", page_icon="📈", layout="wide")

pages = [st.Page("app_pages/live.py", title="Live traffic", icon="📡", default=True)]
st.navigation(pages).run()
