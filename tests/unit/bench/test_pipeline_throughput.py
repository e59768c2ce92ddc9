"""The throughput bench's pure parts: lag, "caught up" detection per stage, the bottleneck, expected row counts.

The run needs a private stack and a burst of thousands of events (``bench/pipeline_throughput.py``); what decides
the figures it prints is checked here on hand-made samples.
"""

from __future__ import annotations

import json
from itertools import islice

import pytest

from bench.pipeline_throughput import (
    STAGES,
    RowKeys,
    Stage,
    StageFigures,
    ThroughputReport,
    bottleneck,
    counts_match,
    expected_counts,
    first_stable,
    peak_backlogs,
    rate,
    render,
    report_json,
    row_keys,
    stage_catch_up,
    targets,
    time_added,
    topic_lags,
    upstream_topics,
)
from bench.webhook_load import sign_all
from cxpulse.settings import Settings
from cxpulse.simulate import generate_posts

CHAIN = (
    Stage("a", ("raw",)),
    Stage("b", ("mid",), ("a",)),
    Stage("c", ("side",), ("a",)),
    Stage("d", ("out",), ("b",)),
)


def test_topic_lags_sum_partitions_and_count_uncommitted_partitions_whole() -> None:
    committed = {"raw": {0: 10, 1: -1}, "mid": {0: 4, 1: 5}}
    ends = {"raw": {0: 12, 1: 3}, "mid": {0: 4, 1: 5}}
    assert topic_lags(committed, ends) == {"raw": 5, "mid": 0}
    assert topic_lags({}, {"t": {0: 0}}) == {"t": 0}


def test_first_stable_needs_the_condition_to_hold_for_the_whole_span() -> None:
    points = [(0.0, True), (1.0, False), (2.0, True), (3.0, True), (4.0, False), (5.0, True), (6.0, True), (8.0, True)]
    assert first_stable(points, after=0.0, stable_s=1.0) == 2.0
    assert first_stable(points, after=0.0, stable_s=2.5) == 5.0
    assert first_stable(points, after=0.0, stable_s=5.0) is None  # not observed long enough (yet)
    # Before `after` nothing counts: a stage idle before the burst is not "caught up" with it.
    assert first_stable(points, after=4.5, stable_s=1.0) == 5.0
    assert first_stable(list(reversed(points)), after=0.0, stable_s=1.0) == 2.0  # order of the samples is irrelevant
    assert first_stable([], after=0.0, stable_s=1.0) is None


def test_upstream_topics_follow_the_graph_not_the_listing_order() -> None:
    assert upstream_topics(CHAIN) == {
        "a": ("raw",),
        "b": ("mid", "raw"),
        "c": ("side", "raw"),
        "d": ("out", "mid", "raw"),
    }


def test_the_real_stage_graph_lists_each_stage_after_its_inputs_and_covers_the_pipeline() -> None:
    closure = upstream_topics(STAGES)  # raises KeyError if a stage came before one of its inputs
    everything = {t for stage in STAGES for t in stage.topics}
    assert set(closure["dead-letter sinks"]) == everything


def test_a_stage_is_caught_up_only_when_everything_upstream_is() -> None:
    samples = [
        (0.0, {"raw": 9, "mid": 0, "side": 0, "out": 0}),
        (1.0, {"raw": 0, "mid": 5, "side": 0, "out": 0}),  # downstream of a lagging stage: not caught up yet
        (2.0, {"raw": 0, "mid": 0, "side": 0, "out": 3}),
        (3.0, {"raw": 0, "mid": 0, "side": 0, "out": 0}),
        (4.0, {"raw": 0, "mid": 0, "side": 0, "out": 0}),
        (5.0, {"raw": 0, "mid": 0, "side": 0, "out": 0}),
    ]
    caught = stage_catch_up(samples, CHAIN, after=0.5, stable_s=1.0)
    assert caught == {"a": 1.0, "b": 2.0, "c": 1.0, "d": 3.0}
    added = time_added(CHAIN, caught, posting_end=0.5)
    assert added == {"a": 0.5, "b": 1.0, "c": 0.0, "d": 1.0}
    assert bottleneck({"ingest": 0.5, **added}) in {"b", "d"}
    assert bottleneck({"ingest": 4.0, **added}) == "ingest"


def test_time_added_is_unknown_when_a_stage_or_an_input_never_caught_up() -> None:
    added = time_added(CHAIN, {"a": None, "b": 3.0, "c": 2.0, "d": 4.0}, posting_end=1.0)
    assert added == {"a": None, "b": None, "c": None, "d": 1.0}
    assert bottleneck({"x": None}) is None


def test_peak_backlog_per_stage_from_a_point_in_time() -> None:
    samples = [(0.0, {"raw": 50}), (1.0, {"raw": 7, "mid": 9}), (2.0, {"raw": 0, "mid": 2})]
    peaks = peak_backlogs(samples, CHAIN[:2], since=0.5)
    assert peaks == {"a": (7, 1.0), "b": (9, 1.0)}
    assert peak_backlogs(samples, CHAIN[2:3], since=0.0) == {"c": (0, None)}


def test_expected_counts_and_match() -> None:
    keys = [
        RowKeys("e1", "m1", "c1"),
        RowKeys("e2", "m1", None),  # an update of the same message: one row
        RowKeys("e3", None, "c1"),
        RowKeys("e3", None, "c1"),  # the same event twice (a retry): one row
        RowKeys("e4", None, None),
    ]
    assert expected_counts(keys) == {"events": 4, "messages": 1, "conversations": 1}
    assert counts_match({"events": 4, "messages": 1, "conversations": 1, "other": 9}, expected_counts(keys))
    assert not counts_match({"events": 4, "messages": 1}, expected_counts(keys))


def test_row_keys_use_ingest_and_the_sink_so_messages_and_conversations_add_up() -> None:
    settings = Settings()
    posts = list(islice(generate_posts(seed=5, settings=settings.simulator), 400))
    requests = sign_all(posts, auth_token="t", public_url="http://127.0.0.1:1")
    keys = row_keys(requests, [p.form for p in posts], settings)
    counts = expected_counts(keys)
    message_sids = {p.form["MessageSid"] for p in posts if p.form["EventType"].startswith("onMessage")}
    assert counts["messages"] == len(message_sids)
    assert 0 < counts["conversations"] <= len({p.conversation_sid for p in posts})
    assert counts["events"] == len({p.event_id for p in posts})


def test_rate_and_targets() -> None:
    assert rate(3000, 1.5) == 2000.0
    assert rate(10, None) is None and rate(10, 0.0) is None
    met = targets(2500.0, 4000.0)
    assert met["end_to_end_events_per_s"]["met"] and met["ratio_to_bare"]["met"]
    assert met["ratio_to_bare"]["value"] == pytest.approx(0.625)
    missed = targets(900.0, 4000.0)
    assert missed["end_to_end_events_per_s"]["met"] is False and missed["ratio_to_bare"]["met"] is False
    assert targets(None, None)["ratio_to_bare"]["met"] is None


def test_report_renders_and_serialises() -> None:
    report = ThroughputReport(events=10, partitions=2, workers=1, concurrency=4, seed=1)
    report.stages = [StageFigures("redaction", ["raw"], 3.0, 2.0, 10, 0.5, 10)]
    report.expected = {"events": 10}
    report.counts = {"events": 10, "responses": 2}
    report.bare = {"records": 10, "events_per_s": 100.0, "produced_s": 0.01, "caught_up_s": 0.1}
    report.targets = targets(3.3, 100.0)
    text = render(report)
    assert "redaction" in text and "NOT met" in text and "events 10/10" in text
    assert json.loads(report_json(report))["stages"][0]["behind_inputs_s"] == 2.0
