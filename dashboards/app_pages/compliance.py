"""Compliance: proof that every received message was scanned for PII, what was found, and what failed closed.

The numbers are those of ``cxpulse report redaction`` (same code, same definitions: docs/redaction.md), so a
screenshot of this page and the exported report always agree. Nothing here reads message text.

Coverage alone reads as "safe" while saying nothing about what the recognisers miss, so the **recall canary**
sits right next to it: leak-free recall per entity type on the labelled canary set, red below its target.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.login import require_page
from schemas import topics
from streams.redact.canary_report import canary_status
from streams.redact.report_render import canary_drops, canary_footnote

#: Rows of entity types below their canary target (the At risk page's breach red).
BELOW_TARGET_STYLE = "background-color: rgba(255, 75, 75, 0.22)"

settings = load_settings()
require_page(settings.dashboard, roles.COMPLIANCE)
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

below_target = report.canary_below_target

cols = st.columns(7)
cols[0].metric("Received", f"{coverage.received:,}", help="Events with text (a body or an author) in the period.")
cols[1].metric("Scanned", f"{coverage.scanned:,}", help="Received events with a redaction audit row.")
cols[2].metric("Coverage", f"{coverage.ratio:.2%}", help="Scanned ÷ received: says nothing about what was missed.")
cols[3].metric(
    "Recall canary",
    "no run" if not report.canary else (f"{len(below_target)} below target" if below_target else "at target"),
    help="Entity types whose leak-free recall on the labelled canary set is below target (latest run).",
)
cols[4].metric(
    "Fail-closed",
    f"{report.failed_closed + report.failed_without_id:,}",
    help="Events redaction could not process: held on the restricted DLQ, never sent downstream.",
)
cols[5].metric("Missing", f"{coverage.missing:,}", help="Neither scanned nor failed closed: investigate.")
cols[6].metric("Data-quality DLQ", f"{dlq_events:,}", help="Redacted events the data-quality suites rejected.")

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


def _below_target_red(row: pd.Series) -> list[str]:
    return [BELOW_TARGET_STYLE if row["status"] != "ok" else ""] * len(row)


st.subheader("Recall canary")
st.caption(
    "Leak-free recall on the labelled canary set shipped with cxpulse, measured by the worker's own analyser at "
    "start and every `redaction.canary_interval_s`: the latest run per entity type (docs/redaction.md)."
)
if not report.canary:
    st.info("No canary run recorded yet (is `redaction.canary_interval_s` 0?).")
else:
    (st.error if below_target else st.success)(canary_status(report.canary))
    for drop in canary_drops(report):
        st.warning(drop)
    canary = pd.DataFrame(
        [
            {
                "entity": c.entity,
                "recall": c.recall,
                "target": c.target,
                "status": "🔴 below target" if c.below_target else "ok",
                "labelled": c.gold,
                "leaked": c.leaked,
                "config": c.config_version,
                "model": c.model_version,
                "checked_at": c.checked_at,
            }
            for c in report.canary
        ]
    )
    st.dataframe(
        canary.style.apply(_below_target_red, axis=1),
        hide_index=True,
        width="stretch",
        column_config={
            "recall": st.column_config.NumberColumn(format="percent"),
            "target": st.column_config.NumberColumn(format="percent"),
            "checked_at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        },
    )
    st.caption(canary_footnote(report))

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
