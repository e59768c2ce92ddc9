"""How many signed webhooks per second ``cxpulse ingest`` takes into Kafka, against what this machine can serve at all.

Run (from the repository root; the lead's figures come from a quiet machine and the default 10 s per run)::

    .venv/bin/python -m bench.ingest_throughput                   # private stack, scenarios (c), (a), (b)
    .venv/bin/python -m bench.ingest_throughput --duration 5      # a smoke run
    .venv/bin/python -m bench.ingest_throughput --embedded        # also (d): today's ingest inside the faust worker
    .venv/bin/python -m bench.ingest_throughput --stack local     # on the running local stack (own topic prefix)

What it does, and why each choice:

* **Stack**: by default a private Kafka broker (SCRAM + ACLs, as the local stack) and ClickHouse front on free ports
  in a temporary directory (:class:`bench.chaos_harness.ChaosDeployment`), stopped at the end, so a CI run or a
  developer on the default ports is never disturbed. ``--stack local`` uses the running local stack instead, with a
  topic prefix, app id and database of the run's own. Topics and ACLs are created as admin first, as ``cxpulse kafka
  setup`` does; ingest then runs as the ``ingest`` principal (WRITE on the raw topic only).
* **Requests**: ``--requests`` distinct ``onMessageAdded`` posts made by the simulator and signed with the run's
  token (:mod:`bench.ingest_requests`), written to a file before any server starts. Distinct, because ingest answers
  a repeated event id without producing it; a run that sends more posts than the file holds says how many repeats.
* **Client**: Debian's ``wrk`` replaying the file (``bench/wrk_replay.lua``) over ``--connections`` keep-alive
  connections, ``--duration`` seconds per scenario; without ``wrk`` a Python aiohttp client, and the report says so.
* **Scenarios**, one after the other, each with fresh processes: (c) a bare aiohttp endpoint that reads the body and
  answers 200 (``bench/ingest_bare.py``: the machine's ceiling for one Python process), (a) one ``cxpulse ingest``,
  (b) two ``cxpulse ingest`` on one port (SO_REUSEPORT), (d) with ``--embedded`` today's ingest inside ``cxpulse
  worker`` (the whole pipeline runs in that process, as in production before the split).
* **Figures**: accepted/s (200 answers per second: each one is a record the broker acknowledged with acks=all),
  p50/p90/p99 latency, non-2xx and socket errors, records the raw topic really gained (its end offsets, read as
  admin), CPU seconds the server processes used, startup (spawn until ``/twilio/health`` answers 200, polled every
  10 ms) and SIGTERM-to-exit time, and ratios: each scenario's accepted/s over the bare endpoint's, measured in the
  same run.

Exit status 1 when the raw topic gained fewer records than ingest acknowledged with 200 (a lost post), 2 when the
bench could not run. Other findings (non-2xx answers, repeats, a slow start) are printed as warnings.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from bench.chaos_harness import ChaosDeployment, free_ports, spawn_logged
from bench.ingest_load import LoadRun, run_load, wrk_available
from bench.ingest_requests import signed_message_posts, write_requests
from bench.machine import cores, uptime
from cxpulse.kafka_auth import confluent_config
from cxpulse.settings import Settings
from cxpulse.stack.manager import Stack
from cxpulse.urls import mask_url
from schemas import topics as names
from streams.ingest import HEALTH_PATH
from streams.topics import ensure_topics

DEFAULT_DURATION_S = 10.0
DEFAULT_CONNECTIONS = 32
DEFAULT_THREADS = 1
DEFAULT_PARTITIONS = 4
#: Posts in the replay file per second of run: above what two ingest processes take here, so nothing repeats.
REQUESTS_PER_RUN_SECOND = 4000
MIN_REQUESTS = 10_000
#: The issue's start-up target for ``cxpulse ingest`` (spawn to /twilio/health 200); a slower start is a warning.
STARTUP_TARGET_S = 2.0
#: Signatures cover this public URL (what Twilio would call); every server is configured with it, none listens there.
PUBLIC_URL = "https://ingest.bench.cxpulse.invalid"
_HEALTH_POLL_S = 0.01
_INGEST_READY_TIMEOUT_S = 60.0
_WORKER_READY_TIMEOUT_S = 300.0
_STOP_GRACE_S = 30.0
_KAFKA_TIMEOUT_S = 10.0
#: Variables not passed on from the bench's environment: a CI job's stack or config would leak into the run.
_INHERITED_PREFIXES = ("CXPULSE_", "KAFKA_BOOTSTRAP_SERVERS", "CLICKHOUSE_")
_REPOSITORY = Path(__file__).resolve().parents[1]
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
#: /proc/<pid>/stat fields after the command name: utime and stime are the 12th and 13th (1-based from "state").
_UTIME_FIELD, _STIME_FIELD = 11, 12


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own loopback URL
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[_UTIME_FIELD]) + int(fields[_STIME_FIELD])) / _CLOCK_TICKS


def _rss_mb(pid: int) -> float:
    try:
        resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return resident_pages * _PAGE_KB / 1024


# --------------------------------------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------------------------------------


@dataclass
class Server:
    """One server under test as a subprocess in its own session, logging to its own file."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    base_url: str
    process: subprocess.Popen[bytes] | None = None
    spawned_at: float = 0.0

    @property
    def log_path(self) -> Path:
        return self.cwd / f"{self.name}.log"

    def spawn(self) -> Server:
        self.process = spawn_logged(self.command, self.env, self.cwd, self.log_path)
        self.spawned_at = time.monotonic()
        return self

    def wait_ready(self, timeout_s: float) -> float:
        """Seconds from spawn until ``/twilio/health`` answers 200."""
        assert self.process is not None
        deadline = self.spawned_at + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if _http_status(self.base_url + HEALTH_PATH) == 200:
                return time.monotonic() - self.spawned_at
            time.sleep(_HEALTH_POLL_S)
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU of the process and its children still running (the worker's redaction pool)."""
        assert self.process is not None
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        return sum(_cpu_seconds(pid) for pid in pids)

    def rss_mb(self) -> float:
        assert self.process is not None
        return _rss_mb(self.process.pid)

    def stop(self) -> tuple[float, int | None]:
        """SIGTERM, SIGKILL after a grace period: (seconds until it exited, exit code; None when killed)."""
        if self.process is None or self.process.poll() is not None:
            return 0.0, None if self.process is None else self.process.returncode
        began = time.monotonic()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            code = self.process.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=_STOP_GRACE_S)
            return time.monotonic() - began, None
        return time.monotonic() - began, code

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------------
# The environment the servers run in
# --------------------------------------------------------------------------------------------------------


@dataclass
class Environment:
    """Where the servers run: settings as admin (topics, offsets) and the base environment of every child."""

    settings: Settings
    env: dict[str, str]
    root: Path
    label: str
    private: ChaosDeployment | None = None

    @classmethod
    def private_stack(cls, root: Path, partitions: int) -> Environment:
        deployment = ChaosDeployment.create(root, partitions)
        deployment.up()
        label = f"private (Kafka {deployment.settings.kafka.bootstrap_servers}, {partitions} partitions)"
        return cls(deployment.settings, dict(deployment.env), root, label, deployment)

    @classmethod
    def local_stack(cls, root: Path, partitions: int, migrate: bool) -> Environment:
        base = Settings()
        Stack(base).up()  # idempotent; gives the running broker the ingest principal's credential if it lacks it
        uid = secrets.token_hex(4)
        settings = base.model_copy(
            update={
                "kafka": base.kafka.model_copy(update={"topic_prefix": f"bench{uid}.", "partitions": partitions}),
                "worker": base.worker.model_copy(update={"app_id": f"cxpulse-bench{uid}"}),
                "clickhouse": base.clickhouse.model_copy(update={"database": f"bench_{uid}"}),
            }
        )
        ensure_topics(settings)
        if migrate:
            from sinks.migrate import apply_migrations

            apply_migrations(settings)
        overrides = {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "CLICKHOUSE_URL": settings.clickhouse.url,
            "CXPULSE_STACK__STATE_DIR": str(settings.state_path()),
            "CXPULSE_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
            "CXPULSE_KAFKA__PARTITIONS": str(partitions),
            "CXPULSE_WORKER__APP_ID": settings.worker.app_id,
            "CXPULSE_CLICKHOUSE__DATABASE": settings.clickhouse.database,
            "CXPULSE_REDACTION__PSEUDONYM_SALT": secrets.token_urlsafe(16),
            "CXPULSE_QA__RANDOM_SALT": secrets.token_urlsafe(16),
        }
        if settings.clickhouse.password_file is not None:
            overrides["CXPULSE_CLICKHOUSE__PASSWORD_FILE"] = str(settings.clickhouse.password_file)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
        label = f"local (Kafka {mask_url(settings.kafka.bootstrap_servers)}, prefix {settings.kafka.topic_prefix})"
        return cls(settings, {**inherited, **overrides}, root, label)

    def close(self) -> None:
        if self.private is not None:
            self.private.down()

    def raw_records(self) -> int:
        """The raw topic's end offsets summed: every record it ever received."""
        name = self.settings.topic(names.RAW)
        consumer = Consumer(confluent_config(self.settings, "admin", **{"group.id": "bench-offsets", "log_level": 0}))
        try:
            partitions = consumer.list_topics(name, timeout=_KAFKA_TIMEOUT_S).topics[name].partitions
            return sum(
                consumer.get_watermark_offsets(TopicPartition(name, p), timeout=_KAFKA_TIMEOUT_S)[1] for p in partitions
            )
        finally:
            consumer.close()

    def server_env(self, port: int, token: str, **extra: str) -> dict[str, str]:
        return {
            **self.env,
            "CXPULSE_INGEST__HOST": "127.0.0.1",
            "CXPULSE_INGEST__PORT": str(port),
            "CXPULSE_PUBLIC_URL": PUBLIC_URL,
            "CXPULSE_TWILIO_AUTH_TOKEN": token,
            **extra,
        }


# --------------------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------------------


@dataclass
class ScenarioResult:
    name: str
    processes: int
    startup_s: list[float]
    load: LoadRun
    kafka_records: int | None
    cpu_s: float
    rss_mb: list[float]
    stop_s: list[float] = field(default_factory=list)
    exit_codes: list[int | None] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Posts answered 200 whose record the raw topic does not have."""
        return 0 if self.kafka_records is None else max(0, self.load.accepted - self.load.repeats - self.kafka_records)


@dataclass(frozen=True)
class LoadSpec:
    requests_file: Path
    duration_s: float
    connections: int
    threads: int
    use_wrk: bool


def _measure(
    name: str, servers: Sequence[Server], startup: list[float], spec: LoadSpec, environment: Environment | None
) -> ScenarioResult:
    before = environment.raw_records() if environment is not None else None
    cpu_before = sum(s.cpu_seconds() for s in servers)
    load = run_load(
        servers[0].base_url,
        spec.requests_file,
        duration_s=spec.duration_s,
        connections=spec.connections,
        threads=spec.threads,
        use_wrk=spec.use_wrk,
    )
    cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
    rss = [s.rss_mb() for s in servers]
    stops = [s.stop() for s in servers]
    after = environment.raw_records() if environment is not None and before is not None else None
    return ScenarioResult(
        name=name,
        processes=len(servers),
        startup_s=startup,
        load=load,
        kafka_records=None if after is None or before is None else after - before,
        cpu_s=cpu,
        rss_mb=rss,
        stop_s=[seconds for seconds, _ in stops],
        exit_codes=[code for _, code in stops],
    )


def run_bare(root: Path, spec: LoadSpec) -> ScenarioResult:
    (port,) = free_ports(1)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    server = Server(
        "bare",
        [sys.executable, "-m", "bench.ingest_bare", "--port", str(port)],
        {**inherited, "PYTHONPATH": str(_REPOSITORY)},  # bench/ is not installed; the servers run in the run dir
        root,
        f"http://127.0.0.1:{port}",
    ).spawn()
    startup = [server.wait_ready(_INGEST_READY_TIMEOUT_S)]
    return _measure("bare aiohttp endpoint (ceiling)", [server], startup, spec, None)


def run_ingest(environment: Environment, token: str, processes: int, spec: LoadSpec) -> ScenarioResult:
    """``processes`` × ``cxpulse ingest`` on one port (SO_REUSEPORT), spawned together."""
    (port,) = free_ports(1)
    servers = [
        Server(
            f"ingest-{processes}-{n}",
            [sys.executable, "-m", "cxpulse", "ingest"],
            environment.server_env(port, token),
            environment.root,
            f"http://127.0.0.1:{port}",
        ).spawn()
        for n in range(processes)
    ]
    startup = [s.wait_ready(_INGEST_READY_TIMEOUT_S) for s in servers]
    label = "cxpulse ingest" if processes == 1 else f"cxpulse ingest ×{processes} (one port, SO_REUSEPORT)"
    return _measure(label, servers, startup, spec, environment)


def run_embedded(environment: Environment, token: str, spec: LoadSpec) -> ScenarioResult:
    """Today's layout: ingest on the faust worker's web server, with every stage running in the same process."""
    (port,) = free_ports(1)
    server = Server(
        "embedded-worker",
        [sys.executable, "-m", "cxpulse", "worker", "--no-migrate"],
        environment.server_env(port, token),
        environment.root,
        f"http://127.0.0.1:{port}",
    ).spawn()
    startup = [server.wait_ready(_WORKER_READY_TIMEOUT_S)]
    return _measure("embedded faust ingest (cxpulse worker)", [server], startup, spec, environment)


# --------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------


def _row(result: ScenarioResult, ceiling: float) -> str:
    load = result.load
    ratio = f"{load.accepted_per_s / ceiling:.2f}" if ceiling else "-"
    kafka = "-" if result.kafka_records is None else f"{result.kafka_records:,}"
    per_k = f"{1000 * result.cpu_s / load.requests:.2f}" if load.requests else "-"
    return (
        f"{result.name:<44} {result.processes:>5}  {', '.join(f'{s:.2f}' for s in result.startup_s):<11} "
        f"{load.accepted_per_s:>10,.0f}  {load.p50_ms:>7.1f} {load.p99_ms:>7.1f}  {load.non_2xx:>7,} "
        f"{load.socket_errors:>8,} {load.repeats:>8,}  {kafka:>11}  {per_k:>10}  {ratio:>7}"
    )


def report(results: Sequence[ScenarioResult], header: Mapping[str, str]) -> list[str]:
    """Print the table and the ratios; returns the warnings."""
    for key, value in header.items():
        print(f"{key:<16} {value}")
    print()
    print(
        f"{'scenario':<44} {'procs':>5}  {'startup s':<11} {'accepted/s':>10}  {'p50 ms':>7} {'p99 ms':>7}  "
        f"{'non-2xx':>7} {'sock err':>8} {'repeats':>8}  {'raw +recs':>11}  {'CPU ms/req':>10}  {'vs bare':>7}"
    )
    ceiling = next((r.load.accepted_per_s for r in results if r.name.startswith("bare")), 0.0)
    for result in results:
        print(_row(result, ceiling))
    print()
    by_procs = {r.processes: r for r in results if r.name.startswith("cxpulse ingest")}
    if 1 in by_procs and 2 in by_procs and by_procs[1].load.accepted_per_s:
        scale = by_procs[2].load.accepted_per_s / by_procs[1].load.accepted_per_s
        print(f"two ingest processes vs one: {scale:.2f}× (2 cores shared with the client and the broker)")
    for result in results:
        stops = ", ".join(
            f"{s:.2f} s (exit {c if c is not None else 'killed'})"
            for s, c in zip(result.stop_s, result.exit_codes, strict=True)
        )
        rss = ", ".join(f"{m:.0f}" for m in result.rss_mb)
        print(
            f"{result.name}: p90 {result.load.p90_ms:.1f} ms, max {result.load.max_ms:.1f} ms; RSS {rss} MB; "
            f"SIGTERM → exit {stops}"
        )
    warnings = []
    for result in results:
        if result.name.startswith("cxpulse ingest"):
            slow = [s for s in result.startup_s if s > STARTUP_TARGET_S]
            if slow:
                warnings.append(f"{result.name}: started in {max(slow):.2f} s (target ≤ {STARTUP_TARGET_S:.0f} s)")
        if result.load.non_2xx or result.load.socket_errors:
            warnings.append(f"{result.name}: {result.load.non_2xx} non-2xx answers, {result.load.socket_errors} errors")
        if result.load.repeats and result.kafka_records is not None:  # the bare endpoint has no dedupe to flatter
            warnings.append(f"{result.name}: {result.load.repeats} repeated posts (raise --requests)")
        if result.lost:
            warnings.append(f"{result.name}: {result.lost} posts answered 200 are not in the raw topic")
        if any(code not in (0, None) for code in result.exit_codes) or None in result.exit_codes:
            warnings.append(f"{result.name}: exit codes {result.exit_codes} after SIGTERM")
    for warning in warnings:
        print(f"WARNING {warning}")
    return warnings


# --------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S, help="seconds per scenario (10)")
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS, help="keep-alive connections (32)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="wrk threads (1)")
    parser.add_argument("--requests", type=int, default=None, help="distinct signed posts (default: 4,000 per s)")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS, help="raw topic partitions (4)")
    parser.add_argument("--stack", choices=["private", "local"], default="private", help="where Kafka runs")
    parser.add_argument("--embedded", action="store_true", help="also measure ingest inside the faust worker")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk is there")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to this path")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs, request file)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_wrk = wrk_available() and not args.python_client
    root = Path(tempfile.mkdtemp(prefix="cxpulse-ingest-bench-"))
    load_before = uptime()
    environment: Environment | None = None
    try:
        environment = (
            Environment.private_stack(root, args.partitions)
            if args.stack == "private"
            else Environment.local_stack(root, args.partitions, migrate=args.embedded)
        )
        token = secrets.token_hex(16)
        count = args.requests or max(MIN_REQUESTS, int(args.duration * REQUESTS_PER_RUN_SECOND))
        made = time.monotonic()
        requests_file = root / "requests.tsv"
        written = write_requests(
            requests_file,
            signed_message_posts(
                count, auth_token=token, public_url=PUBLIC_URL, simulator=environment.settings.simulator
            ),
        )
        made_s = time.monotonic() - made
        spec = LoadSpec(requests_file, args.duration, args.connections, args.threads, use_wrk)
        results = [
            run_bare(root, spec),
            run_ingest(environment, token, 1, spec),
            run_ingest(environment, token, 2, spec),
        ]
        if args.embedded:
            results.append(run_embedded(environment, token, spec))
    except Exception as exc:  # noqa: BLE001 - report and exit 2: the bench could not run
        print(f"ingest bench could not run: {type(exc).__name__}: {exc}\n(run directory: {root})", file=sys.stderr)
        return 2
    finally:
        if environment is not None:
            environment.close()
    client = (
        f"wrk ({args.threads} thread, {args.connections} connections, {args.duration:g} s per scenario)"
        if use_wrk
        else f"python-aiohttp, {args.connections} connections (wrk not used: figures are limited by the client)"
    )
    header = {
        "machine": f"{cores()} cores; at the start: {load_before}; at the end: {uptime()}",
        "stack": environment.label,
        "client": client,
        "requests": f"{written:,} distinct signed onMessageAdded posts (made in {made_s:.1f} s)",
    }
    report(results, header)
    if args.json is not None:
        payload = {
            "header": header,
            "results": [asdict(r) | {"accepted_per_s": r.load.accepted_per_s} for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    if args.keep:
        print(f"run directory kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if any(r.lost for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
