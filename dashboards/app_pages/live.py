"""Live traffic: message counts by channel and the latest redacted messages, refreshed in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.login import require_page

settings = load_settings()
require_page(settings.dashboard, roles.LIVE)


st.title("Live traffic")
window_minutes = st.sidebar.selectbox("Window", [5, 15, 60, 240, 1440], index=2, format_func=lambda m: f"last {m} min")


@st.fragment(run_every=settings.dashboard.refresh_s)
def live() -> None:
    ch = queries.client(settings)
    since = datetime.now(UTC) - timedelta(minutes=window_minutes)
    totals = queries.totals(ch)
    by_channel = queries.messages_by_channel(ch, since)
    cols = st.columns(4)
    cols[0].metric("Events stored", f"{totals['events']:,}")
    cols[1].metric("Conversations", f"{totals['conversations']:,}")
    cols[2].metric("Messages", f"{totals['messages']:,}")
    in_window = int(by_channel["messages"].sum()) if len(by_channel) else 0
    cols[3].metric(f"Messages, last {window_minutes} min", f"{in_window:,}")

    left, right = st.columns([1, 2])
    with left:
        st.subheader("By channel")
        if by_channel.empty:
            st.info("No messages in this window yet.")
        else:
            st.bar_chart(by_channel, x="channel", y="messages")
            st.dataframe(by_channel, hide_index=True, width="stretch")
    with right:
        st.subheader("Per minute")
        trend = queries.messages_per_minute(ch, since)
        if not trend.empty:
            st.bar_chart(trend, x="minute", y="messages", color="channel", stack=True)
    st.subheader("Latest messages (redacted)")
    latest = queries.latest_messages(ch, settings.dashboard.latest_messages)
    if latest.empty:
        st.info("No messages stored yet.")
    else:
        # An HTML table, not a canvas grid: what a supervisor reads is also what an audit of the page can read.
        st.table(latest.set_index("sent_at"))
    st.caption(f"Updated {datetime.now(UTC):%H:%M:%S} UTC · refresh every {settings.dashboard.refresh_s:g}s")


live()
