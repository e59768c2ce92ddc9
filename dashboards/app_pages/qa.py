"""QA samples: the conversations the sampler picked (streams/qa.py), a redacted transcript, and the rubric.

Reviewers filter samples by reason, channel and queue, open one, read its transcript as stored in ClickHouse
(bodies redacted, customer addresses pseudonymised: raw text never leaves the raw topic), and score the
rubric of ``[qa] rubric``; the review is written to ``qa_reviews``, signed with the logged-in identity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st
from clickhouse_connect.driver.exceptions import DatabaseError

from cxpulse.settings import load_settings
from dashboards import queries, roles
from dashboards.login import require_page
from streams.qa_policy import REASONS

settings = load_settings()
viewer = require_page(settings.dashboard, roles.QA)
ch = queries.client(settings)

st.title("QA samples")
days = st.sidebar.selectbox("Picked within", [1, 7, 30, 90], index=1, format_func=lambda d: f"last {d} days")
since = datetime.now(UTC) - timedelta(days=days)
reasons = st.sidebar.multiselect("Reasons", list(REASONS), help="A sample shows when any selected reason applies.")
try:
    all_samples = queries.qa_samples(ch, since=since, limit=settings.qa.page_limit)
except DatabaseError as exc:
    if "UNKNOWN_TABLE" not in str(exc):
        raise
    st.warning("The QA tables do not exist yet: run `cxpulse migrate` (the worker also migrates at start).")
    st.stop()
channels = st.sidebar.multiselect("Channels", sorted(set(all_samples["channel"])) if len(all_samples) else [])
queues = st.sidebar.multiselect("Queues", sorted(set(all_samples["queue"])) if len(all_samples) else [])
unreviewed = st.sidebar.checkbox("Not reviewed yet only")

samples = queries.qa_samples(
    ch,
    since=since,
    reasons=reasons,
    channels=channels,
    queues=queues,
    unreviewed=unreviewed,
    limit=settings.qa.page_limit,
)
counts = queries.qa_reason_counts(ch, since=since, reasons=reasons, channels=channels, queues=queues)

cols = st.columns(len(REASONS) + 1)
cols[0].metric("Samples", f"{len(samples):,}")
for col, reason in zip(cols[1:], REASONS, strict=True):
    col.metric(reason.replace("_", " ").capitalize(), f"{counts.get(reason, 0):,}")

if samples.empty:
    st.info("No sampled conversations match these filters yet.")
    st.stop()

listing = samples.assign(reasons=samples["reasons"].map(", ".join))
st.dataframe(
    listing[
        [
            "picked_at",
            "conversation_sid",
            "reasons",
            "channel",
            "queue",
            "intent",
            "sentiment",
            "ai_confidence",
            "reviews",
        ]
    ],
    hide_index=True,
    width="stretch",
)

chosen = st.selectbox("Review conversation", list(samples["conversation_sid"]))
row = samples.set_index("conversation_sid").loc[chosen]
meta = st.columns(4)
meta[0].metric("Intent", row["intent"] or "—")
meta[1].metric("Sentiment", row["sentiment"] or "—")
meta[2].metric("AI confidence", "—" if pd.isna(row["ai_confidence"]) else f"{row['ai_confidence']:.2f}")
meta[3].metric("Reasons", ", ".join(row["reasons"]))
st.caption(
    f"{row['channel']} · {row['queue']} · picked {row['picked_at']:%Y-%m-%d %H:%M:%S} UTC "
    f"· policy {row['policy_version']}"
)

_header, messages = queries.transcript(ch, chosen)
st.subheader("Transcript (redacted)")
if messages.empty:
    st.info("No messages stored for this conversation yet.")
else:
    # An HTML table: what the reviewer reads is also what an audit of the page can read.
    st.table(messages[["sent_at", "author_role", "author", "body"]].set_index("sent_at"))

st.subheader("Review")
# The reviewer is whoever logged in, not a name typed into the form: reviews are evidence and must be attributable.
st.caption(f"Reviewing as {viewer.identity}")
with st.form("review", clear_on_submit=False):
    scores = {
        criterion: st.slider(
            criterion.capitalize(),
            min_value=1,
            max_value=settings.qa.rubric_scale,
            value=settings.qa.rubric_scale,
            key=f"score-{criterion}",
        )
        for criterion in settings.qa.rubric
    }
    comment = st.text_area("Comment")
    submitted = st.form_submit_button("Submit review")
if submitted:
    review_id = queries.insert_review(
        ch,
        queries.Review(
            conversation_sid=chosen,
            reviewer=viewer.identity,
            scores=scores,
            comment=comment.strip(),
            policy_version=str(row["policy_version"]),
            reviewed_at=datetime.now(UTC),
        ),
    )
    st.success(f"Review {review_id[:8]} saved.")

reviews = queries.qa_reviews(ch, chosen)
st.subheader(f"Reviews ({len(reviews)})")
if reviews.empty:
    st.info("Not reviewed yet.")
else:
    table = pd.DataFrame(
        {
            "reviewed_at": reviews["reviewed_at"],
            "reviewer": reviews["reviewer"],
            **{c: [int(s.get(c, 0)) for s in reviews["scores"]] for c in settings.qa.rubric},
            "comment": reviews["comment"],
        }
    )
    st.table(table.set_index("reviewed_at"))
