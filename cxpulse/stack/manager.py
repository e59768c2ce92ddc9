"""``cxpulse stack up | down | status``: the local Kafka broker and ClickHouse front as one unit."""

from __future__ import annotations

import logging

from cxpulse.settings import Settings
from cxpulse.stack.clickhouse import ClickHouseService
from cxpulse.stack.kafka import KafkaService
from cxpulse.stack.secrets import private_dir

__all__ = ["Stack"]

log = logging.getLogger(__name__)


class Stack:
    """Both local services; ``up`` is idempotent, ``down`` stops only what cxpulse started."""

    def __init__(self, settings: Settings) -> None:
        self._state_dir = settings.state_path()
        self.kafka = KafkaService(settings)
        self.clickhouse = ClickHouseService(settings)

    @property
    def services(self) -> tuple[KafkaService | ClickHouseService, ...]:
        return (self.clickhouse, self.kafka)

    def up(self) -> dict[str, str]:
        """Start what is not running yet; on failure stop what this call started."""
        outcome: dict[str, str] = {}
        private_dir(self._state_dir)  # raw topic data, the ClickHouse files and the local secrets live below it
        try:
            for service in self.services:
                outcome[service.name] = service.up()
        except Exception:
            for service in self.services:
                if outcome.get(service.name) == "started":
                    service.down()
            raise
        return outcome

    def down(self) -> dict[str, bool]:
        return {service.name: service.down() for service in reversed(self.services)}

    def status(self) -> list[dict[str, str]]:
        return [service.status() for service in self.services]

    def healthy(self) -> bool:
        return all(service.is_healthy() for service in self.services)
