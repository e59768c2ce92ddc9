"""The chaos bench's pure parts: fault plan, offset accounting, SLA comparison, verdict and report.

The run itself needs a private Kafka + ClickHouse and minutes of traffic (``bench/chaos.py``); what decides whether a
run passes must still be right, so the accounting it prints is checked here on hand-made inputs.
"""

from __future__ import annotations

import json

import pytest

from bench.chaos import (
    ChaosReport,
    FaultRecord,
    caught_up,
    compare_sla,
    failures,
    fault_plan,
    first_advances,
    lagging,
    log_signature,
    lost_and_extra,
    processing_back,
    render,
    report_json,
    sla_exact,
    timeline_rate,
    topic_sums,
    warnings,
)


def _clean_report() -> ChaosReport:
    report = ChaosReport(events=100, rate=10.0, seed=1, partitions=2)
    report.posted = report.accepted = report.stored = 100
    report.lost = 0
    report.stored_not_accepted = 0
    report.duplicated = {"events": 0, "messages": 0}
    report.sla = [{"table": "responses", "expected": 3, "stored": 3, "missing": 0, "extra": 0}]
    report.sla_exact = True
    report.catch_up_s = 4.0
    return report


def test_fault_plan_follows_the_issue_schedule_in_order() -> None:
    plan = fault_plan(20_000, clickhouse_down_s=30.0)
    assert [s.kind for s in plan] == ["kill_worker", "restart_broker", "clickhouse_down", "kill_worker"]
    thresholds = [s.after_accepted for s in plan]
    assert thresholds == sorted(thresholds) and 0 < thresholds[0] and thresholds[-1] < 20_000
    assert [s.hold_s for s in plan] == [0.0, 0.0, 30.0, 0.0]


def test_no_faults_means_an_empty_plan_and_tiny_runs_still_get_positive_thresholds() -> None:
    assert fault_plan(20_000, faults=False) == []
    assert all(s.after_accepted >= 1 for s in fault_plan(3))


def test_timeline_rate_spreads_events_over_the_span_unless_asked() -> None:
    assert timeline_rate(18_000, None) == pytest.approx(10.0)
    assert timeline_rate(100, None) == 1.0  # never slower than one simulated event per second
    assert timeline_rate(20_000, 150.0) == 150.0


def test_topic_sums_count_never_committed_partitions_as_zero() -> None:
    assert topic_sums({"raw": {0: 5, 1: -1}, "validated": {0: -1, 1: -1}}) == {"raw": 5, "validated": 0}


def test_first_advances_and_processing_back() -> None:
    baseline = {"raw": 10, "validated": 5}
    samples = [
        (1.0, {"raw": 10, "validated": 5}),
        (2.0, {"raw": 12, "validated": 5}),
        (3.5, {"raw": 13, "validated": 6}),
    ]
    advances = first_advances(baseline, samples)
    assert advances == {"raw": 2.0, "validated": 3.5}
    assert processing_back(advances) == 3.5
    assert first_advances(baseline, samples[:2]) == {"raw": 2.0, "validated": None}
    assert processing_back(first_advances(baseline, samples[:2])) is None
    assert processing_back({}) is None


def test_a_topic_missing_from_a_sample_has_not_advanced() -> None:
    assert first_advances({"raw": 0}, [(1.0, {})]) == {"raw": None}


def test_lagging_and_caught_up() -> None:
    committed = {"raw": {0: 10, 1: -1}, "validated": {0: 7, 1: 3}}
    ends = {"raw": {0: 10, 1: 4}, "validated": {0: 7, 1: 3}}
    assert lagging(committed, ends) == {"raw[1]": 4}
    assert caught_up(committed, ends) == {"validated"}
    # An empty partition (end 0) never lags, committed or not.
    assert lagging({"t": {0: -1}}, {"t": {0: 0}}) == {}


def test_lost_and_extra() -> None:
    lost, extra = lost_and_extra({"a", "b", "c"}, {"b", "c", "d"})
    assert (lost, extra) == (["a"], ["d"])


def test_compare_sla_reports_missing_and_extra_rows() -> None:
    expected = {"responses": frozenset({(1, "x"), (2, "y")}), "windows": frozenset({("w",)})}
    stored = {"responses": frozenset({(1, "x"), (2, "z")}), "windows": frozenset({("w",)})}
    responses, windows = compare_sla(expected, stored)
    assert (responses.expected, responses.stored, responses.missing, responses.extra) == (2, 2, 1, 1)
    assert responses.missing_sample == ("(2, 'y')",) and responses.extra_sample == ("(2, 'z')",)
    assert windows.exact and not responses.exact
    assert not sla_exact([responses, windows])
    assert sla_exact(compare_sla(expected, expected))


def test_an_empty_model_is_not_exact_it_proves_nothing() -> None:
    assert not sla_exact(compare_sla({"responses": frozenset()}, {"responses": frozenset()}))
    assert not sla_exact([])


def test_a_clean_run_passes() -> None:
    report = _clean_report()
    assert failures(report) == []
    assert "verdict: PASS" in render(report)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"lost": 2}, "2 accepted events lost"),
        ({"lost": None}, "stored events could not be counted"),
        ({"duplicated": {"events": 0, "messages": 3}}, "3 duplicated rows in messages"),
        ({"sla_exact": False}, "SLA facts not exact"),
        ({"sla_exact": None}, "SLA facts not compared"),
        ({"accepted": 98}, "2 events never accepted (rejected or given up)"),
    ],
)
def test_each_failure_fails_the_run(change: dict[str, object], expected: str) -> None:
    report = _clean_report()
    for key, value in change.items():
        setattr(report, key, value)
    assert expected in failures(report)
    assert "verdict: FAIL" in render(report)


def test_slow_or_missing_recovery_after_a_kill_is_a_warning_not_a_failure() -> None:
    report = _clean_report()
    report.faults = [
        FaultRecord("kill_worker", 1, 10.0, 50, processing_back_s=12.5),
        FaultRecord("kill_worker", 2, 40.0, 80, processing_back_s=None),
        FaultRecord("restart_broker", 1, 20.0, 60, processing_back_s=30.0),
    ]
    found = warnings(report, target_s=10.0)
    assert any("restart #1" in w and "12.5 s" in w for w in found)
    assert any("restart #2" in w and "never" in w for w in found)
    assert not any("broker" in w for w in found)  # the 10 s target is about worker restarts
    assert failures(report) == []


def test_report_json_carries_the_verdict() -> None:
    report = _clean_report()
    report.lost = 1
    payload = json.loads(report_json(report))
    assert payload["failures"] == ["1 accepted events lost"]
    assert payload["events"] == 100 and payload["sla_exact"] is True


def test_log_lines_differing_only_in_time_and_numbers_are_one_kind() -> None:
    a = "2026-12-07 17:52:33,038 ERROR asyncio Exception in callback (state={<Monitor>: 8332.0146})(<Future cancelled>)"
    b = "2026-12-07 17:52:37,303 ERROR asyncio Exception in callback (state={<Monitor>: 8336.2667})(<Future cancelled>)"
    c = "2026-12-07 17:52:33,038 ERROR streams.ingest kafka did not acknowledge events=1 error=TimeoutError"
    assert log_signature(a) == log_signature(b) != log_signature(c)
    assert "2026" not in log_signature(a)
