"""The Live SLA filters' pure parts: time bounds per time zone, query parameters, wait formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from cxpulse.settings import DashboardSettings
from dashboards.filters import Filters, bounds, format_wait, range_label, to_zone
from dashboards.queries import service_level_pct

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # already the 29th in UTC and Kolkata, still the 28th in New York


def test_bounds_follow_the_selected_range_and_settings() -> None:
    settings = DashboardSettings(sl_now_min=15, live_lookback_h=24)
    b = bounds(Filters(range_min=60), settings, now=NOW)
    assert b.now == NOW
    assert b.since == NOW - timedelta(minutes=60)
    assert b.sl_now_since == NOW - timedelta(minutes=15)
    assert b.live_since == NOW - timedelta(hours=24)
    assert b.today == datetime(2026, 3, 29, tzinfo=UTC)
    assert b.earliest == b.since


@pytest.mark.parametrize(
    ("timezone", "midnight_utc"),
    [
        ("UTC", datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 28, 4, 0, tzinfo=UTC)),  # still the 28th there, EDT (UTC-4)
        ("Asia/Kolkata", datetime(2026, 3, 28, 18, 30, tzinfo=UTC)),  # 06:00 on the 29th, UTC+5:30
    ],
)
def test_today_starts_at_midnight_in_the_viewers_zone(timezone: str, midnight_utc: datetime) -> None:
    b = bounds(Filters(timezone=timezone), DashboardSettings(), now=NOW)
    assert b.today == midnight_utc
    assert b.earliest == min(b.today, b.since)


def test_parameters_are_naive_utc_and_filters_are_lists() -> None:
    b = bounds(Filters(channels=("sms",), queues=()), DashboardSettings(), now=NOW)
    params = b.parameters()
    assert params["now"] == datetime(2026, 3, 29, 0, 30)
    assert params["now"].tzinfo is None
    assert params["channels"] == ["sms"]
    assert params["queues"] == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "–"),
        (float("nan"), "–"),
        (8.25, "8.2s"),
        (59.94, "59.9s"),
        (60, "1m 00s"),
        (754, "12m 34s"),
        (3600 + 125, "1h 02m"),
    ],
)
def test_format_wait(seconds: float | None, text: str) -> None:
    assert format_wait(seconds) == text


def test_to_zone_converts_naive_utc_for_display() -> None:
    shown = to_zone(pd.Series([datetime(2026, 7, 1, 12, 0)]), "Europe/Berlin")
    assert shown.iloc[0] == pd.Timestamp("2026-07-01 14:00")


@pytest.mark.parametrize(
    ("within", "answered", "abandoned_past", "expected"),
    [(3, 4, 1, 60.0), (0, 0, 0, None), (0, 0, 2, 0.0), (2, 3, 0, 66.67)],
)
def test_service_level_from_counts(within: int, answered: int, abandoned_past: int, expected: float | None) -> None:
    assert service_level_pct(within, answered, abandoned_past) == expected


@pytest.mark.parametrize(
    ("minutes", "label"), [(15, "last 15 min"), (60, "last 1 h"), (90, "last 90 min"), (1440, "last 24 h")]
)
def test_range_label(minutes: int, label: str) -> None:
    assert range_label(minutes) == label


def test_unknown_time_zones_fail_when_settings_load() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        DashboardSettings(timezones=("UTC", "Mars/Base"))
    with pytest.raises(ValueError, match="unknown time zone"):
        DashboardSettings(timezone="Europe/Atlantis")
