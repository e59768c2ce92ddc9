"""At risk: every customer waiting for a human right now, longest wait first, breaching ones highlighted,
with the assigned agent and a link to the redacted transcript. Re-runs alone every ``dashboard.refresh_s``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.filters import CHOICES_TTL_S, bounds, format_wait, sidebar_filters, to_zone
from dashboards.login import require_page

settings = load_settings()
require_page(settings.dashboard, roles.AT_RISK)
dash = settings.dashboard
#: Row colour of a breaching wait (a light red that keeps the text readable in both themes).
BREACH_STYLE = "background-color: rgba(255, 75, 75, 0.22)"
TRANSCRIPT_PATH = "transcript"


@st.cache_data(ttl=CHOICES_TTL_S, show_spinner=False)
def _choices(database: tuple[str, str]) -> tuple[list[str], list[str]]:
    """Cached per ClickHouse address and database (the argument is the cache key)."""
    return queries.filter_choices(queries.client(settings))


def at_risk_table(rows: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The rows as shown: waits in words, the transcript link, times in the viewer's zone."""
    return pd.DataFrame(
        {
            "conversation": [f"{TRANSCRIPT_PATH}?conversation={sid}" for sid in rows["conversation_sid"]],
            "channel": rows["channel"],
            "queue": rows["queue"],
            "status": rows["status"],
            "waiting": [format_wait(float(s)) for s in rows["waiting_s"]],
            "waiting_s": rows["waiting_s"].astype(float).round(1),
            "threshold_s": rows["threshold_s"].astype(float),
            "agent": rows["agent"].fillna("").replace("", "unassigned"),
            "waiting since": to_zone(rows["awaiting_since"], timezone),
        }
    )


def _highlight(row: pd.Series) -> list[str]:
    return [BREACH_STYLE if row["status"] == "breaching" else ""] * len(row)


st.title("At risk")
channels, queues = _choices((settings.clickhouse.url, settings.clickhouse.database))
filters = sidebar_filters(dash, channels, queues, with_range=False)


@st.fragment(run_every=dash.refresh_s)
def waiting_list() -> None:
    ch = queries.client(settings)
    b = bounds(filters, dash)
    rows = queries.at_risk(ch, b, dash.at_risk_limit)
    breaching = int((rows["status"] == "breaching").sum()) if len(rows) else 0
    cols = st.columns(3)
    cols[0].metric("Waiting now", f"{len(rows):,}")
    cols[1].metric("Breaching", f"{breaching:,}")
    cols[2].metric("Longest wait", format_wait(float(rows["waiting_s"].max())) if len(rows) else "–")
    if rows.empty:
        st.success("Nobody is waiting for a human right now.")
    else:
        table = at_risk_table(rows, b.filters.timezone)
        st.dataframe(
            table.style.apply(_highlight, axis=1),
            hide_index=True,
            width="stretch",
            column_config={
                "conversation": st.column_config.LinkColumn(
                    "transcript", display_text=r"conversation=(CH[0-9a-fA-F]+)", help="Open the redacted transcript"
                ),
                "waiting_s": st.column_config.NumberColumn("waiting (s)", format="%.1f"),
                "threshold_s": st.column_config.NumberColumn("threshold (s)", format="%.0f"),
                "waiting since": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            },
        )
        if len(rows) >= dash.at_risk_limit:
            st.caption(f"Showing the {dash.at_risk_limit} longest waits (`dashboard.at_risk_limit`).")
    local = b.now.astimezone(ZoneInfo(b.filters.timezone))
    st.caption(f"Updated {local:%H:%M:%S} {b.filters.timezone} · refresh every {dash.refresh_s:g}s")


waiting_list()
