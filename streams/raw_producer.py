"""The raw-topic producer of ``cxpulse ingest``: confluent-kafka, with delivery reports as asyncio awaitables.

Why confluent-kafka and not faust's aiokafka producer: the standalone edge has no faust app to borrow one from,
and librdkafka batches, retries and keeps an idempotent session (``enable.idempotence``: no duplicate and no
reordering from its own retries) in C threads, off the event loop that parses and verifies the posts.

Why a poll thread: librdkafka reports deliveries only when someone calls ``poll()``. Calling it from the event loop
would either block the loop or delay every ack by the polling period; a thread blocks in ``poll()`` instead and
hands each batch of reports to the loop with one ``call_soon_threadsafe`` (one wake-up per batch, not per record).

``produce(events)`` returns once the broker acknowledged every event (``acks=all``), so ingest answers 200 only
after that. A report that arrives after ingest stopped waiting (it answered 503 and Twilio retries) is dropped:
the retry is the same event with the same natural-key id, stored once downstream.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import Settings
from schemas import topics as names
from schemas.events import ConversationEvent

__all__ = ["DeliveryError", "RawProducer", "producer_config"]

log = logging.getLogger(__name__)

#: How long the poll thread blocks in one ``poll()``: reports wake it at once, so this only bounds how long
#: ``close()`` waits for the thread to notice it should stop.
_POLL_BLOCK_S = 0.1
#: librdkafka's metadata request timeout for the readiness probe (it runs in a thread, never on the loop).
_METADATA_TIMEOUT_S = 2.0
_MS_PER_S = 1000


class DeliveryError(Exception):
    """The broker did not take a record (ingest answers 503 and Twilio retries)."""


class KafkaProducerLike(Protocol):
    """What :class:`RawProducer` uses of ``confluent_kafka.Producer`` (a fake stands in for it in unit tests)."""

    def produce(self, topic: str, value: bytes, key: bytes, on_delivery: Callable[[Any, Any], None]) -> None: ...

    def poll(self, timeout: float) -> int: ...

    def flush(self, timeout: float) -> int: ...

    def list_topics(self, topic: str, timeout: float) -> Any: ...


def producer_config(settings: Settings) -> dict[str, Any]:
    """librdkafka settings of the ingest producer: the ``ingest`` principal, idempotent, acks from every in-sync
    replica, batching from ``[ingest]``."""
    ingest = settings.ingest
    return confluent_config(
        settings,
        "ingest",
        **{
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": ingest.linger_ms,
            "batch.size": ingest.batch_max_bytes,
            "message.timeout.ms": int(ingest.delivery_timeout_s * _MS_PER_S),
            "client.id": f"{settings.worker.app_id}-ingest",
        },
    )


class RawProducer:
    """Produces canonical events to the raw topic (key = ConversationSid) and awaits their acknowledgement."""

    def __init__(self, settings: Settings, producer: KafkaProducerLike | None = None) -> None:
        self.topic = settings.topic(names.RAW)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reports: list[tuple[asyncio.Future[None], Any]] = []  # touched by the poll thread only
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll_until_stopped, name="ingest-kafka-poll", daemon=True)
        #: Set (on the poll thread) when the producer hit a fatal error: it will never deliver again.
        self.fatal: str | None = None
        if producer is None:
            from confluent_kafka import Producer

            producer = Producer({**producer_config(settings), "logger": log, "error_cb": self._on_error})
        self._producer = producer

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start delivering reports to ``loop`` (the loop ingest's handlers await on)."""
        self._loop = loop
        self._thread.start()

    def close(self, timeout_s: float) -> int:
        """Stop the poll thread, then flush: wait up to ``timeout_s`` for records still queued or in flight.
        Blocking (call it off the loop). Returns how many records were left undelivered."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        left = self._producer.flush(timeout_s)
        self._hand_over()  # reports the flush served: nobody awaits them any more, but settle them all the same
        return left

    # -- producing -----------------------------------------------------------------------------------------
    async def produce(self, events: Sequence[ConversationEvent]) -> None:
        """Send ``events`` and return once the broker acknowledged each one; raises :class:`DeliveryError` (or the
        producer's own error, e.g. ``BufferError`` when its queue is full) when one was not taken."""
        if self.fatal is not None:
            raise DeliveryError(f"the producer stopped for good: {self.fatal}")
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[None]] = []
        for event in events:
            future: asyncio.Future[None] = loop.create_future()
            self._producer.produce(
                self.topic,
                value=event.to_json(),
                key=event.key.encode(),
                on_delivery=self._reporter(future),
            )
            futures.append(future)
        await asyncio.gather(*futures)

    def _reporter(self, future: asyncio.Future[None]) -> Callable[[Any, Any], None]:
        def delivered(error: Any, _message: Any) -> None:  # on the poll thread
            self._reports.append((future, error))

        return delivered

    def _poll_until_stopped(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(_POLL_BLOCK_S)
            self._hand_over()

    def _hand_over(self) -> None:
        """Pass the reports collected by the last poll to the event loop in one wake-up."""
        if not self._reports or self._loop is None:
            return
        reports, self._reports = self._reports, []
        try:
            self._loop.call_soon_threadsafe(_settle, reports)
        except RuntimeError:  # the loop is closed: the process is exiting, nobody waits for these
            pass

    def _on_error(self, error: Any) -> None:
        """librdkafka's error callback: transient errors (broker away) are retried by librdkafka itself and only
        logged; a fatal one (e.g. the idempotent session was fenced) means this producer can never deliver again."""
        if error.fatal():
            self.fatal = error.str()
            log.critical("kafka producer fatal error: %s", error.str())
        else:
            log.warning("kafka producer error: %s", error.str())

    # -- readiness -----------------------------------------------------------------------------------------
    def raw_topic_writable(self) -> str | None:
        """Blocking metadata probe: None when the raw topic exists with partitions and this principal may see it
        (WRITE implies DESCRIBE), else why not (shown in the log, never on the public port)."""
        if self.fatal is not None:
            return f"fatal producer error: {self.fatal}"
        try:
            metadata = self._producer.list_topics(self.topic, timeout=_METADATA_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - no broker yet, bad credentials: all mean "not ready"
            return f"no metadata from the broker ({exc})"
        topic = metadata.topics.get(self.topic)
        if topic is None:
            return "the broker did not describe the topic"
        if topic.error is not None:
            return str(topic.error)
        if not topic.partitions:
            return "the topic has no partitions"
        return None


def _settle(reports: list[tuple[asyncio.Future[None], Any]]) -> None:
    """On the loop: resolve each waiting future (one ingest stopped waiting for is already cancelled)."""
    for future, error in reports:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(DeliveryError(str(error)))
