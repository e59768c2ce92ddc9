"""Live SLA: the supervisor's board. Service level now and today, who waits, how fast first answers come,
volume per channel × queue, abandonment and bot containment, with per-minute trends.

The board re-runs alone every ``dashboard.refresh_s`` (a fragment: no page reload, the sidebar keeps its
state). One ``now`` per refresh feeds every query, so all tiles describe the same moment.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.filters import CHOICES_TTL_S, Bounds, bounds, format_wait, range_label, sidebar_filters, to_zone
from dashboards.login import require_page

settings = load_settings()
require_page(settings.dashboard, roles.LIVE_SLA)
dash = settings.dashboard


@st.cache_data(ttl=CHOICES_TTL_S, show_spinner=False)
def _choices(database: tuple[str, str]) -> tuple[list[str], list[str]]:
    """Channel and queue choices change rarely: cached per ClickHouse address and database (the argument is
    the cache key; Streamlit does not hash arguments whose names start with ``_``)."""
    return queries.filter_choices(queries.client(settings))


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.1f}%"


def _tiles(b: Bounds, sla: pd.DataFrame, waiting: dict[str, object], volume: pd.DataFrame) -> None:
    total = sla[sla["is_total"].astype(bool)]
    row = total.iloc[0] if len(total) else None

    def count(name: str) -> int:
        return 0 if row is None else int(row[name])

    def seconds(name: str) -> float | None:
        return None if row is None or pd.isna(row[name]) else float(row[name])

    now = st.columns(5)
    now[0].metric(
        f"Service level · last {dash.sl_now_min} min",
        _pct(queries.service_level_pct(count("within_now"), count("answered_now"), count("abandoned_past_now"))),
        help="Answered within the threshold ÷ (answered + waits abandoned past it); short abandons excluded.",
    )
    now[1].metric(
        "Service level · today",
        _pct(queries.service_level_pct(count("within_today"), count("answered_today"), count("abandoned_past_today"))),
        help=f"Since midnight {b.filters.timezone}.",
    )
    now[2].metric("Awaiting now", f"{int(waiting['awaiting']):,}", help="Customers waiting for a human reply.")
    now[3].metric("Breaching now", f"{int(waiting['breaching']):,}", help="Waiting longer than their threshold.")
    oldest = waiting["oldest_wait_s"]
    now[4].metric("Oldest wait", format_wait(None if oldest is None else float(oldest)))

    st.caption(range_label(b.filters.range_min).capitalize())
    opened, messages = int(volume["opened"].sum()), int(volume["messages"].sum())
    closed, contained = int(volume["closed"].sum()), int(volume["bot_contained"].sum())
    span = st.columns(6)
    span[0].metric("First response p50", format_wait(seconds("first_response_p50_s")))
    span[1].metric("First response p90", format_wait(seconds("first_response_p90_s")))
    span[2].metric("Conversations opened", f"{opened:,}")
    span[3].metric("Messages", f"{messages:,}")
    span[4].metric("Abandoned", f"{count('abandoned'):,}", help="Waits abandoned (short abandons excluded).")
    span[5].metric(
        "Bot containment",
        _pct(None if closed == 0 else round(100.0 * contained / closed, 2)),
        help="Closed conversations a bot handled alone ÷ closed conversations.",
    )


def _by_queue(sla: pd.DataFrame, volume: pd.DataFrame) -> pd.DataFrame:
    """One row per channel × queue: volume next to the range's service level."""
    per_queue = sla[~sla["is_total"].astype(bool)]
    merged = volume.merge(per_queue, on=["channel", "queue"], how="outer").fillna(
        {c: 0 for c in ("opened", "messages", "closed", "bot_contained", "answered", "within", "abandoned_past")}
    )
    merged["abandoned"] = merged["abandoned"].fillna(0)
    merged["service_level_pct"] = [
        queries.service_level_pct(int(w), int(a), int(p))
        for w, a, p in zip(merged["within"], merged["answered"], merged["abandoned_past"], strict=True)
    ]
    table = merged[["channel", "queue", "opened", "messages", "answered", "service_level_pct", "abandoned"]]
    return table.astype({"opened": int, "messages": int, "answered": int, "abandoned": int}).sort_values(
        ["channel", "queue"]
    )


def _service_level_chart(per_minute: pd.DataFrame) -> alt.Chart:
    """Service level on a fixed 0–100 % axis: an auto-scaled axis turns a flat 0 % or 100 % line into
    a meaningless "0.000000" scale, and supervisors compare minutes against a fixed goal."""
    return (
        alt.Chart(per_minute)
        .mark_line(point=True)
        .encode(
            x=alt.X("minute:T", title="minute"),
            y=alt.Y("service_level_pct:Q", title="%", scale=alt.Scale(domain=[0, 100])),
            tooltip=["minute:T", alt.Tooltip("service_level_pct:Q", format=".1f")],
        )
    )


def _trends(b: Bounds) -> None:
    ch = queries.client(settings)
    per_minute = queries.sla_per_minute(ch, b)
    opened = queries.opened_per_minute(ch, b)
    left, right = st.columns(2)
    with left:
        st.subheader("Service level per minute")
        if per_minute.empty:
            st.info("No answered or abandoned waits in this range.")
        else:
            per_minute["minute"] = to_zone(per_minute["minute"], b.filters.timezone)
            st.altair_chart(_service_level_chart(per_minute), width="stretch")
            st.subheader("First response per minute")
            st.line_chart(per_minute, x="minute", y=["first_response_p50_s", "first_response_p90_s"], y_label="seconds")
    with right:
        st.subheader("Conversations opened per minute")
        if opened.empty:
            st.info("No conversations opened in this range.")
        else:
            opened["minute"] = to_zone(opened["minute"], b.filters.timezone)
            st.bar_chart(opened, x="minute", y="conversations", color="channel", stack=True)
        if not per_minute.empty:
            st.subheader("Answered and breached per minute")
            st.line_chart(per_minute, x="minute", y=["responses", "breaches"])


st.title("Live SLA")
channels, queues = _choices((settings.clickhouse.url, settings.clickhouse.database))
filters = sidebar_filters(dash, channels, queues)


@st.fragment(run_every=dash.refresh_s)
def board() -> None:
    ch = queries.client(settings)
    b = bounds(filters, dash)
    sla = queries.sla_by_queue(ch, b)
    waiting = queries.waiting_now(ch, b)
    volume = queries.volume_by_queue(ch, b)
    _tiles(b, sla, waiting, volume)
    st.subheader("Volume by channel and queue")
    by_queue = _by_queue(sla, volume)
    if by_queue.empty:
        st.info("Nothing in this range yet. Is the SLA stage running (`[sla] enabled`)?")
    else:
        st.dataframe(
            by_queue,
            hide_index=True,
            width="stretch",
            column_config={
                "opened": "conversations opened",
                "answered": "answered waits",
                "service_level_pct": st.column_config.NumberColumn("service level %", format="%.1f"),
                "abandoned": "abandoned waits",
            },
        )
    _trends(b)
    local = b.now.astimezone(ZoneInfo(b.filters.timezone))
    st.caption(f"Updated {local:%H:%M:%S} {b.filters.timezone} · refresh every {dash.refresh_s:g}s")


board()
