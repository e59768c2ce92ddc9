"""``cxpulse ingest``: the HTTP edge as a process of its own — verify, normalise, produce, answer after the ack.

Why its own process: inside the faust worker, ingest answered only once faust had booted (imports, redaction model,
group join, table recovery: 10-60 s after a restart) and shared one event loop and one core with redaction and the
stages. This process imports no faust, no stage and no table, so it answers in about a second, and it keeps
answering while workers restart or rebalance: Kafka holds the posts until a worker reads them.

Lifecycle: bind (SO_REUSEPORT by default, so several processes share ``[ingest] port``) → ``/twilio/health`` says
``starting`` until the producer has described the raw topic (it exists and this principal may write it) → ``ok``.
SIGTERM/SIGINT: stop accepting connections, let requests in flight finish (each waits for its ack or answers 503
at ``kafka_ack_timeout_s``), flush the producer, exit 0. A fatal producer error (the idempotent session cannot go
on) exits 1, so the supervisor starts a fresh process instead of one answering 503 forever.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable

from aiohttp import web

from cxpulse.errors import CxpulseError
from cxpulse.logs import install_log_hygiene
from cxpulse.settings import Settings
from streams.ingest import IngestService
from streams.ingest_http import build_app
from streams.raw_producer import RawProducer

__all__ = ["IngestBindError", "run_ingest"]

log = logging.getLogger(__name__)

#: How often readiness is probed until the raw topic is writable, and a fatal producer error looked for after.
_WATCH_INTERVAL_S = 0.2
#: While not ready, why is logged at most this often (a missing topic is normal until `cxpulse kafka setup` ran).
_NOT_READY_LOG_INTERVAL_S = 10.0
_EXIT_OK = 0
_EXIT_PRODUCER_FAILED = 1


class IngestBindError(CxpulseError):
    """The ingest port is taken by something that does not share it."""


def run_ingest(settings: Settings) -> int:
    """Serve until SIGTERM/SIGINT; the exit code says whether the producer stayed usable."""
    if settings.twilio_auth_token is None:
        raise ValueError("CXPULSE_TWILIO_AUTH_TOKEN is not set: ingest cannot verify Twilio signatures")
    install_log_hygiene(settings.worker.log_repeat_interval_s)
    return asyncio.run(_serve(settings, time.monotonic()))


class _Readiness:
    """Whether posts can be produced now; probed off the loop (librdkafka's metadata call blocks)."""

    def __init__(self) -> None:
        self.ready = False

    def __call__(self) -> bool:
        return self.ready


async def _watch(producer: RawProducer, readiness: _Readiness, stop: asyncio.Event, started: float) -> int:
    """Probe until the raw topic is writable, then watch for a fatal producer error; returns the exit code."""
    loop = asyncio.get_running_loop()
    last_logged = float("-inf")
    while not stop.is_set():
        if producer.fatal is not None:
            readiness.ready = False
            stop.set()
            return _EXIT_PRODUCER_FAILED
        if not readiness.ready:
            reason = await loop.run_in_executor(None, producer.raw_topic_writable)
            if reason is None:
                readiness.ready = True
                log.info("ingest ready: raw topic %s writable, %.2f s after start", producer.topic, _since(started))
            elif time.monotonic() - last_logged >= _NOT_READY_LOG_INTERVAL_S:
                last_logged = time.monotonic()
                log.warning(
                    "ingest not ready: raw topic %s: %s (create topics and ACLs with `cxpulse kafka setup`)",
                    producer.topic,
                    reason,
                )
        try:
            await asyncio.wait_for(stop.wait(), timeout=_WATCH_INTERVAL_S)
        except TimeoutError:
            pass
    return _EXIT_OK


async def _log_counters(service: IngestService, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        service.log_counters()


def _since(started: float) -> float:
    return time.monotonic() - started


async def _serve(
    settings: Settings, started: float, make_producer: Callable[[Settings], RawProducer] = RawProducer
) -> int:
    """Serve until a signal (or a fatal producer error); ``make_producer`` lets tests put a fake broker behind it."""
    loop = asyncio.get_running_loop()
    ingest = settings.ingest
    producer = make_producer(settings)
    producer.start(loop)
    service = IngestService(settings, producer.produce)
    readiness = _Readiness()
    runner = web.AppRunner(
        build_app(service, readiness, ingest.max_body_bytes),
        access_log=None,  # a line per request would cost more than the request; counters go to the log instead
        shutdown_timeout=ingest.shutdown_timeout_s,
    )
    await runner.setup()
    site = web.TCPSite(runner, ingest.host, ingest.port, reuse_port=ingest.reuse_port or None)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        await loop.run_in_executor(None, producer.close, 0)
        raise IngestBindError(
            f"cannot listen on {ingest.host}:{ingest.port}: {exc.strerror}. Only processes that all set "
            "[ingest] reuse_port can share the port; a worker serving ingest itself ([worker] ingest = true) does not"
        ) from exc
    log.info(
        "ingest listening on http://%s:%d (reuse_port=%s), producing to %s, %.2f s after start",
        ingest.host,
        ingest.port,
        ingest.reuse_port,
        producer.topic,
        _since(started),
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(_watch(producer, readiness, stop, started))
    counters = (
        asyncio.create_task(_log_counters(service, ingest.counters_log_interval_s))
        if ingest.counters_log_interval_s > 0
        else None
    )
    await stop.wait()
    code = await watcher
    log.info("ingest stopping: no new connections; requests in flight finish within %.0f s", ingest.shutdown_timeout_s)
    stopping = time.monotonic()
    await runner.cleanup()
    if counters is not None:
        counters.cancel()
    left = await loop.run_in_executor(None, producer.close, ingest.shutdown_timeout_s)
    if left:
        # each of these posts was answered 503 or cut off by the shutdown: Twilio retries it, nothing is lost
        log.warning("ingest stopped with %d records the broker had not acknowledged", left)
    service.log_counters()
    log.info("ingest stopped in %.2f s (exit %d)", time.monotonic() - stopping, code)
    return code
