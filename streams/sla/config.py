"""What the SLA logic needs from the settings, in one frozen object built once per worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cxpulse.settings import Settings, SlaSettings

__all__ = ["SlaConfig"]


@dataclass(frozen=True)
class SlaConfig:
    """SLA rules plus the channel price table (cost per thread).

    :param sla: thresholds, short-abandon, reopen window, live-timer and window settings.
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

    def price(self, channel: str) -> float:
        """Unknown channels cost nothing rather than failing: the price table is operator data."""
        return self.prices.get(channel, 0.0)
