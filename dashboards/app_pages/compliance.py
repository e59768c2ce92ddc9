"""Compliance: proof that every received message was scanned for PII, what was found, and what failed closed.

The numbers are those of ``cxpulse report redaction`` (same code, same definitions: docs/redaction.md), so a
screenshot of this page and the exported report always agree. Nothing here reads message text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries
from schemas import topics

settings = load_settings()
ch = queries.client(settings)

st.title("Compliance")
hours = st.sidebar.selectbox(
    "Period", list(settings.dashboard.audit_ranges_h), index=1, format_func=lambda h: f"last {h} h"
)
until = datetime.now(UTC)
since = until - timedelta(hours=hours)
report = queries.redaction_report(ch, since, until, settings)
coverage = report.coverage
dlq_events = queries.dlq_count(ch, since, until)

cols = st.columns(6)
cols[0].metric("Received", f"{coverage.received:,}", help="Events with text (a body or an author) in the period.")
cols[1].metric("Scanned", f"{coverage.scanned:,}", help="Received events with a redaction audit row.")
cols[2].metric("Coverage", f"{coverage.ratio:.2%}")
cols[3].metric(
    "Fail-closed",
    f"{report.failed_closed + report.failed_without_id:,}",
    help="Events redaction could not process: held on the restricted DLQ, never sent downstream.",
)
cols[4].metric("Missing", f"{coverage.missing:,}", help="Neither scanned nor failed closed: investigate.")
cols[5].metric("Data-quality DLQ", f"{dlq_events:,}", help="Redacted events the data-quality suites rejected.")

if coverage.complete:
    st.success(f"Every received message was scanned ({coverage.scanned:,} of {coverage.received:,}).")
else:
    st.error(
        f"{coverage.not_scanned:,} received messages were not scanned: {coverage.failed_closed:,} failed "
        f"closed, {coverage.missing:,} missing."
    )
    gap = pd.DataFrame(
        [
            {"event_id": g.event_id, "conversation_sid": g.conversation_sid, "at": g.at, "status": g.status}
            for g in report.gap
        ]
    )
    st.table(gap)

st.subheader(f"Entities found, per {report.bucket_name}")
if report.entities:
    entities = pd.DataFrame(
        [{"bucket": b.start, "entity_type": b.entity_type, "entities": b.entities} for b in report.entities]
    )
    st.bar_chart(entities, x="bucket", y="entities", color="entity_type", stack=True)
    totals = pd.DataFrame(list(report.entity_totals().items()), columns=["entity_type", "entities"])
    st.dataframe(totals, hide_index=True, width="stretch")
else:
    st.info("No entities found in this period.")

st.subheader("Fail-closed reasons")
if report.failure_reasons:
    st.dataframe(
        pd.DataFrame(
            [
                {"reason": r.reason, "events": r.events, "first_at": r.first_at, "last_at": r.last_at}
                for r in report.failure_reasons
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info("Nothing failed closed in this period.")

st.subheader("Redaction versions in force")
if report.versions:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "engine": v.engine,
                    "model": v.model_version,
                    "config": v.config_version,
                    "events": v.events,
                    "first_at": v.first_at,
                    "last_at": v.last_at,
                }
                for v in report.versions
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Retention in force")
retention = settings.retention
st.table(
    pd.DataFrame(
        [
            {"where": f"Kafka {settings.topic(topics.RAW)} (raw text)", "keeps": f"{retention.raw_topic_hours} h"},
            {
                "where": f"Kafka {settings.topic(topics.REDACTION_DLQ)} (restricted)",
                "keeps": f"{retention.raw_topic_hours} h",
            },
            {"where": "ClickHouse tables (TTL)", "keeps": f"{retention.clickhouse_days} days"},
        ]
    ).set_index("where")
)
st.caption(
    f"Period {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC · same numbers as "
    f"`cxpulse report redaction --since {hours}h`"
)
