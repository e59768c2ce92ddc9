"""What the SLA logic needs from the settings, in one frozen object built once per worker."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from cxpulse.settings import BusinessHours, Settings, SlaSettings

__all__ = ["SlaConfig", "business_seconds", "business_deadline"]

#: How far ahead a deadline is searched for. Opening hours that never open (open == close) would otherwise
#: search forever; such a wait simply never breaches.
_SEARCH_DAYS = 400


def _openings(hours: BusinessHours, start: float) -> Iterator[tuple[float, float]]:
    """Business-open intervals (epoch seconds) in time order, from the local day before ``start`` onwards.

    Local clock times are turned into instants per day, so a daylight-saving change moves the instants, not
    the local opening hours (09:00 stays 09:00 local).
    """
    zone = ZoneInfo(hours.timezone)
    weekdays = hours.weekdays
    open_s, close_s = hours.open_close_s
    day: date = datetime.fromtimestamp(start, zone).date() - timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        if day.weekday() in weekdays and close_s > open_s:
            yield _local(day, open_s, zone), _local(day, close_s, zone)
        day += timedelta(days=1)


def _local(day: date, seconds: int, zone: ZoneInfo) -> float:
    """The instant of local clock time ``seconds`` after midnight of ``day`` (24:00 = next midnight)."""
    extra_days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    clock = time(hours, rest // 60)
    return datetime.combine(day + timedelta(days=extra_days), clock, zone).timestamp()


def business_seconds(hours: BusinessHours | None, start: float, end: float) -> float:
    """Seconds of ``[start, end]`` inside business hours (all of them for None: 24×7)."""
    if hours is None or end <= start:
        return max(0.0, end - start)
    total = 0.0
    for opened, closed in _openings(hours, start):
        if opened >= end:
            break
        total += max(0.0, min(closed, end) - max(opened, start))
    return total


def business_deadline(hours: BusinessHours | None, start: float, seconds: float) -> float | None:
    """The instant at which ``seconds`` of business time have passed since ``start`` (None: never)."""
    if hours is None:
        return start + seconds
    remaining = seconds
    for opened, closed in _openings(hours, start):
        begin = max(opened, start)
        if closed <= begin:
            continue
        if closed - begin >= remaining:
            return begin + remaining
        remaining -= closed - begin
    return None


@dataclass(frozen=True)
class SlaConfig:
    """SLA rules plus the channel price table (cost per thread).

    :param sla: thresholds, short-abandon, reopen window, business hours, live-timer and window settings.
    :param prices: price per message by channel (``settings.channels[...].price_per_message``).
    """

    sla: SlaSettings = field(default_factory=SlaSettings)
    prices: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaConfig:
        return cls(sla=settings.sla, prices={name: c.price_per_message for name, c in settings.channels.items()})

    def threshold_s(self, channel: str, queue: str) -> float:
        """Most specific first: ``"<channel>:<queue>"``, then the queue, then the channel, then the default."""
        sla = self.sla
        pair = sla.threshold_s.get(f"{channel}:{queue}")
        if pair is not None:
            return pair
        if queue in sla.queue_threshold_s:
            return sla.queue_threshold_s[queue]
        return sla.channel_threshold_s.get(channel, sla.default_threshold_s)

    @cached_property
    def _hours_cache(self) -> dict[tuple[str, str], BusinessHours | None]:
        return {}

    def business_hours(self, channel: str, queue: str) -> BusinessHours | None:
        """Most specific first, as thresholds: ``"<channel>:<queue>"``, queue, channel, ``"default"``; None = 24×7."""
        table = self.sla.business_hours
        if not table:
            return None
        key = (channel, queue)
        cache = self._hours_cache
        if key not in cache:
            found = next(
                (table[k] for k in (f"{channel}:{queue}", queue, channel, "default") if k and k in table), None
            )
            cache[key] = found
        return cache[key]

    def business_seconds(self, channel: str, queue: str, start: float, end: float) -> float:
        """Wait between two instants as the SLA counts it: business time if the queue has hours, else all."""
        return business_seconds(self.business_hours(channel, queue), start, end)

    def breach_at(self, channel: str, queue: str, since: float, threshold: float) -> float | None:
        """When a wait that started at ``since`` crosses ``threshold`` seconds of business time."""
        return business_deadline(self.business_hours(channel, queue), since, threshold)

    def price(self, channel: str) -> float:
        """Unknown channels cost nothing rather than failing: the price table is operator data."""
        return self.prices.get(channel, 0.0)
