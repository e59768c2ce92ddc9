"""Transcript: one conversation's messages as ClickHouse holds them (bodies redacted, customer addresses
pseudonymised). Opened from the At risk page with ``?conversation=CH…``; hidden from the navigation."""

from __future__ import annotations

import re

import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.filters import to_zone
from dashboards.login import require_page

settings = load_settings()
require_page(settings.dashboard, roles.TRANSCRIPT)
#: A Conversation SID: ``CH`` and 32 hex digits. Anything else is refused before it reaches a query.
_SID = re.compile(r"^CH[0-9a-fA-F]{32}$")

st.title("Transcript")
sid = st.query_params.get("conversation", "") or st.text_input("Conversation SID", placeholder="CH…")
if not sid:
    st.info("Open a transcript from the At risk page, or paste a Conversation SID.")
    st.stop()
if not _SID.match(sid):
    st.error("Not a Conversation SID (CH followed by 32 hex digits).")
    st.stop()

header, messages = queries.transcript(queries.client(settings), sid)
if header is None:
    st.warning(f"No conversation {sid} is stored.")
    st.stop()
timezone = settings.dashboard.timezone
cols = st.columns(4)
cols[0].metric("Channel", str(header["channel"]) or "–")
cols[1].metric("Queue", str(header["queue"]) or "–")
cols[2].metric("State", str(header["state"]) or "–")
cols[3].metric("Messages", f"{len(messages):,}")
st.caption(f"{sid} · times in {timezone} · bodies redacted at ingest, customer addresses pseudonymised")
if messages.empty:
    st.info("No messages in this conversation.")
else:
    messages["sent_at"] = to_zone(messages["sent_at"], timezone)
    # An HTML table, not a canvas grid: what a reviewer reads is also what an audit of the page can read.
    st.table(messages.set_index("sent_at"))
