"""The freshness bench's pure parts: the rate schedule, percentiles, missing events, the verdict."""

from __future__ import annotations

import json
import math

import pytest

from bench.freshness import (
    Distribution,
    FreshnessReport,
    StepResult,
    distribution,
    freshness,
    highest_rate_meeting,
    meets,
    parse_args,
    percentile,
    render,
    report_json,
    schedule,
)


def test_schedule_puts_an_unmeasured_warm_up_at_the_first_rate_before_each_rate() -> None:
    steps = schedule([100.0, 500.0, 1000.0], 60.0, 10.0)
    assert [(s.label, s.rate, s.duration_s, s.measured) for s in steps] == [
        ("warm-up", 100.0, 10.0, False),
        ("100 ev/s", 100.0, 60.0, True),
        ("500 ev/s", 500.0, 60.0, True),
        ("1000 ev/s", 1000.0, 60.0, True),
    ]
    assert [s.events for s in steps] == [1000, 6000, 30000, 60000]
    assert [s.measured for s in schedule([5.0], 1.0, 0.0)] == [True]
    assert schedule([0.5], 1.0, 0.0)[0].events == 1  # a step posts at least one event


@pytest.mark.parametrize(("rates", "duration", "warmup"), [([], 60.0, 0.0), ([0.0], 60.0, 0.0), ([1.0], 0.0, 0.0)])
def test_schedule_refuses_nonsense(rates: list[float], duration: float, warmup: float) -> None:
    with pytest.raises(ValueError):
        schedule(rates, duration, warmup)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 0)


def test_a_missing_event_counts_as_infinitely_late() -> None:
    # 99 on time and 1 missing out of 100: p99 still on time; 2 missing: p99 is infinite.
    assert percentile([0.5] * 99 + [math.inf], 99) == 0.5
    assert percentile([0.5] * 98 + [math.inf] * 2, 99) == math.inf


def test_freshness_per_event_and_its_distribution() -> None:
    answered = {"a": 10.0, "b": 11.0, "c": 12.0}
    visible = {"a": 10.4, "b": 12.5}
    values = freshness(answered, visible)
    assert values["a"] == pytest.approx(0.4) and values["b"] == pytest.approx(1.5) and math.isinf(values["c"])
    d = distribution(list(values.values()), late_after_s=1.0)
    assert (d.count, d.late, d.missing) == (3, 1, 1)
    assert d.p50_s == pytest.approx(1.5) and d.p99_s == math.inf and d.max_s == pytest.approx(1.5)
    assert distribution([], 1.0) == Distribution()


def _step(rate: float, achieved: float | None, p99: float | None) -> StepResult:
    step = StepResult(f"{rate:g} ev/s", rate, 60.0, achieved_rate=achieved)
    step.freshness = Distribution(count=10, p99_s=p99)
    return step


def test_a_step_meets_the_target_only_at_its_rate_and_within_p99() -> None:
    assert meets(_step(1000.0, 990.0, 0.8), 1.0)
    assert not meets(_step(1000.0, 900.0, 0.8), 1.0)  # the poster did not reach the rate: it proves nothing
    assert not meets(_step(1000.0, 1000.0, 1.2), 1.0)
    assert not meets(_step(1000.0, None, 0.5), 1.0)
    assert not meets(_step(1000.0, 1000.0, None), 1.0)
    steps = [_step(100.0, 100.0, 0.4), _step(500.0, 499.0, 0.9), _step(1000.0, 1000.0, 3.0)]
    assert highest_rate_meeting(steps, 1.0) == 500.0
    assert highest_rate_meeting(steps[2:], 1.0) is None


def test_args_parse_rates_and_refuse_bad_ones() -> None:
    args = parse_args(["--rates", "50, 200", "--duration", "20"])
    assert args.rates == [50.0, 200.0] and args.duration == 20.0
    with pytest.raises(SystemExit):
        parse_args(["--rates", "fast"])
    with pytest.raises(SystemExit):
        parse_args(["--rates", "0"])


def test_report_renders_and_serialises() -> None:
    report = FreshnessReport(rates=[100.0], duration_s=60.0, partitions=2, workers=1, concurrency=8, target_p99_s=1.0)
    report.steps = [_step(100.0, 100.0, 0.4)]
    report.highest_rate_meeting = 100.0
    text = render(report)
    assert "100 ev/s" in text and "highest rate with p99 <= 1 s" in text and "not measured" in text
    assert json.loads(report_json(report))["steps"][0]["freshness"]["p99_s"] == 0.4
