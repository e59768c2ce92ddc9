"""Plumbing of ``bench/chaos.py``: a private stack, one worker deployment, Kafka/ClickHouse probes, the SLA model.

Why a module of its own: the chaos bench must restart the broker and take the ClickHouse front down, so it cannot
share the stack of CI or of a developer (default ports 9092/9093/8123); everything here is started on free ports in
a temporary state directory and stopped again. Nothing is imported from ``tests/``: a bench must run from a clean
checkout without pytest fixtures, so the few helpers the integration tests have (worker subprocess, topic reader,
SLA model over the stage's source topic) are written again here for the bench's needs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, TopicPartition
from pydantic import SecretStr

from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import Settings
from cxpulse.stack.manager import Stack
from cxpulse.stack.secrets import secret_path
from schemas import topics as names
from sinks.clickhouse import Client, make_client
from sinks.migrate import apply_migrations
from streams.sla.agent import source_topic
from streams.topics import Topics, ensure_topics

__all__ = [
    "STAGE_TOPICS",
    "SLA_TOPICS",
    "ChaosDeployment",
    "OffsetProbe",
    "WorkerProcess",
    "free_ports",
    "read_records",
    "read_topic",
    "spawn_logged",
]

#: The topics whose committed offsets say "the pipeline is moving": redaction, data quality, sink + SLA inputs.
STAGE_TOPICS = (names.RAW, names.REDACTED, names.VALIDATED)
#: The SLA stage's own hops; the SLA catch-up also waits for these to be committed.
SLA_TOPICS = (names.SLA_RESPONSES, names.SLA_CONVERSATIONS, names.SLA_WINDOW_INPUTS, names.SLA_WINDOWS)

#: Window grace of the chaos deployment: exactly-once across faults is measured here, not lateness (unit tests).
SLA_GRACE_S = 3600.0
_HTTP_TIMEOUT_S = 2.0
_WORKER_READY_TIMEOUT_S = 240.0
#: Variables the bench must not pass on from its own environment: a CI job's stack or config would leak into
#: the private deployment otherwise.
_INHERITED_PREFIXES = ("CXPULSE_", "KAFKA_BOOTSTRAP_SERVERS", "CLICKHOUSE_")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports nobody listens on now; the sockets stay bound until all are chosen, so the
    kernel cannot hand out the same port twice."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def spawn_logged(command: Sequence[str], env: Mapping[str, str], cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """A bench's child process: its own session (a kill reaches its pool too), output appended to ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(command),
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,
        )


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_S) as response:  # noqa: S310 - our own URL
            return response.status == 200
    except OSError:
        return False


def add_ingest_processes_argument(parser: argparse.ArgumentParser) -> None:
    """``--ingest-processes``: how a bench's deployment takes Twilio's posts (``ChaosDeployment.start_ingest``)."""
    parser.add_argument(
        "--ingest-processes",
        type=int,
        default=1,
        help="`cxpulse ingest` processes in front of the workers, as `cxpulse demo` runs them (0: each worker "
        "serves ingest itself)",
    )


def _http_answers(url: str) -> bool:
    """Whether a web server answers at ``url`` at all (any status: a 503 "starting" is an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_S):  # noqa: S310 - our own URL
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------------------------------------


class WorkerProcess:
    """``python -m cxpulse worker --no-migrate`` in a session of its own, logging to its own file.

    Its own session (process group) because ``kill -9`` must take the redaction pool's processes with it, as a
    host crash or an OOM kill of the container would.
    """

    #: The command after ``python -m cxpulse``, and the log file's name before the index.
    COMMAND: tuple[str, ...] = ("worker", "--no-migrate")
    LOG_NAME = "worker"

    def __init__(self, index: int, env: Mapping[str, str], cwd: Path, ingest_url: str, health_url: str = "") -> None:
        self.index = index
        self.env = dict(env)
        self.cwd = cwd
        #: Where Twilio's posts go: this worker's ingest, or (``health_url`` given) the ingest processes'.
        self.ingest_url = ingest_url
        #: Where ``/health/processing`` answers: the ingest port, or the worker's health port without ingest.
        self.health_url = health_url or ingest_url
        self.log_path = cwd / f"{self.LOG_NAME}-{index}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @property
    def serves_ingest(self) -> bool:
        return self.health_url == self.ingest_url

    def start(self) -> WorkerProcess:
        """Spawn and return at once (the caller times readiness)."""
        self.process = spawn_logged([sys.executable, "-m", "cxpulse", *self.COMMAND], self.env, self.cwd, self.log_path)
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def ingest_ready(self) -> bool:
        """Ingest answers; for a worker without ingest: its web server answers at all (503 while starting)."""
        if self.serves_ingest:
            return _http_ok(f"{self.ingest_url}/twilio/health")
        return _http_answers(f"{self.health_url}/health/processing")

    def processing_ready(self) -> bool:
        return _http_ok(f"{self.health_url}/health/processing")

    def wait_ingest_ready(self, timeout: float = _WORKER_READY_TIMEOUT_S) -> float:
        """Seconds from spawn to the ingest health check answering 200; raises when the worker dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"worker {self.index} exited with {self.returncode()}:\n{self.log_tail(40)}")
            if self.ingest_ready():
                return time.monotonic() - self.started_at
            time.sleep(0.25)
        raise RuntimeError(f"worker {self.index} not ready after {timeout:.0f}s:\n{self.log_tail(40)}")

    def kill(self) -> None:
        """``kill -9`` of the whole process group; returns once the worker is reaped."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self, grace_s: float) -> tuple[float, bool]:
        """SIGTERM, then SIGKILL after ``grace_s``. Returns (seconds until it exited, whether it needed SIGKILL):
        a worker that does not stop on SIGTERM is a finding (deploys and ``docker stop`` rely on it)."""
        if self.process is None or self.process.poll() is not None:
            return 0.0, False
        began = time.monotonic()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return 0.0, False
        try:
            self.process.wait(timeout=grace_s)
            return time.monotonic() - began, False
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            return time.monotonic() - began, True

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class IngestProcess(WorkerProcess):
    """``python -m cxpulse ingest``: the product's edge (signatures, normalisation, the raw topic), without faust.
    Several share the deployment's port (``[ingest] reuse_port``)."""

    COMMAND = ("ingest",)
    LOG_NAME = "ingest"


# --------------------------------------------------------------------------------------------------------
# The private stack and the deployment on it
# --------------------------------------------------------------------------------------------------------


@dataclass
class ChaosDeployment:
    """A private Kafka broker + ClickHouse front on free ports, and one cxpulse deployment on them.

    The in-process :class:`Settings` and the worker's environment are built from the same values, so the bench's
    probes, its SLA model and the worker agree on topics, database, consumer group and SLA rules.
    """

    root: Path
    settings: Settings
    env: dict[str, str]
    stack: Stack
    workers: list[WorkerProcess] = field(default_factory=list)
    #: ``cxpulse ingest`` processes (``start_ingest``); none: every worker serves ingest itself.
    ingests: list[IngestProcess] = field(default_factory=list)
    #: Held while the bench itself kills/restarts the worker, so the supervisor check does not "rescue" it.
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(
        cls, root: Path, partitions: int, flush_interval_s: float | None = None, *, qa: bool = False
    ) -> ChaosDeployment:
        """:param qa: run the QA sampler too (the chaos bench leaves it off; the throughput benches run every
        stage)."""
        kafka_port, controller_port, clickhouse_port, ingest_port = free_ports(4)
        state = root / "state"
        token = secrets.token_hex(16)
        base = Settings()
        public_url = f"http://127.0.0.1:{ingest_port}"
        settings = base.model_copy(
            update={
                "kafka": base.kafka.model_copy(
                    update={
                        "bootstrap_servers": f"127.0.0.1:{kafka_port}",
                        "partitions": partitions,
                        "topic_prefix": "",
                    }
                ),
                "clickhouse": base.clickhouse.model_copy(
                    # the private front's password: what workers started with this state dir derive too
                    update={
                        "url": f"http://127.0.0.1:{clickhouse_port}",
                        "database": "chaos",
                        "password_file": secret_path(state.resolve(), "clickhouse"),
                    }
                ),
                "worker": base.worker.model_copy(update={"app_id": "cxpulse-chaos"}),
                "ingest": base.ingest.model_copy(update={"port": ingest_port, "host": "127.0.0.1"}),
                "public_url": public_url,
                "twilio_auth_token": SecretStr(token),
                "stack": base.stack.model_copy(
                    update={"state_dir": state, "controller_port": controller_port, "start_timeout_s": 240.0}
                ),
                "sla": base.sla.model_copy(update={"enabled": True, "window_grace_s": SLA_GRACE_S}),
                "qa": base.qa.model_copy(update={"enabled": qa}),
            }
        )
        overrides = {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "CLICKHOUSE_URL": settings.clickhouse.url,
            "CXPULSE_KAFKA__PARTITIONS": str(partitions),
            "CXPULSE_CLICKHOUSE__DATABASE": settings.clickhouse.database,
            "CXPULSE_CLICKHOUSE__PASSWORD_FILE": str(settings.clickhouse.password_file),
            "CXPULSE_WORKER__APP_ID": settings.worker.app_id,
            "CXPULSE_INGEST__HOST": "127.0.0.1",
            "CXPULSE_INGEST__PORT": str(ingest_port),
            "CXPULSE_PUBLIC_URL": public_url,
            "CXPULSE_TWILIO_AUTH_TOKEN": token,
            "CXPULSE_REDACTION__PSEUDONYM_SALT": secrets.token_urlsafe(16),  # no public defaults: the worker
            "CXPULSE_QA__RANDOM_SALT": secrets.token_urlsafe(16),  # refuses to start without them
            "CXPULSE_STACK__STATE_DIR": str(state),
            "CXPULSE_STACK__CONTROLLER_PORT": str(controller_port),
            "CXPULSE_SLA__ENABLED": "1",
            "CXPULSE_SLA__WINDOW_GRACE_S": str(SLA_GRACE_S),
            "CXPULSE_QA__ENABLED": "1" if qa else "0",
        }
        if flush_interval_s is not None:
            overrides["CXPULSE_SINK__FLUSH_INTERVAL_S"] = str(flush_interval_s)
            settings = settings.model_copy(
                update={"sink": settings.sink.model_copy(update={"flush_interval_s": flush_interval_s})}
            )
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
        state.mkdir(parents=True, exist_ok=True)
        return cls(root=root, settings=settings, env={**inherited, **overrides}, stack=Stack(settings))

    @property
    def ingest_url(self) -> str:
        return f"http://{self.settings.ingest.host}:{self.settings.ingest.port}"

    @property
    def auth_token(self) -> str:
        token = self.settings.twilio_auth_token
        assert token is not None
        return token.get_secret_value()

    @property
    def worker(self) -> WorkerProcess:
        return self.workers[-1]

    def topic(self, base_name: str) -> str:
        return self.settings.topic(base_name)

    def up(self) -> dict[str, str]:
        """Start the private services, then the topics and tables a worker started with ``--no-migrate`` needs."""
        outcome = self.stack.up()
        ensure_topics(self.settings)
        apply_migrations(self.settings)
        return outcome

    def down(self) -> dict[str, bool]:
        return self.stack.down()

    def dispose(self, keep: bool) -> None:
        """End of a bench: kill its workers, stop the stack, and remove the state dir unless it is to be ``keep``t."""
        for process in [*self.workers, *self.ingests]:
            process.kill()
        with contextlib.suppress(Exception):
            self.down()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def start_ingest(self, count: int, timeout: float = _WORKER_READY_TIMEOUT_S) -> list[IngestProcess]:
        """``count`` ``cxpulse ingest`` processes on the deployment's ingest port, returned once it answers; the
        workers spawned after this serve no ingest (``[worker] ingest = false``), as ``cxpulse demo`` runs them."""
        for _ in range(count):
            self.ingests.append(IngestProcess(len(self.ingests), self.env, self.root, self.ingest_url).start())
        deadline = time.monotonic() + timeout
        while not _http_ok(f"{self.ingest_url}/twilio/health"):
            dead = [i for i in self.ingests if not i.alive()]
            if dead:
                tail = dead[0].log_tail(40)
                raise RuntimeError(f"ingest {dead[0].index} exited with {dead[0].returncode()}:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"ingest not answering after {timeout:.0f}s")
            time.sleep(0.25)
        return self.ingests

    def spawn_worker(self, ingest_port: int | None = None) -> WorkerProcess:
        """A new worker process (index = how many ran before). Without ``ingest_port`` it takes the deployment's
        port, so the previous one must be gone; with one (a free port), it runs beside the others as one more
        member of the group, serving ingest on that port (signatures still cover the shared public URL). Once
        ``start_ingest`` ran, the worker serves only its health endpoint, on a port of its own."""
        env, url = self.env, self.ingest_url
        if self.ingests:
            port = ingest_port if ingest_port is not None else free_ports(1)[0]
            env = {**self.env, "CXPULSE_WORKER__INGEST": "false", "CXPULSE_WORKER__HEALTH_PORT": str(port)}
            health = f"http://{self.settings.worker.health_host}:{port}"
            worker = WorkerProcess(len(self.workers), env, self.root, url, health_url=health).start()
            self.workers.append(worker)
            return worker
        if ingest_port is not None:
            env = {**self.env, "CXPULSE_INGEST__PORT": str(ingest_port)}
            url = f"http://{self.settings.ingest.host}:{ingest_port}"
        worker = WorkerProcess(len(self.workers), env, self.root, url).start()
        self.workers.append(worker)
        return worker

    def start_workers(self, count: int, timeout: float = _WORKER_READY_TIMEOUT_S) -> list[WorkerProcess]:
        """``count`` workers side by side (the first on the deployment's ingest port, the others on free ports),
        returned once every one answers ingest and the group has settled: each has partitions and no table is
        recovering. Raises when one exits or the timeout passes."""
        workers = [self.spawn_worker()]
        workers += [self.spawn_worker(port) for port in free_ports(count - 1)]
        for worker in workers:
            worker.wait_ingest_ready(timeout)
        deadline = time.monotonic() + timeout
        while not all(w.processing_ready() for w in workers):
            dead = [w for w in workers if not w.alive()]
            if dead:
                raise RuntimeError(
                    f"worker {dead[0].index} exited with {dead[0].returncode()}:\n{dead[0].log_tail(40)}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers not all processing after {timeout:.0f}s")
            time.sleep(0.25)
        return workers

    def clickhouse(self) -> Client:
        # Short connect timeout: the probes must notice quickly that the front is down (the outage is the test).
        return make_client(self.settings.clickhouse.model_copy(update={"connect_timeout_s": 5.0}))

    def sla_source_topic(self) -> str:
        """The SLA stage's input as the stage itself names it (one source of truth: ``source_topic``)."""

        class _Names:
            def topic(self, name: str, **_: object) -> str:
                return name

        return str(source_topic(Topics.declare(_Names(), self.settings)))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------
# Kafka probes
# --------------------------------------------------------------------------------------------------------

#: topic -> partition -> offset (committed: -1 when the group never committed that partition).
Offsets = dict[str, dict[int, int]]


class OffsetProbe:
    """Reads the worker group's committed offsets and the topics' end offsets without joining the group.

    ``committed()`` is an OffsetFetch request: it never subscribes, so it cannot trigger a rebalance of the
    worker it measures. One probe per thread (librdkafka handles are not shared across the bench's threads).
    """

    def __init__(self, settings: Settings, group: str, topics: Iterable[str], partitions: int) -> None:
        self.topics = tuple(topics)
        self.partitions = partitions
        self._consumer = Consumer(
            confluent_config(
                settings,
                "admin",
                **{"group.id": group, "enable.auto.commit": False, "socket.timeout.ms": 5000, "log_level": 0},
            )
        )

    def _parts(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t in self.topics for p in range(self.partitions)]

    def committed(self, timeout: float = 5.0) -> Offsets | None:
        """None when the broker does not answer (it may be restarting)."""
        try:
            parts = self._consumer.committed(self._parts(), timeout=timeout)
        except KafkaException:
            return None
        offsets: Offsets = {t: {} for t in self.topics}
        for tp in parts:
            if tp.error is not None:
                return None
            offsets[tp.topic][tp.partition] = tp.offset if tp.offset >= 0 else -1
        return offsets

    def ends(self, timeout: float = 5.0) -> Offsets | None:
        offsets: Offsets = {t: {} for t in self.topics}
        try:
            for tp in self._parts():
                offsets[tp.topic][tp.partition] = self._consumer.get_watermark_offsets(tp, timeout=timeout)[1]
        except KafkaException:
            return None
        return offsets

    def close(self) -> None:
        self._consumer.close()


def read_topic(settings: Settings, name: str, timeout: float = 120.0) -> list[bytes]:
    """Every record value in topic ``name`` from the beginning up to the current high watermarks."""
    return [value for _, _, value in read_records(settings, name, timeout)]


def read_records(settings: Settings, name: str, timeout: float = 120.0) -> list[tuple[int, bytes | None, bytes]]:
    """Every record of topic ``name`` up to the current high watermarks as ``(partition, key, value)``: what a
    bench needs to send the same records again, to the same partitions."""
    consumer = Consumer(
        confluent_config(
            settings,
            "admin",
            **{
                "group.id": f"chaos-inspect-{secrets.token_hex(4)}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "log_level": 0,
            },
        )
    )
    try:
        partitions = consumer.list_topics(name, timeout=10).topics[name].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(name, p, 0) for p in partitions])
        remaining = {p for p, end in ends.items() if end > 0}
        values: list[tuple[int, bytes | None, bytes]] = []
        deadline = time.monotonic() + timeout
        while remaining and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error():
                    continue
                if message.offset() < ends[message.partition()] and message.value() is not None:
                    values.append((message.partition(), message.key(), message.value()))
                if message.offset() + 1 >= ends[message.partition()]:
                    remaining.discard(message.partition())
        if remaining:
            raise RuntimeError(f"could not read {name} to its end within {timeout:.0f}s (partitions {remaining})")
        return values
    finally:
        consumer.close()
