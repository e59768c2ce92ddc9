"""Data quality: suite pass rates over time, the top failure reasons, and the newest dead-lettered events.

Pass rates are check-level (1 - failed rows / evaluated rows), the definition of ``cxpulse dq report``
(docs/data-quality.md). DLQ samples show ids, types and reasons only: ``dlq_events`` holds no message text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.login import require_page

settings = load_settings()
require_page(settings.dashboard, roles.QUALITY)
ch = queries.client(settings)
_TOP_REASONS = 10

st.title("Data quality")
hours = st.sidebar.selectbox(
    "Period", list(settings.dashboard.audit_ranges_h), index=1, format_func=lambda h: f"last {h} h"
)
until = datetime.now(UTC)
since = until - timedelta(hours=hours)

totals = queries.dq_totals(ch, since, until)
dlq_events = queries.dlq_count(ch, since, until)
cols = st.columns(4)
cols[0].metric("Micro-batches validated", f"{totals['batches']:,}")
cols[1].metric("Checks evaluated", f"{totals['evaluated']:,}")
pass_rate = 1.0 if totals["evaluated"] == 0 else 1 - totals["failed"] / totals["evaluated"]
cols[2].metric("Pass rate", f"{pass_rate:.2%}")
cols[3].metric("Dead-lettered events", f"{dlq_events:,}")

bucket_s = queries.trend_bucket_s(
    since,
    until,
    minutes_max_h=settings.dashboard.trend_minutes_max_h,
    hourly_max_h=settings.redaction.report_hourly_max_h,
)
st.subheader("Pass rate per suite over time")
trend = queries.dq_pass_rates_over_time(ch, since, until, bucket_s)
if trend.empty:
    st.info("No validations in this period.")
else:
    st.line_chart(trend, x="bucket", y="pass_rate", color="suite")

st.subheader("Pass rates per expectation")
rates = queries.dq_pass_rates(ch, since)
if not rates.empty:
    st.dataframe(rates, hide_index=True, width="stretch")

st.subheader("Top failure reasons")
reasons = queries.dq_top_reasons(ch, since, _TOP_REASONS)
if reasons.empty:
    st.info("Nothing was dead-lettered in this period.")
else:
    st.dataframe(reasons.rename(columns={"message": "meaning"}), hide_index=True, width="stretch")

st.subheader("Dead-letter samples")
samples = queries.dlq_samples(ch, since, until, settings.dashboard.dlq_samples)
if samples.empty:
    st.info("No dead-lettered events in this period.")
else:
    st.table(samples.set_index("detected_at"))
st.caption(f"Period {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC · buckets of {bucket_s // 60} min")
