"""The Live SLA filters (channel, queue, time range, time zone) and the time bounds they imply.

The sidebar widgets live in :func:`sidebar_filters`; everything else is pure so it can be unit-tested. The
bounds are computed once per refresh from one ``now`` and passed to every query as bound parameters, so all
tiles of one refresh describe the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from cxpulse.settings import DashboardSettings

__all__ = [
    "CHOICES_TTL_S",
    "Bounds",
    "Filters",
    "bounds",
    "format_wait",
    "range_label",
    "sidebar_filters",
    "to_zone",
]

_MINUTE_S = 60
#: Channel and queue choices change rarely (a new queue in Twilio): pages cache them this long.
CHOICES_TTL_S = 60.0


@dataclass(frozen=True)
class Filters:
    """What the viewer selected. Empty channel/queue tuples mean "all"."""

    channels: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    range_min: int = 60
    timezone: str = "UTC"


@dataclass(frozen=True)
class Bounds:
    """The moments one refresh of the Live SLA page reads, all as UTC datetimes (ClickHouse stores UTC).

    ``since`` starts the selected range, ``sl_now_since`` the "service level now" window, ``today`` midnight
    in the viewer's time zone, ``live_since`` the oldest sla_live row considered, and ``earliest`` the
    smallest of the first three (the fact scan starts there).
    """

    now: datetime
    since: datetime
    sl_now_since: datetime
    today: datetime
    live_since: datetime
    filters: Filters = field(default_factory=Filters)

    @property
    def earliest(self) -> datetime:
        return min(self.since, self.sl_now_since, self.today)

    def parameters(self) -> dict[str, object]:
        """Server-side query parameters (never formatted into SQL text). ClickHouse gets naive UTC values."""
        naive = {
            name: getattr(self, name).astimezone(UTC).replace(tzinfo=None)
            for name in ("now", "since", "sl_now_since", "today", "live_since", "earliest")
        }
        return {**naive, "channels": list(self.filters.channels), "queues": list(self.filters.queues)}


def bounds(filters: Filters, settings: DashboardSettings, now: datetime | None = None) -> Bounds:
    """The time bounds of one refresh. ``today`` is midnight of ``now``'s date in the viewer's time zone."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    local = now.astimezone(ZoneInfo(filters.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return Bounds(
        now=now,
        since=now - timedelta(minutes=filters.range_min),
        sl_now_since=now - timedelta(minutes=settings.sl_now_min),
        today=midnight.astimezone(UTC),
        live_since=now - timedelta(hours=settings.live_lookback_h),
        filters=filters,
    )


def to_zone(values: pd.Series, timezone: str) -> pd.Series:
    """Naive UTC timestamps from ClickHouse → the viewer's time zone (shown without the offset)."""
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert(timezone).dt.tz_localize(None)


def format_wait(seconds: float | None) -> str:
    """``754`` → ``12m 34s``, ``8.25`` → ``8.2s``: supervisors read waits in minutes, not in raw seconds."""
    if seconds is None or pd.isna(seconds):
        return "–"
    if seconds < _MINUTE_S:
        return f"{max(0.0, seconds):.1f}s"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def sidebar_filters(
    settings: DashboardSettings, channels: list[str], queues: list[str], *, with_range: bool = True
) -> Filters:
    """Render the shared filters in the sidebar; keys are stable so every page keeps the same selection.

    :param with_range: offer the time range (pages about "now", such as At risk, have no use for it).
    """
    sidebar = st.sidebar
    sidebar.header("Filters")
    chosen_channels = sidebar.multiselect("Channel", channels, key="f_channels", placeholder="All channels")
    chosen_queues = sidebar.multiselect("Queue", queues, key="f_queues", placeholder="All queues")
    ranges = list(settings.time_ranges_min)
    default = ranges.index(settings.default_range_min) if settings.default_range_min in ranges else 0
    range_min = (
        sidebar.selectbox("Time range", ranges, index=default, key="f_range", format_func=range_label)
        if with_range
        else ranges[default]
    )
    zones = list(dict.fromkeys([settings.timezone, *settings.timezones]))
    timezone = sidebar.selectbox("Time zone", zones, key="f_tz")
    return Filters(
        channels=tuple(chosen_channels), queues=tuple(chosen_queues), range_min=int(range_min), timezone=str(timezone)
    )


def range_label(minutes: int) -> str:
    """``60`` → ``last 1 h``, ``15`` → ``last 15 min``."""
    return f"last {minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"last {minutes} min"
