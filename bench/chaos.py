"""The fault-schedule harness: does the pipeline lose, duplicate or miscount anything when things break?

Run (from the repository root; 2 cores: the full run takes several minutes)::

    .venv/bin/python bench/chaos.py                          # 20,000 events at 150 ev/s, the full fault schedule
    .venv/bin/python bench/chaos.py --events 2000 --rate 100 # a quick run of the same schedule
    .venv/bin/python bench/chaos.py --no-faults --json /tmp/chaos.json

What it does, and why each choice:

* A **private stack** (Apache Kafka in KRaft mode + the chDB ClickHouse front) on free ports in a temporary state
  directory: the bench restarts the broker and takes ClickHouse down, which must never disturb a CI run or a
  developer on the default ports. One worker deployment (SLA stage on, QA off) runs on it as a subprocess, exactly as
  ``cxpulse worker`` runs in production.
* **Traffic**: ``--events`` signed simulator webhooks (interleaved conversations) posted at ``--rate`` per second
  by the wall clock. Their simulated timeline spans 30 minutes of conversation time (``--timeline-rate``), so that
  conversations get agent replies and closes and the SLA comparison has facts to compare, and begins two hours ago
  because the data-quality stage rejects timestamps in the future; the SLA window grace is an hour, longer than the
  span, so lateness plays no part (that is for the unit tests). A post that is
  not answered 200 (connection refused while the worker is dead, 503 while the broker is away) is retried like
  Twilio does - same idempotency token, ``RetryCount`` + 1, backoff - and counted; an event is *accepted* once
  answered 200. A conversation's next post waits for the previous one's answer, as the simulator does.
* **Faults**, each triggered when a share of the events has been accepted and run one after another while posting
  goes on: ``kill -9`` of the worker (its whole process group) and an immediate restart, a broker restart, the
  ClickHouse HTTP front down for ``--clickhouse-down-s``, and a second ``kill -9``. A fault waits until the previous
  one's recovery was measured, so a short run may have posted everything before the last faults fire: the report
  says which fault came after posting, and catch-up then counts from the end of the last fault's outage.
* **Accounting** after the last post: *stored* is ``events FINAL``; *lost* the accepted ids not stored; *duplicated*
  ``count()`` against ``uniqExact`` of the id in ``events``/``messages``/SLA tables ``FINAL``; *SLA facts exact*
  compares the stored responses, conversation facts and windows with the SLA stage's own pure model run over the
  events the stage consumed (its source topic, read back); *catch-up* is the time from the last accepted post until
  every accepted event is stored and the worker's group has committed the stage topics to their ends.
* **Per restart**: seconds from the new process's spawn until ingest answers, until ``/health/processing`` says 200
  and until the committed offsets of every stage topic advance again ("processing back"; the issue asks <= 10 s).

Exit status 1 when an event was lost or duplicated or an SLA fact is not exact; 2 when the bench itself could not
run. Warnings (slow restarts, a worker that needed SIGKILL on shutdown, unexpected worker exits) are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.run_report import run_and_report  # noqa: E402
from cxpulse.simulate import WebhookPost, generate_posts, sign, webhook_url  # noqa: E402
from cxpulse.urls import mask_url  # noqa: E402
from schemas import topics as names  # noqa: E402
from schemas.events import ConversationEvent  # noqa: E402

DEFAULT_EVENTS = 20_000
DEFAULT_RATE = 150.0
DEFAULT_SEED = 7
#: The issue's bound on "processing back" after a worker restart.
PROCESSING_BACK_TARGET_S = 10.0
#: The simulated timeline lies this far in the past: data quality rejects future timestamps.
TIMELINE_AGO = timedelta(hours=2)
#: Default simulated span of the traffic (``--timeline-rate`` auto): long enough for conversations to reach agent
#: replies and closes - the SLA comparison is vacuous otherwise (at 150 simulated events/s, 20,000 events cover
#: 136 s of conversation time: 22 response facts, no conversation fact) - and shorter than the window grace, so
#: no fact is late. Posting is by the wall clock at ``--rate`` whatever the simulated density.
TIMELINE_SPAN_S = 1800.0
#: Twilio gives a webhook 5 s; retries back off from 0.5 s up to 5 s between attempts.
WEBHOOK_TIMEOUT_S = 5.0
RETRY_BACKOFF_S = 0.5
RETRY_BACKOFF_MAX_S = 5.0
#: Shares of the events accepted before each fault fires (two kills, a broker restart, ClickHouse down).
FAULT_SCHEDULE: tuple[tuple[str, float], ...] = (
    ("kill_worker", 0.15),
    ("restart_broker", 0.35),
    ("clickhouse_down", 0.55),
    ("kill_worker", 0.75),
)
#: How long one fault's recovery is watched at most before the next fault may fire.
RECOVERY_WATCH_S = 240.0
_LOG_PATTERNS = {
    "error": re.compile(r"\bERROR\b|\[E\]|\bCRITICAL\b"),
    "traceback": re.compile(r"^Traceback"),
    "warning": re.compile(r"\bWARNING\b|\[W\]"),
    "skipped offsets": re.compile(r"skipped offsets", re.IGNORECASE),
}

FaultKind = Literal["kill_worker", "restart_broker", "clickhouse_down"]
#: topic -> partition -> offset.
Offsets = dict[str, dict[int, int]]


# --------------------------------------------------------------------------------------------------------
# Pure parts: the plan, the accounting and the report (unit-tested in tests/unit/bench/test_chaos.py)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultStep:
    """One fault of the schedule: what, and after how many accepted events it fires."""

    kind: FaultKind
    after_accepted: int
    hold_s: float = 0.0


def fault_plan(events: int, *, faults: bool = True, clickhouse_down_s: float = 30.0) -> list[FaultStep]:
    """The issue's schedule scaled to ``events``: thresholds on *accepted* events, so a fault never fires while
    the previous one still keeps ingest from accepting (the next fault waits for traffic to flow again)."""
    if not faults:
        return []
    plan: list[FaultStep] = []
    for kind, share in FAULT_SCHEDULE:
        hold = clickhouse_down_s if kind == "clickhouse_down" else 0.0
        plan.append(FaultStep(kind, max(1, int(events * share)), hold))  # type: ignore[arg-type]
    return plan


_VARYING = re.compile(r"^\S+ \S+ |0x[0-9a-f]+|[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?")


def log_signature(line: str) -> str:
    """A log line without its timestamp, numbers, addresses and ids: lines that differ only there are one kind."""
    return _VARYING.sub("#", line).strip()


def timeline_rate(events: int, requested: float | None) -> float:
    """Simulated events per second of conversation time: as requested, else spread over :data:`TIMELINE_SPAN_S`."""
    if requested is not None:
        return requested
    return max(1.0, events / TIMELINE_SPAN_S)


def topic_sums(offsets: Mapping[str, Mapping[int, int]]) -> dict[str, int]:
    """Per topic, the sum of its partitions' offsets (a never-committed partition, -1, counts as 0)."""
    return {topic: sum(max(o, 0) for o in parts.values()) for topic, parts in offsets.items()}


def first_advances(
    baseline: Mapping[str, int], samples: Sequence[tuple[float, Mapping[str, int]]]
) -> dict[str, float | None]:
    """For each topic of ``baseline``, the first sample time at which its committed sum exceeds the baseline:
    when that stage's consumer committed progress again after a fault (None: not yet)."""
    firsts: dict[str, float | None] = dict.fromkeys(baseline)
    for at, sums in samples:
        for topic, before in baseline.items():
            if firsts[topic] is None and sums.get(topic, -1) > before:
                firsts[topic] = at
    return firsts


def processing_back(advances: Mapping[str, float | None]) -> float | None:
    """Every stage moving again = the latest first advance; None while any stage has not moved."""
    if not advances or any(v is None for v in advances.values()):
        return None
    return max(v for v in advances.values() if v is not None)


def caught_up(committed: Mapping[str, Mapping[int, int]], ends: Mapping[str, Mapping[int, int]]) -> set[str]:
    """Topics whose every partition is committed up to its end offset (nothing left to process)."""
    behind = {key.rpartition("[")[0] for key in lagging(committed, ends)}
    return {topic for topic in ends if topic not in behind}


def lagging(committed: Mapping[str, Mapping[int, int]], ends: Mapping[str, Mapping[int, int]]) -> dict[str, int]:
    """``"topic[partition]" -> records not committed`` for every partition whose group offset is behind its end."""
    lag: dict[str, int] = {}
    for topic, parts in ends.items():
        for partition, end in parts.items():
            done = max(committed.get(topic, {}).get(partition, -1), 0)
            if end > done:
                lag[f"{topic}[{partition}]"] = end - done
    return lag


def lost_and_extra(accepted: set[str], stored: set[str]) -> tuple[list[str], list[str]]:
    """Accepted ids missing from storage (lost), and stored ids never answered 200 (sorted, for the report)."""
    return sorted(accepted - stored), sorted(stored - accepted)


@dataclass(frozen=True)
class SlaComparison:
    """One SLA table against the pure model: sizes and the rows on either side only."""

    table: str
    expected: int
    stored: int
    missing: int
    extra: int
    missing_sample: tuple[str, ...] = ()
    extra_sample: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return self.missing == 0 and self.extra == 0


def compare_sla(
    expected: Mapping[str, frozenset[tuple[Any, ...]]],
    stored: Mapping[str, frozenset[tuple[Any, ...]]],
    sample: int = 3,
) -> list[SlaComparison]:
    """Table by table, what the model says against what ClickHouse holds (rows compared whole)."""
    out: list[SlaComparison] = []
    for table, want in expected.items():
        got = stored.get(table, frozenset())
        missing, extra = want - got, got - want
        out.append(
            SlaComparison(
                table,
                len(want),
                len(got),
                len(missing),
                len(extra),
                tuple(str(r) for r in sorted(missing, key=str)[:sample]),
                tuple(str(r) for r in sorted(extra, key=str)[:sample]),
            )
        )
    return out


def sla_exact(comparisons: Sequence[SlaComparison]) -> bool:
    """Exact = every table equal to the model and the model not empty (an empty run proves nothing)."""
    return bool(comparisons) and all(c.exact and c.expected > 0 for c in comparisons)


@dataclass
class FaultRecord:
    """What one fault did and how long the pipeline took to recover (seconds; None = not within the watch)."""

    kind: FaultKind
    number: int
    at_s: float
    accepted_at_trigger: int
    #: Whether webhooks were still being posted when the fault fired (short runs end posting before late faults).
    during_posting: bool = True
    #: kill: kill -9 until respawn; broker: stop until healthy again; clickhouse: stop until /ping answers again.
    outage_s: float = 0.0
    #: Time origin of the following figures: the new worker's spawn (kill) or the service back (broker, clickhouse).
    measured_from: str = ""
    ingest_ready_s: float | None = None
    processing_health_s: float | None = None
    first_accept_s: float | None = None
    offsets_advance_s: dict[str, float | None] = field(default_factory=dict)
    processing_back_s: float | None = None
    rows_back_s: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ChaosReport:
    """Everything the run measured; printed as a table and written as JSON."""

    events: int
    rate: float
    seed: int
    partitions: int
    timeline_rate: float = 0.0
    timeline_span_s: float = 0.0
    conversations: int = 0
    faults_planned: list[str] = field(default_factory=list)
    stack_up_s: float = 0.0
    worker_start_s: float | None = None
    worker_processing_s: float | None = None
    posting_s: float = 0.0
    posted: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    gave_up: int = 0
    attempts: int = 0
    retries: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    stored: int | None = None
    stored_rows_unmerged: int | None = None
    lost: int | None = None
    lost_sample: list[str] = field(default_factory=list)
    stored_not_accepted: int | None = None
    duplicated: dict[str, int] = field(default_factory=dict)
    topic_records: dict[str, int] = field(default_factory=dict)
    sla: list[dict[str, Any]] = field(default_factory=list)
    sla_exact: bool | None = None
    sla_source_complete: bool | None = None
    sla_late_rejected: int | None = None
    catch_up_from: str = ""
    catch_up_s: float | None = None
    catch_up_stored_s: float | None = None
    catch_up_committed_s: float | None = None
    sla_converged_s: float | None = None
    all_committed_s: float | None = None
    lag_at_end: dict[str, int] = field(default_factory=dict)
    faults: list[FaultRecord] = field(default_factory=list)
    unexpected_exits: list[str] = field(default_factory=list)
    shutdown_s: float | None = None
    shutdown_needed_sigkill: bool | None = None
    log_counts: dict[str, int] = field(default_factory=dict)
    log_samples: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def failures(report: ChaosReport) -> list[str]:
    """What fails the run (exit 1): lost or duplicated events, inexact SLA facts, or a measurement that never
    completed (which would otherwise hide a loss)."""
    out: list[str] = []
    if report.lost is None:
        out.append("stored events could not be counted")
    elif report.lost:
        out.append(f"{report.lost} accepted events lost")
    out += [f"{n} duplicated rows in {table}" for table, n in sorted(report.duplicated.items()) if n]
    if report.sla_exact is not True:
        out.append("SLA facts not exact" if report.sla_exact is False else "SLA facts not compared")
    if report.accepted < report.posted:
        out.append(f"{report.posted - report.accepted} events never accepted (rejected or given up)")
    out += [f"bench error: {e}" for e in report.errors]
    return out


def warnings(report: ChaosReport, target_s: float = PROCESSING_BACK_TARGET_S) -> list[str]:
    """Findings that do not fail the run by the issue's definition but must be looked at."""
    out: list[str] = []
    for f in report.faults:
        if f.kind == "kill_worker" and (f.processing_back_s is None or f.processing_back_s > target_s):
            back = "never (within the watch)" if f.processing_back_s is None else f"{f.processing_back_s:.1f} s"
            out.append(f"restart #{f.number}: processing back after {back} (target <= {target_s:.0f} s)")
        out += [f"{f.kind} #{f.number}: {note}" for note in f.notes]
    if report.catch_up_s is None:
        out.append("catch-up did not complete within the timeout")
    if report.lag_at_end:
        out.append(f"committed offsets still behind at the end (records per partition): {report.lag_at_end}")
    if report.stored_not_accepted:
        out.append(f"{report.stored_not_accepted} stored events were never answered 200")
    out += [f"unexpected worker exit: {e}" for e in report.unexpected_exits]
    if report.shutdown_needed_sigkill:
        out.append(f"the worker did not stop on SIGTERM within {report.shutdown_s:.0f} s (SIGKILL)")
    return out


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


_KIND_LABEL = {
    "kill_worker": "kill -9 worker",
    "restart_broker": "broker restart",
    "clickhouse_down": "ClickHouse down",
}


def render(report: ChaosReport) -> str:
    """The final report as a two-column table plus one block per fault."""
    rows: list[tuple[str, str]] = []
    status_text = ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items()))
    rows.append(
        (
            "posted",
            f"{report.posted} events, {report.conversations} conversations in {_s(report.posting_s)} "
            f"(simulated timeline {report.timeline_span_s:.0f} s at {report.timeline_rate:g} events/s)",
        )
    )
    rows.append(
        ("accepted", f"{report.accepted}  (attempts {report.attempts}, retries {report.retries}; {status_text})")
    )
    if report.rejected or report.gave_up:
        rows.append(("not accepted", f"rejected {sum(report.rejected.values())}, given up {report.gave_up}"))
    stored = "-" if report.stored is None else str(report.stored)
    rows.append(("stored (events FINAL)", f"{stored}  (rows before merging: {report.stored_rows_unmerged})"))
    lost = "-" if report.lost is None else str(report.lost)
    rows.append(("lost", lost + (f"  e.g. {', '.join(report.lost_sample)}" if report.lost_sample else "")))
    rows.append(("stored, never answered 200", str(report.stored_not_accepted)))
    dup = ", ".join(f"{t} {n}" for t, n in sorted(report.duplicated.items())) or "-"
    rows.append(("duplicated (count - uniqExact)", f"{sum(report.duplicated.values())}  ({dup})"))
    rows.append(("records in topics", ", ".join(f"{t} {n}" for t, n in report.topic_records.items())))
    exact = {True: "yes", False: "NO", None: "-"}[report.sla_exact]
    sizes = ", ".join(f"{c['table']} {c['stored']}/{c['expected']}" for c in report.sla)
    rows.append(("SLA facts exact", f"{exact}  (stored/model: {sizes}; late_rejected {report.sla_late_rejected})"))
    for c in report.sla:
        if c["missing"] or c["extra"]:
            rows.append((f"  {c['table']}", f"missing {c['missing']} {list(c['missing_sample'])}"))
            rows.append(("", f"extra {c['extra']} {list(c['extra_sample'])}"))
    rows.append(
        (
            f"catch-up after {report.catch_up_from or 'the last post'}",
            f"{_s(report.catch_up_s)}  (all stored {_s(report.catch_up_stored_s)}, "
            f"stage offsets committed {_s(report.catch_up_committed_s)}; SLA exact {_s(report.sla_converged_s)}; "
            f"SLA offsets committed {_s(report.all_committed_s)})",
        )
    )
    rows.append(
        ("first worker start", f"ingest {_s(report.worker_start_s)}, processing {_s(report.worker_processing_s)}")
    )
    for f in report.faults:
        label = f"{_KIND_LABEL[f.kind]} #{f.number}"
        when = "while posting" if f.during_posting else "after posting ended"
        head = f"at {f.at_s:.0f} s {when} ({f.accepted_at_trigger} accepted), outage {_s(f.outage_s)}"
        rows.append((label, head))
        advances = ", ".join(f"{t.split('.')[-1]} {_s(v)}" for t, v in f.offsets_advance_s.items())
        detail = f"from {f.measured_from}: "
        if f.kind == "kill_worker":
            detail += f"ingest {_s(f.ingest_ready_s)}, /health/processing 200 {_s(f.processing_health_s)}, "
        detail += f"first 200 {_s(f.first_accept_s)}, "
        if f.kind == "clickhouse_down":
            detail += f"rows stored again {_s(f.rows_back_s)}, "
        detail += f"processing back {_s(f.processing_back_s)} ({advances})"
        rows.append(("", detail))
    shutdown = _s(report.shutdown_s) + (" (needed SIGKILL)" if report.shutdown_needed_sigkill else "")
    rows.append(("worker shutdown (SIGTERM)", shutdown))
    rows.append(("worker log lines", ", ".join(f"{k} {v}" for k, v in report.log_counts.items()) or "-"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    bad, warn = failures(report), warnings(report)
    lines += [f"WARNING: {w}" for w in warn]
    lines.append("verdict: " + ("PASS" if not bad else "FAIL - " + "; ".join(bad)))
    return "\n".join(lines)


def report_json(report: ChaosReport) -> str:
    payload = dataclasses.asdict(report)
    payload["failures"] = failures(report)
    payload["warnings"] = warnings(report)
    return json.dumps(payload, indent=2, default=str)


# --------------------------------------------------------------------------------------------------------
# Posting like Twilio: signed, paced, retried until answered 200
# --------------------------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """The sender's book, shared with the fault and progress threads (plain ints and sets: the GIL suffices)."""

    due: int = 0
    finished: int = 0
    in_flight: int = 0
    attempts: int = 0
    retries: int = 0
    accepted_ids: set[str] = field(default_factory=set)
    rejected: dict[str, int] = field(default_factory=dict)
    gave_up: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    started_at: float = 0.0
    last_accept_at: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


class Poster:
    """Posts at a fixed wall-clock rate; each conversation's posts in order, each retried until accepted.

    Only the HTTP attempt holds a concurrency slot, not the backoff sleep: during an outage thousands of
    conversations wait to retry, and new conversations must still be tried at their due time.
    """

    def __init__(
        self, target: str, public_url: str, token: str, ledger: Ledger, concurrency: int, give_up_s: float
    ) -> None:
        self.target = target
        self.public_url = public_url
        self.token = token
        self.ledger = ledger
        self.give_up_s = give_up_s
        self.slots = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self.queues: dict[str, deque[WebhookPost]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.client: httpx.AsyncClient | None = None

    async def run(self, posts: Sequence[WebhookPost], rate: float) -> None:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(timeout=httpx.Timeout(WEBHOOK_TIMEOUT_S), limits=limits) as client:
            self.client = client
            began = time.monotonic()
            self.ledger.started_at = began
            for i, post in enumerate(posts):
                delay = began + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                self.ledger.due += 1
                self._submit(post)
            while self.tasks:
                await asyncio.gather(*list(self.tasks))
        self.ledger.done.set()

    def _submit(self, post: WebhookPost) -> None:
        queue = self.queues.get(post.conversation_sid)
        if queue is not None:
            queue.append(post)
            return
        self.queues[post.conversation_sid] = deque([post])
        task = asyncio.create_task(self._drain(post.conversation_sid))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _drain(self, conversation_sid: str) -> None:
        queue = self.queues[conversation_sid]
        try:
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
        finally:
            del self.queues[conversation_sid]

    async def _deliver(self, post: WebhookPost) -> None:
        ledger = self.ledger
        deadline = time.monotonic() + self.give_up_s
        attempt = 0
        try:
            while True:
                if attempt:
                    ledger.retries += 1
                    await asyncio.sleep(min(RETRY_BACKOFF_S * 2 ** (attempt - 1), RETRY_BACKOFF_MAX_S))
                status, event_id = await self._attempt(post, attempt)
                ledger.statuses[status] += 1
                if status == "200":
                    ledger.accepted_ids.add(event_id or post.event_id)
                    ledger.last_accept_at = time.monotonic()
                    return
                if status.isdigit() and 400 <= int(status) < 500 and status not in ("408", "429"):
                    ledger.rejected[post.idempotency_token] = int(status)
                    return
                if time.monotonic() > deadline:
                    ledger.gave_up.add(post.idempotency_token)
                    return
                attempt += 1
        finally:
            ledger.finished += 1

    async def _attempt(self, post: WebhookPost, attempt: int) -> tuple[str, str | None]:
        """One signed request; ``(status or error class, event id when accepted)``. Retries carry the same
        idempotency token and ``RetryCount`` (and so a new signature), as Twilio's do."""
        assert self.client is not None
        if attempt:
            post = dataclasses.replace(post, form={**post.form, "RetryCount": str(attempt)})
        headers = sign(post, auth_token=self.token, base_url=self.public_url)
        async with self.slots:
            self.ledger.attempts += 1
            self.ledger.in_flight += 1
            try:
                response = await self.client.post(webhook_url(self.target, post.path), data=post.form, headers=headers)
            except httpx.TimeoutException:
                return "timeout", None
            except httpx.HTTPError:
                return "connection error", None
            finally:
                self.ledger.in_flight -= 1
        if response.status_code != 200:
            return str(response.status_code), None
        try:
            return "200", str(response.json()["event_id"])
        except (ValueError, KeyError):
            return "200", None


# --------------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------------


class ChaosRun:
    """Owns the deployment, the threads (faults, progress + supervision) and the report."""

    def __init__(self, args: argparse.Namespace) -> None:
        from bench.chaos_harness import ChaosDeployment

        self.args = args
        self.root = Path(tempfile.mkdtemp(prefix="cxpulse-chaos-"))
        self.deployment = ChaosDeployment.create(self.root, partitions=args.partitions)
        self.ledger = Ledger()
        self.plan = fault_plan(args.events, faults=not args.no_faults, clickhouse_down_s=args.clickhouse_down_s)
        self.report = ChaosReport(events=args.events, rate=args.rate, seed=args.seed, partitions=args.partitions)
        self.report.faults_planned = [f"{s.kind}@{s.after_accepted}" for s in self.plan]
        self.began = time.monotonic()
        self.phase = "starting"
        self.stop_progress = threading.Event()
        #: End of the last fault's outage (respawn, service back): catch-up counts from there if after the last post.
        self.faults_end = 0.0
        self.ch_down = threading.Event()

    # -- helpers ------------------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.began:7.1f}s] {text}", flush=True)

    def _probe(self, topics: Sequence[str]) -> Any:
        from bench.chaos_harness import OffsetProbe

        s = self.deployment.settings
        return OffsetProbe(s, s.worker.app_id, [s.topic(t) for t in topics], s.kafka.partitions)

    def _scalar(self, sql: str) -> Any:
        with self.deployment.clickhouse() as ch:
            return ch.query(sql).result_rows[0]

    def _stored_count(self) -> int | None:
        try:
            return int(self._scalar("SELECT count() FROM events FINAL")[0])
        except Exception:  # noqa: BLE001 - ClickHouse may be down on purpose
            return None

    # -- supervision and progress -------------------------------------------------------------------------
    def _supervise(self) -> None:
        """A worker that exits without the bench killing it is a finding; restart it as a supervisor would."""
        d = self.deployment
        with d.lock:
            if not d.workers or d.worker.alive():
                return
            worker = d.worker
            tail = worker.log_tail(15).replace("\n", " | ")
            note = f"worker {worker.index} exited with {worker.returncode()} at {time.monotonic() - self.began:.0f} s"
            self.report.unexpected_exits.append(f"{note}; log tail: {tail[-1500:]}")
            self.say(f"!! {note}; restarting it")
            d.spawn_worker()

    def _progress(self) -> None:
        last = 0.0
        while not self.stop_progress.wait(1.0):
            try:
                self._supervise()
            except Exception as exc:  # noqa: BLE001 - supervision must not kill the bench
                self.say(f"supervisor error: {exc!r}")
            if time.monotonic() - last < self.args.progress_interval:
                continue
            last = time.monotonic()
            lg = self.ledger
            stored = None if self.ch_down.is_set() else self._stored_count()
            self.say(
                f"{self.phase}: due {lg.due}/{self.args.events} accepted {len(lg.accepted_ids)} "
                f"waiting {lg.due - lg.finished} in-flight {lg.in_flight} retries {lg.retries} "
                f"stored {'?' if stored is None else stored}"
            )

    # -- faults -------------------------------------------------------------------------------------------
    def _faults(self) -> None:
        counts: Counter[str] = Counter()
        probe = self._probe([names.RAW, names.REDACTED, names.VALIDATED])
        try:
            for step in self.plan:
                while len(self.ledger.accepted_ids) < step.after_accepted and not self.ledger.done.is_set():
                    time.sleep(0.2)
                if self.ledger.done.is_set() and len(self.ledger.accepted_ids) < step.after_accepted:
                    self.report.errors.append(f"fault {step.kind} never fired: posting ended first")
                    continue
                counts[step.kind] += 1
                record = FaultRecord(
                    step.kind,
                    counts[step.kind],
                    time.monotonic() - self.began,
                    len(self.ledger.accepted_ids),
                    during_posting=not self.ledger.done.is_set(),
                )
                self.report.faults.append(record)
                action: Callable[[FaultStep, FaultRecord, Any], None] = {
                    "kill_worker": self._kill_worker,
                    "restart_broker": self._restart_broker,
                    "clickhouse_down": self._clickhouse_down,
                }[step.kind]
                try:
                    action(step, record, probe)
                except Exception as exc:  # noqa: BLE001 - record, keep the schedule going
                    record.notes.append(f"fault action failed: {exc!r}")
                    self.say(f"!! {step.kind} failed: {exc!r}\n{traceback.format_exc()}")
        finally:
            probe.close()
            self.phase = "posting" if not self.ledger.done.is_set() else "catch-up"

    def _committed_sums(self, probe: Any) -> dict[str, int] | None:
        committed = probe.committed()
        return None if committed is None else topic_sums(committed)

    def _watch(
        self,
        record: FaultRecord,
        since: float,
        probe: Any,
        baseline: dict[str, int],
        *,
        worker_restart: bool,
        rows_before: int | None = None,
    ) -> None:
        """Sample health, acceptance, committed offsets (and stored rows) until everything moved again.

        A stage with nothing left to do (posting over, its topic committed to the end) cannot "advance": it counts
        as back when first seen fully committed - for a restarted worker only once it has partitions, so a topic
        the dead worker had finished is not mistaken for the new one working. Such topics are named in the notes.
        """
        samples: list[tuple[float, Mapping[str, int]]] = []
        idle: dict[str, float] = {}
        deadline = since + RECOVERY_WATCH_S
        while time.monotonic() < deadline:
            now = time.monotonic()
            worker = self.deployment.worker
            if worker_restart and record.ingest_ready_s is None and worker.ingest_ready():
                record.ingest_ready_s = now - since
            if worker_restart and record.processing_health_s is None and worker.processing_ready():
                record.processing_health_s = now - since
            if record.first_accept_s is None and self.ledger.last_accept_at > since:
                record.first_accept_s = self.ledger.last_accept_at - since
            committed = probe.committed()
            ends = probe.ends() if committed is not None else None
            at = time.monotonic() - since
            if committed is not None:
                samples.append((at, topic_sums(committed)))
            advances = first_advances(baseline, samples)
            working = not worker_restart or record.processing_health_s is not None
            if committed is not None and ends is not None and working and self.ledger.done.is_set():
                for topic in caught_up(committed, ends):
                    if advances.get(topic) is None:
                        idle.setdefault(topic, at)
            record.offsets_advance_s = {t: idle.get(t) if v is None else v for t, v in advances.items()}
            record.processing_back_s = processing_back(record.offsets_advance_s)
            if rows_before is not None and record.rows_back_s is None:
                count = self._stored_count()
                if count is not None and count > rows_before:
                    record.rows_back_s = time.monotonic() - since
                elif count is not None and self.ledger.done.is_set() and count >= len(self.ledger.accepted_ids):
                    record.rows_back_s = time.monotonic() - since
                    record.notes.append("every accepted event was already stored: nothing left to store")
            settled = (
                record.processing_back_s is not None
                and (not worker_restart or record.processing_health_s is not None)
                and (record.first_accept_s is not None or self.ledger.done.is_set())
                and (rows_before is None or record.rows_back_s is not None)
            )
            if settled:
                break
            time.sleep(0.25)
        else:
            record.notes.append(f"recovery not complete after {RECOVERY_WATCH_S:.0f} s of watching")
        idle_used = sorted(t for t in idle if first_advances(baseline, samples).get(t) is None)
        if idle_used:
            record.notes.append(
                "nothing to process after posting ended on " + ", ".join(idle_used) + ": counted as back when "
                "seen committed to the end"
            )

    def _baseline(self, probe: Any, wait_s: float = 60.0) -> dict[str, int]:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            sums = self._committed_sums(probe)
            if sums is not None:
                return sums
            time.sleep(0.2)
        raise RuntimeError("committed offsets unreadable for a minute")

    def _kill_worker(self, step: FaultStep, record: FaultRecord, probe: Any) -> None:
        d = self.deployment
        self.phase = f"kill -9 worker #{record.number}"
        with d.lock:
            killed_at = time.monotonic()
            old = d.worker
            old.kill()
            new = d.spawn_worker()
        record.outage_s = new.started_at - killed_at
        self.faults_end = new.started_at
        record.measured_from = "respawn"
        self.phase = f"kill -9 worker #{record.number}: recovering"
        self.say(f"killed worker {old.index} (pid {old.pid}) with SIGKILL; spawned worker {new.index} (pid {new.pid})")
        baseline = self._baseline(probe)  # nobody commits now: the old worker is dead, the new one not yet up
        self._watch(record, new.started_at, probe, baseline, worker_restart=True)
        self.say(
            f"worker {new.index}: ingest {_s(record.ingest_ready_s)}, "
            f"processing health {_s(record.processing_health_s)}, "
            f"processing back {_s(record.processing_back_s)}"
        )
        self.phase = "posting"

    def _restart_broker(self, step: FaultStep, record: FaultRecord, probe: Any) -> None:
        kafka = self.deployment.stack.kafka
        self.phase = "broker restart"
        stopped_at = time.monotonic()
        kafka.down()
        self.say(f"broker stopped in {time.monotonic() - stopped_at:.1f} s; starting it again")
        kafka.up()
        back = time.monotonic()
        self.faults_end = back
        record.outage_s = back - stopped_at
        record.measured_from = "broker healthy"
        self.phase = "broker restart: recovering"
        self.say(f"broker healthy again after {record.outage_s:.1f} s")
        # The baseline is read once the broker answers: before the stop, the worker could still commit.
        baseline = self._baseline(probe)
        self._watch(record, back, probe, baseline, worker_restart=False)
        self.say(f"after broker restart: first 200 {_s(record.first_accept_s)}, back {_s(record.processing_back_s)}")
        self.phase = "posting"

    def _clickhouse_down(self, step: FaultStep, record: FaultRecord, probe: Any) -> None:
        clickhouse = self.deployment.stack.clickhouse
        self.phase = f"ClickHouse down {step.hold_s:.0f} s"
        rows_before = self._stored_count()
        stopped_at = time.monotonic()
        self.ch_down.set()
        clickhouse.down()
        self.say(f"ClickHouse front stopped ({rows_before} events stored); holding it down {step.hold_s:.0f} s")
        time.sleep(max(0.0, stopped_at + step.hold_s - time.monotonic()))
        clickhouse.up()
        self.ch_down.clear()
        back = time.monotonic()
        self.faults_end = back
        record.outage_s = back - stopped_at
        record.measured_from = "ClickHouse answering"
        self.phase = "ClickHouse back: recovering"
        baseline = self._baseline(probe)
        self._watch(record, back, probe, baseline, worker_restart=False, rows_before=self._stored_count())
        self.say(f"ClickHouse back after {record.outage_s:.1f} s; rows stored again {_s(record.rows_back_s)}")
        self.phase = "posting"

    # -- catch-up and accounting --------------------------------------------------------------------------
    def _stored_ids(self) -> set[str]:
        with self.deployment.clickhouse() as ch:
            return {str(r[0]) for r in ch.query("SELECT event_id FROM events FINAL").result_rows}

    def _catch_up(self, last_post: float) -> None:
        """Until every accepted event is stored and the stage topics are committed to their ends."""
        self.phase = "catch-up"
        accepted = self.ledger.accepted_ids
        probe = self._probe([names.RAW, names.REDACTED, names.VALIDATED])
        deadline = time.monotonic() + self.args.catchup_timeout
        try:
            while time.monotonic() < deadline:
                now = time.monotonic()
                if self.report.catch_up_stored_s is None:
                    count = self._stored_count()
                    if count is not None and count >= len(accepted) and accepted <= self._stored_ids():
                        self.report.catch_up_stored_s = now - last_post
                if self.report.catch_up_committed_s is None:
                    committed, ends = probe.committed(), probe.ends()
                    if committed is not None and ends is not None and not lagging(committed, ends):
                        self.report.catch_up_committed_s = now - last_post
                if self.report.catch_up_stored_s is not None and self.report.catch_up_committed_s is not None:
                    self.report.catch_up_s = max(self.report.catch_up_stored_s, self.report.catch_up_committed_s)
                    self.say(f"caught up {self.report.catch_up_s:.1f} s after the last accepted post")
                    return
                time.sleep(0.5)
            self.say("catch-up timed out")
        finally:
            probe.close()

    def _sla_converge(self, last_post: float) -> None:
        """Compare until the stored SLA rows equal the model over the stage's source, or the timeout."""
        from bench.chaos_harness import SLA_GRACE_S, read_topic
        from bench.sla_reference import expected_sla, stored_sla

        self.phase = "SLA convergence"
        d = self.deployment
        accepted = self.ledger.accepted_ids
        deadline = time.monotonic() + self.args.sla_timeout
        comparisons: list[SlaComparison] = []
        stored = None
        while True:
            values = read_topic(d.settings, d.sla_source_topic())
            events = [ConversationEvent.from_json(v) for v in values]
            complete = accepted <= {e.event_id for e in events}
            expected = expected_sla(d.settings, events, grace_s=SLA_GRACE_S)
            with d.clickhouse() as ch:
                stored = stored_sla(ch)
            comparisons = compare_sla(expected.as_dict(), stored.as_dict())
            self.report.sla_source_complete = complete
            if complete and sla_exact(comparisons):
                self.report.sla_converged_s = time.monotonic() - last_post
                self.say(f"SLA facts exact {self.report.sla_converged_s:.1f} s after the last accepted post")
                break
            if time.monotonic() > deadline:
                self.say("SLA facts did not converge to the model before the timeout")
                break
            time.sleep(5.0)
        self.report.sla = [dataclasses.asdict(c) for c in comparisons]
        self.report.sla_exact = self.report.sla_source_complete is True and sla_exact(comparisons)
        self.report.sla_late_rejected = None if stored is None else sum(int(r[-1]) for r in stored.windows)

    def _settle(self, last_post: float) -> None:
        """Wait (up to ``--settle-timeout``) for the group to commit every stage and SLA topic to its end.

        The data can be complete while offsets are not: faust commits on an interval, and after a kill -9 it was
        seen to keep processing a partition without committing it. Offsets left behind mean reprocessing at the
        next restart (harmless only because everything downstream is idempotent), so they are reported.
        """
        from bench.chaos_harness import SLA_TOPICS, STAGE_TOPICS

        self.phase = "offsets settling"
        probe = self._probe([*STAGE_TOPICS, *SLA_TOPICS])
        deadline = time.monotonic() + self.args.settle_timeout
        try:
            while True:
                committed, ends = probe.committed(), probe.ends()
                if committed is not None and ends is not None:
                    self.report.lag_at_end = lagging(committed, ends)
                    if not self.report.lag_at_end:
                        self.report.all_committed_s = time.monotonic() - last_post
                        self.say(f"every stage and SLA topic committed {self.report.all_committed_s:.1f} s after it")
                        return
                if time.monotonic() > deadline:
                    self.say(f"offsets still behind after {self.args.settle_timeout:.0f} s: {self.report.lag_at_end}")
                    return
                time.sleep(1.0)
        finally:
            probe.close()

    def _account(self) -> None:
        r, lg = self.report, self.ledger
        r.posted = len(lg.accepted_ids) + len(lg.rejected) + len(lg.gave_up)
        r.accepted = len(lg.accepted_ids)
        r.rejected = dict(Counter(str(s) for s in lg.rejected.values()))
        r.gave_up = len(lg.gave_up)
        r.attempts, r.retries, r.statuses = lg.attempts, lg.retries, dict(lg.statuses)
        with self.deployment.clickhouse() as ch:

            def one(sql: str) -> tuple[Any, ...]:
                return tuple(ch.query(sql).result_rows[0])

            stored, distinct = one("SELECT count(), uniqExact(event_id) FROM events FINAL")
            r.stored = int(stored)
            r.stored_rows_unmerged = int(one("SELECT count() FROM events")[0])
            checks = {
                "events": (int(stored), int(distinct)),
                "messages": one("SELECT count(), uniqExact(message_sid) FROM messages FINAL"),
                "responses": one("SELECT count(), uniqExact(response_id) FROM responses FINAL"),
                "sla_conversations": one("SELECT count(), uniqExact(conversation_sid) FROM sla_conversations FINAL"),
                "sla_windows": one(
                    "SELECT count(), uniqExact(window, channel, queue, window_start) FROM sla_windows FINAL"
                ),
            }
            r.duplicated = {t: int(c) - int(u) for t, (c, u) in checks.items()}
        lost, extra = lost_and_extra(lg.accepted_ids, self._stored_ids())
        r.lost, r.lost_sample, r.stored_not_accepted = len(lost), lost[:5], len(extra)
        counted = self._probe([names.RAW, names.REDACTED, names.VALIDATED, names.REDACTION_DLQ, names.DLQ])
        try:
            ends = counted.ends()
        finally:
            counted.close()
        r.topic_records = {} if ends is None else {t: sum(p.values()) for t, p in ends.items()}

    def _scan_logs(self) -> None:
        """Count error/warning lines of every worker; list each distinct error once (with how often it came),
        because one outage repeats the same line hundreds of times and would hide the other ones."""
        counts: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        first: dict[str, str] = {}
        for worker in self.deployment.workers:
            for line in worker.log_text().splitlines():
                for label, pattern in _LOG_PATTERNS.items():
                    if not pattern.search(line):
                        continue
                    counts[label] += 1
                    if label != "warning":
                        key = log_signature(line)
                        kinds[key] += 1
                        first.setdefault(key, f"worker-{worker.index}: {line[:300]}")
        self.report.log_counts = dict(counts)
        self.report.log_samples = [f"{n:5d} x {first[key]}" for key, n in kinds.most_common(25)]

    # -- the whole run ------------------------------------------------------------------------------------
    def run(self) -> ChaosReport:
        args, d = self.args, self.deployment
        self.say(
            f"state dir {self.root}; private stack on {mask_url(d.settings.kafka.bootstrap_servers)} / "
            f"{mask_url(d.settings.clickhouse.url)}; ingest {d.ingest_url}"
        )
        started = time.monotonic()
        d.up()
        self.report.stack_up_s = time.monotonic() - started
        self.say(f"stack up in {self.report.stack_up_s:.1f} s; topics and tables created")
        start = datetime.now(UTC) - TIMELINE_AGO
        density = timeline_rate(args.events, args.timeline_rate)
        source = generate_posts(seed=args.seed, settings=d.settings.simulator, start=start, events_per_s=density)
        posts = list(itertools.islice(source, args.events))
        self.report.conversations = len({p.conversation_sid for p in posts})
        self.report.timeline_rate = density
        first, last = posts[0].occurred_at, posts[-1].occurred_at
        if first is not None and last is not None:
            self.report.timeline_span_s = (last - first).total_seconds()
            if last > datetime.now(UTC):
                raise RuntimeError("the simulated timeline reaches into the future: raise --timeline-rate")
        worker = d.spawn_worker()
        self.report.worker_start_s = worker.wait_ingest_ready()
        while not worker.processing_ready():
            if time.monotonic() - worker.started_at > 240:
                raise RuntimeError("the first worker never got partitions assigned")
            time.sleep(0.25)
        self.report.worker_processing_s = time.monotonic() - worker.started_at
        self.say(
            f"worker ready: ingest {self.report.worker_start_s:.1f} s, processing {self.report.worker_processing_s:.1f}"
            f" s; posting {len(posts)} events ({self.report.conversations} conversations) at {args.rate:g}/s; "
            f"faults: {', '.join(self.report.faults_planned) or 'none'}"
        )
        self.phase = "posting"
        progress = threading.Thread(target=self._progress, name="chaos-progress", daemon=True)
        faults = threading.Thread(target=self._faults, name="chaos-faults", daemon=True)
        progress.start()
        faults.start()
        poster = Poster(
            d.ingest_url, d.settings.public_url, d.auth_token, self.ledger, args.concurrency, args.give_up_s
        )
        asyncio.run(poster.run(posts, args.rate))
        self.report.posting_s = time.monotonic() - self.ledger.started_at
        self.say(f"posting done in {self.report.posting_s:.1f} s; waiting for the last fault to finish")
        faults.join()
        # Catch-up counts from the last accepted post - or from the end of the last fault's outage when a (short)
        # run posted everything before the schedule was through.
        last_post = self.ledger.last_accept_at or time.monotonic()
        self.report.catch_up_from = "the last post"
        if self.faults_end > last_post:
            last_post = self.faults_end
            self.report.catch_up_from = "the last fault (after the last post)"
        try:
            self._catch_up(last_post)
            self._sla_converge(last_post)
            self._settle(last_post)
            self._account()
        finally:
            self.stop_progress.set()
            progress.join()
        return self.report

    def close(self) -> None:
        """Stop the worker (timing SIGTERM), then the private stack; remove the state unless ``--keep``."""
        d = self.deployment
        if d.workers and d.worker.alive():
            self.say("stopping the worker with SIGTERM")
            self.report.shutdown_s, self.report.shutdown_needed_sigkill = d.worker.stop(self.args.shutdown_grace_s)
            self.say(
                f"worker stopped in {self.report.shutdown_s:.1f} s"
                + (" after SIGKILL" if self.report.shutdown_needed_sigkill else "")
            )
        for worker in d.workers:
            worker.kill()
        self._scan_logs()
        with contextlib.suppress(Exception):
            d.down()
        if self.args.keep:
            self.say(f"state kept in {self.root} (worker logs worker-N.log, service logs state/logs/)")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="signed events to post (default 20000)")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="events per second (default 150)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator seed (default 7)")
    parser.add_argument(
        "--timeline-rate",
        type=float,
        default=None,
        help="simulated events per second of conversation time (default: the events spread over 30 simulated min)",
    )
    parser.add_argument("--partitions", type=int, default=4, help="partitions per topic (default 4)")
    parser.add_argument("--no-faults", action="store_true", help="the same run without any fault (a baseline)")
    parser.add_argument("--clickhouse-down-s", type=float, default=30.0, help="ClickHouse outage (default 30 s)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight at most (default 16)")
    parser.add_argument("--give-up-s", type=float, default=900.0, help="stop retrying a post after this long")
    parser.add_argument("--catchup-timeout", type=float, default=600.0, help="catch-up wait at most (default 600 s)")
    parser.add_argument("--sla-timeout", type=float, default=300.0, help="SLA convergence wait (default 300 s)")
    parser.add_argument("--settle-timeout", type=float, default=90.0, help="wait for offsets to be committed")
    parser.add_argument("--shutdown-grace-s", type=float, default=60.0, help="SIGTERM grace before SIGKILL")
    parser.add_argument("--progress-interval", type=float, default=10.0, help="seconds between progress lines")
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON to this path")
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs, data) for inspection")
    args = parser.parse_args(argv)
    if args.events < 1 or args.rate <= 0 or args.concurrency < 1 or args.partitions < 1:
        parser.error("--events, --rate, --concurrency and --partitions must be positive")
    if args.timeline_rate is not None and args.timeline_rate <= 0:
        parser.error("--timeline-rate must be positive")
    return args


def _print_log_samples(report: ChaosReport) -> None:
    if report.log_samples:
        print("\nworker log errors, each kind once (count x first occurrence):")
        print("\n".join(f"  {line}" for line in report.log_samples))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = ChaosRun(args)
    code = run_and_report(run, render, report_json, args.json, after_render=_print_log_samples)
    if code:
        return code
    return 1 if failures(run.report) else 0


if __name__ == "__main__":
    sys.exit(main())
