"""The baseline of ``bench/pipeline_throughput.py``: a faust app that only passes records from one topic to another.

Run as a subprocess by the bench (``python -m bench.bare_faust --source T --sink U --app-id A``) with the same
environment as the cxpulse worker, so it talks to the same broker with SCRAM credentials from
:mod:`cxpulse.kafka_auth`, the same partition count, ``acks=all`` and the same commit interval as the worker. What it
costs to move a record through faust here is the floor under every cxpulse stage: the ratio cxpulse / bare says how
much of the pipeline's time is our work and how much is the framework's.

It runs as the ``admin`` principal (a super user) because the deployment's ACLs grant the worker principal only the
deployment's own topics and group; SCRAM authentication is the same, and a super user skips only the ACL lookup.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from cxpulse.kafka_auth import confluent_config, faust_credentials
from cxpulse.settings import Settings

__all__ = ["BareResult", "create_bare_app", "main", "measure_bare"]

#: One record per partition goes through first: the app is up, assigned and warm before the clock starts.
WARMUP_KEY = b"bare-warmup"
READY_TIMEOUT_S = 240.0
CATCH_UP_TIMEOUT_S = 600.0
POLL_S = 0.1
STOP_GRACE_S = 30.0
_ADMIN_TIMEOUT_S = 30.0
_REPO = Path(__file__).resolve().parents[1]


def create_bare_app(settings: Settings, *, app_id: str, source: str, sink: str, partitions: int) -> faust.App:
    """A faust app with one agent: every record of ``source`` goes to ``sink`` unchanged, to the same partition."""
    app = faust.App(
        app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        broker_credentials=faust_credentials(settings, "admin"),
        store="memory://",
        topic_partitions=partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.kafka.commit_interval_s,
        web_enabled=False,
    )
    src = app.topic(source, key_serializer="raw", value_serializer="raw", partitions=partitions)
    dst = app.topic(sink, key_serializer="raw", value_serializer="raw", partitions=partitions)

    @app.agent(src, name=f"{app_id}.pass")
    async def passthrough(stream: Any) -> None:
        async for event in stream.events():
            await dst.send(key=event.key, value=event.value, partition=event.message.partition)

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="topic to read")
    parser.add_argument("--sink", required=True, help="topic to write")
    parser.add_argument("--app-id", required=True, help="faust app id (= consumer group)")
    parser.add_argument("--partitions", type=int, required=True, help="partitions of both topics")
    parser.add_argument("--log-level", default="warning", help="faust log level (default warning)")
    args = parser.parse_args(argv)
    from faust.worker import Worker

    app = create_bare_app(
        Settings(), app_id=args.app_id, source=args.source, sink=args.sink, partitions=args.partitions
    )
    # faust's worker parses sys.argv itself; it must see no bench flags.
    sys.argv = [sys.argv[0]]
    Worker(app, loglevel=args.log_level).execute_from_commandline()
    return 0


# --------------------------------------------------------------------------------------------------------
# Measuring it (called by bench/pipeline_throughput.py)
# --------------------------------------------------------------------------------------------------------


@dataclass
class BareResult:
    """How long the bare app took for ``records`` (seconds from the first record produced)."""

    records: int
    app_id: str = ""
    ready_s: float | None = None
    produced_s: float | None = None
    caught_up_s: float | None = None
    error: str | None = None

    @property
    def events_per_s(self) -> float | None:
        return None if not self.caught_up_s else self.records / self.caught_up_s


def _create_topics(settings: Settings, topics: Sequence[str], partitions: int) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(confluent_config(settings, "admin"))
    futures = admin.create_topics(
        [NewTopic(t, partitions, settings.kafka.replication_factor) for t in topics], request_timeout=_ADMIN_TIMEOUT_S
    )
    for future in futures.values():
        future.result()


def _sums(offsets: Mapping[str, Mapping[int, int]] | None, topic: str) -> int | None:
    return None if offsets is None else sum(max(o, 0) for o in offsets[topic].values())


def measure_bare(
    settings: Settings,
    env: Mapping[str, str],
    root: Path,
    records: Sequence[tuple[int, bytes | None, bytes]],
    *,
    partitions: int,
    say: Callable[[str], None] = print,
) -> BareResult:
    """Start the bare app on fresh topics, warm it up, produce ``records`` (partition, key, value) as one burst
    and time until its group committed them all and the output topic holds them all."""
    from confluent_kafka import Producer

    from bench.chaos_harness import OffsetProbe

    suffix = secrets.token_hex(3)
    app_id, source, sink = f"bench-bare-{suffix}", f"bench.bare.in.{suffix}", f"bench.bare.out.{suffix}"
    result = BareResult(records=len(records), app_id=app_id)
    _create_topics(settings, (source, sink), partitions)
    log_path = root / "bare.log"
    command = [sys.executable, "-m", "bench.bare_faust", "--source", source, "--sink", sink]
    command += ["--app-id", app_id, "--partitions", str(partitions)]
    child_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPO), env.get("PYTHONPATH", "")]))}
    producer = Producer(confluent_config(settings, "admin", **{"acks": "all", "log_level": 0}))
    probe = OffsetProbe(settings, app_id, (source, sink), partitions)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module
            command, env=child_env, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
        )
    try:
        spawned = time.monotonic()
        for partition in range(partitions):
            producer.produce(source, value=b"{}", key=WARMUP_KEY, partition=partition)
        producer.flush()
        if not _wait(lambda: _sums(probe.ends(), sink) == partitions, process, READY_TIMEOUT_S):
            result.error = f"the bare app never passed its warm-up records (see {log_path})"
            return result
        result.ready_s = time.monotonic() - spawned
        say(f"bare app ready in {result.ready_s:.1f} s; producing the burst")
        total = partitions + len(records)
        started = time.monotonic()
        for partition, key, value in records:
            while True:
                try:
                    producer.produce(source, value=value, key=key, partition=partition)
                    break
                except BufferError:  # the local queue is full: let librdkafka send some
                    producer.poll(POLL_S)
        producer.flush()
        result.produced_s = time.monotonic() - started

        def done() -> bool:
            return _sums(probe.committed(), source) == total and _sums(probe.ends(), sink) == total

        if _wait(done, process, CATCH_UP_TIMEOUT_S):
            result.caught_up_s = time.monotonic() - started
        else:
            result.error = f"the bare app did not pass every record within {CATCH_UP_TIMEOUT_S:.0f} s"
        return result
    finally:
        probe.close()
        _stop(process)


def _wait(condition: Callable[[], bool], process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(POLL_S)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_S)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    sys.exit(main())
