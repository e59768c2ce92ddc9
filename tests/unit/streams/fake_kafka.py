"""A stand-in for ``confluent_kafka.Producer`` with librdkafka's delivery model: ``produce`` only queues, reports
come out of ``poll``/``flush`` (on whatever thread calls them), and the broker can be slow, refuse, or be away."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    topic: str
    key: bytes
    value: bytes


@dataclass
class _TopicMetadata:
    partitions: dict[int, object]
    error: object | None = None


@dataclass
class _ClusterMetadata:
    topics: dict[str, _TopicMetadata]


@dataclass
class FakeKafkaProducer:
    #: Seconds between ``produce`` and the broker's acknowledgement.
    ack_delay_s: float = 0.0
    #: Reports an error for every record (e.g. ``"Broker: Not enough in-sync replicas"``) instead of acking it.
    refuse_with: str | None = None
    #: Never acknowledges (the broker is away); ``flush`` then leaves the records undelivered.
    away: bool = False
    #: ``produce`` raises ``BufferError``, as librdkafka does when its local queue is full.
    queue_full: bool = False
    topics: dict[str, _TopicMetadata] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    flushed_with: list[float] = field(default_factory=list)
    _pending: list[tuple[float, Record, Callable[[Any, Any], None]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def produce(self, topic: str, value: bytes, key: bytes, on_delivery: Callable[[Any, Any], None]) -> None:
        if self.queue_full:
            raise BufferError("Local: Queue full")
        with self._lock:
            self._pending.append((time.monotonic() + self.ack_delay_s, Record(topic, key, value), on_delivery))

    def _serve_reports(self) -> int:
        now = time.monotonic()
        with self._lock:
            due = [p for p in self._pending if p[0] <= now and not self.away]
            self._pending = [p for p in self._pending if p not in due]
        for _, record, report in due:
            if self.refuse_with is None:
                self.records.append(record)
            report(self.refuse_with, record)
        return len(due)

    def poll(self, timeout: float) -> int:
        served = self._serve_reports()
        if not served:
            time.sleep(min(timeout, 0.005))
        return served

    def flush(self, timeout: float) -> int:
        self.flushed_with.append(timeout)
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline and not self.away:
            self.poll(0.01)
        return len(self._pending)

    def list_topics(self, topic: str, timeout: float) -> _ClusterMetadata:
        return _ClusterMetadata({topic: self.topics[topic]} if topic in self.topics else {})

    def create_topic(self, name: str, partitions: int = 2, error: object | None = None) -> None:
        self.topics[name] = _TopicMetadata({p: object() for p in range(partitions)}, error)
