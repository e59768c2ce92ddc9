"""End-to-end throughput: a burst of signed webhooks through every stage, against a bare faust pass-through.

Run (from the repository root; the lead's measurement needs a quiet machine, a smoke run does not)::

    .venv/bin/python bench/pipeline_throughput.py                         # 30,000 events, 4 partitions, 1 worker
    .venv/bin/python bench/pipeline_throughput.py --events 2000 --json /tmp/tp.json   # a smoke run
    .venv/bin/python bench/pipeline_throughput.py --workers 2 --partitions 8

What it does, and why each choice:

* A **private stack** (the chaos bench's harness, ``bench/chaos_harness.py``: Kafka with SCRAM + ACLs and the chDB
  ClickHouse front on free ports in a temporary state dir), ``--ingest-processes`` ``cxpulse ingest`` processes (0:
  each worker serves ingest) and ``--workers`` cxpulse workers with **every stage on**: redaction (Presidio pool),
  data quality, the ClickHouse sinks, SLA and the QA sampler.
* **Traffic**: ``--events`` realistic simulator webhooks (conversations with customers, bots and agents, participants,
  state changes, receipts, PII), signed and rendered to bytes *before* the clock starts (``bench/webhook_load.py``:
  signing while posting caps a Python client near 200 requests/s). A short warm-up burst goes first
  (``--warmup-events``, first calls of every stage) and is waited out; then the measured burst is posted over
  ``--concurrency`` keep-alive connections as fast as ingest answers, like Twilio delivering a backlog. Every request
  is retried on 5xx/timeouts like Twilio; *accepted* means answered 200 (after Kafka acknowledged it).
* **Caught up** (the same definition as ``bench/chaos.py``): every topic the worker group consumes is committed to its
  end offset, and ClickHouse ``events`` / ``messages`` / ``conversations`` (``FINAL``) hold exactly the rows the
  accepted events make (computed with ingest's own converter and the sink's own row functions). Offsets and counts
  are sampled every ``SAMPLE_INTERVAL_S`` / ``CLICKHOUSE_INTERVAL_S``; a condition counts from the first sample of a
  run of samples where it held for ``STABLE_S`` (windows and commits flush on timers, so a single sample could lie).
* **Per stage** (:data:`STAGES`, a graph: each stage names the stages it reads from): a stage is caught up when
  its input topics and those of every stage upstream of it are committed to their ends. *Behind its inputs* is how
  much later that happened than for the latest of its upstream stages (for redaction: than the end of posting). The
  **bottleneck** is the stage (ingest included, its share being the posting time) that added the most time along
  the way. Peak backlog (the most records its input topics had uncommitted at one sample) is printed too, but it is
  not the criterion: a burst faster than every stage piles up in front of the first one whatever is slowest.
* **End to end** = accepted events / seconds from the first post until everything above was caught up.
* **Baseline**: the workers are stopped, then the same records (read back from the raw topic, same keys and partitions)
  go through ``bench/bare_faust.py`` - a faust agent that only passes records from one topic to another, same broker,
  partitions, credentials, acks and commit interval - produced as one burst while it runs; its time is from the first
  record produced until its group committed everything and the output topic holds every record. Ratio = cxpulse end
  to end / bare. The bare path has no HTTP ingest, so the ratio also charges ingest to cxpulse: it is the issue's
  question ("how far from what faust itself can do is the whole product?"), not a per-stage overhead.

Targets from the throughput issue: >= 2,000 events/s end to end and >= 0.5 x the bare pass-through; both are printed
with whether they were met. ``uptime`` is printed at the start and the end: a loaded machine makes every figure lower.
Exit status 0 when the run completed (targets missed are findings, not errors), 1 when events were lost or never
caught up, 2 when the bench itself failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chaos import TIMELINE_AGO, timeline_rate  # noqa: E402
from bench.chaos_harness import SLA_TOPICS, add_ingest_processes_argument  # noqa: E402
from bench.machine import cores, uptime  # noqa: E402
from bench.run_report import run_and_report  # noqa: E402
from bench.webhook_load import LoadResult, SignedRequest, post_burst, sign_all  # noqa: E402
from cxpulse.settings import Settings  # noqa: E402
from cxpulse.simulate import generate_posts  # noqa: E402
from cxpulse.urls import mask_url  # noqa: E402
from schemas import topics as names  # noqa: E402

DEFAULT_EVENTS = 30_000
DEFAULT_WARMUP_EVENTS = 300
DEFAULT_PARTITIONS = 4
DEFAULT_WORKERS = 1
DEFAULT_CONCURRENCY = 64
DEFAULT_SEED = 11
#: The throughput issue's targets.
TARGET_EVENTS_PER_S = 2_000.0
TARGET_RATIO = 0.5
#: Offsets are sampled this often (the resolution of every catch-up time; faust commits every ~1 s on top).
SAMPLE_INTERVAL_S = 0.25
#: ClickHouse counts of the core tables are sampled this often (FINAL counts: cheap, but the front shares the
#: machine with the sinks; the SLA/QA tables are counted once at the end).
CLICKHOUSE_INTERVAL_S = 1.0
#: A condition is "reached" once it held this long: longer than faust's commit interval and the SLA window flush.
STABLE_S = 3.0
DEFAULT_CATCHUP_TIMEOUT_S = 900.0
DEFAULT_PROGRESS_INTERVAL_S = 5.0
WORKER_PROCESSING_TIMEOUT_S = 240.0
WORKER_STOP_GRACE_S = 60.0
_POLL_S = 0.25


@dataclass(frozen=True)
class Stage:
    """One stage of the worker: the topics its consumers read (base names) and the stages that write them."""

    name: str
    topics: tuple[str, ...]
    upstream: tuple[str, ...] = ()


#: The pseudo-stage before every other: HTTP → raw topic; its time is the posting time.
INGEST = "ingest"
#: The worker's consumers in data-flow order. ``cx.events.validated`` feeds three consumers of one group (core sink,
#: SLA, QA): faust commits a record once all three acknowledged it, so they are one stage here.
STAGES: tuple[Stage, ...] = (
    Stage("redaction", (names.RAW,)),
    Stage("redaction audit sink", (names.REDACTION_AUDIT,), ("redaction",)),
    Stage("data quality", (names.REDACTED,), ("redaction",)),
    Stage("data-quality results sink", (names.DQ_RESULTS,), ("data quality",)),
    Stage("core sink + SLA + QA (validated)", (names.VALIDATED,), ("data quality",)),
    Stage("SLA facts, windows + sinks", SLA_TOPICS, ("core sink + SLA + QA (validated)",)),
    Stage("QA samples sink", (names.QA_SAMPLES,), ("SLA facts, windows + sinks",)),
    Stage(
        "dead-letter sinks",
        (names.REDACTION_DLQ, names.DLQ, names.SINK_DLQ),
        ("redaction audit sink", "data-quality results sink", "QA samples sink"),
    ),
)
#: Core tables whose exact row counts (FINAL) the run expects, and the SLA/QA tables it reports.
CORE_TABLES = ("events", "messages", "conversations")
REPORTED_TABLES = ("responses", "sla_conversations", "sla_windows", "qa_samples", "dq_results", "redaction_audit")
#: Dead-letter topics: their records are accepted events that will not be in ``events``.
DEAD_LETTER_TOPICS = (names.REDACTION_DLQ, names.DLQ)

#: topic -> records not yet committed by the group (summed over partitions).
Lags = dict[str, int]


# --------------------------------------------------------------------------------------------------------
# Pure parts (unit-tested in tests/unit/bench/test_pipeline_throughput.py)
# --------------------------------------------------------------------------------------------------------


def topic_lags(committed: Mapping[str, Mapping[int, int]], ends: Mapping[str, Mapping[int, int]]) -> Lags:
    """Per topic, the records between the group's committed offset and the end (a never-committed partition, -1,
    lags by its whole end)."""
    return {
        topic: sum(max(0, end - max(committed.get(topic, {}).get(p, -1), 0)) for p, end in parts.items())
        for topic, parts in ends.items()
    }


def first_stable(points: Sequence[tuple[float, bool]], *, after: float, stable_s: float) -> float | None:
    """The earliest time ``t >= after`` at which the condition holds and keeps holding at every later point up to
    ``t + stable_s``; None until the points show it held that long (a condition seen once is not yet reached)."""
    start: float | None = None
    for at, ok in sorted(points, key=lambda p: p[0]):
        if at < after:
            continue
        if not ok:
            start = None
            continue
        if start is None:
            start = at
        if at - start >= stable_s:
            return start
    return None


def upstream_topics(stages: Sequence[Stage]) -> dict[str, tuple[str, ...]]:
    """Per stage, its own topics and those of every stage upstream of it (stages must come after their inputs)."""
    out: dict[str, tuple[str, ...]] = {}
    for stage in stages:
        topics = list(stage.topics)
        for name in stage.upstream:
            topics += [t for t in out[name] if t not in topics]
        out[stage.name] = tuple(topics)
    return out


def stage_catch_up(
    samples: Sequence[tuple[float, Lags]], stages: Sequence[Stage], *, after: float, stable_s: float
) -> dict[str, float | None]:
    """Per stage, when it and everything upstream of it had nothing left uncommitted (see :func:`first_stable`)."""
    out: dict[str, float | None] = {}
    for name, topics in upstream_topics(stages).items():
        points = [(at, all(lags.get(t, 0) == 0 for t in topics)) for at, lags in samples]
        out[name] = first_stable(points, after=after, stable_s=stable_s)
    return out


def time_added(
    stages: Sequence[Stage], caught_up: Mapping[str, float | None], *, posting_end: float
) -> dict[str, float | None]:
    """Per stage, how much later it caught up than the latest of its inputs (the first stage's input is ingest,
    done at ``posting_end``); None when it or an input never caught up."""
    out: dict[str, float | None] = {}
    for stage in stages:
        mine = caught_up.get(stage.name)
        inputs = [caught_up.get(u) for u in stage.upstream] if stage.upstream else [posting_end]
        if mine is None or any(i is None for i in inputs):
            out[stage.name] = None
        else:
            out[stage.name] = max(0.0, mine - max(i for i in inputs if i is not None))
    return out


def peak_backlogs(
    samples: Sequence[tuple[float, Lags]], stages: Sequence[Stage], *, since: float
) -> dict[str, tuple[int, float | None]]:
    """Per stage, the largest backlog its own input topics had at one sample from ``since`` on, and when."""
    out: dict[str, tuple[int, float | None]] = {}
    for stage in stages:
        peak, when = 0, None
        for at, lags in samples:
            if at < since:
                continue
            backlog = sum(lags.get(t, 0) for t in stage.topics)
            if backlog > peak:
                peak, when = backlog, at
        out[stage.name] = (peak, when)
    return out


def bottleneck(added: Mapping[str, float | None]) -> str | None:
    """The stage that added the most time (ingest included); None when nothing is known."""
    known = {name: t for name, t in added.items() if t is not None}
    return max(known, key=lambda name: known[name]) if known else None


@dataclass(frozen=True)
class RowKeys:
    """Which core-table rows one event makes: its message's and its conversation's key (None: no row there)."""

    event_id: str
    message_sid: str | None
    conversation_sid: str | None


def expected_counts(keys: Iterable[RowKeys]) -> dict[str, int]:
    """Rows ``events`` / ``messages`` / ``conversations`` must hold (FINAL) for these events: one per event id,
    one per message and conversation that some event writes a row for."""
    keys = list(keys)
    return {
        "events": len({k.event_id for k in keys}),
        "messages": len({k.message_sid for k in keys if k.message_sid}),
        "conversations": len({k.conversation_sid for k in keys if k.conversation_sid}),
    }


def counts_match(stored: Mapping[str, int], expected: Mapping[str, int]) -> bool:
    """Every expected table holds exactly the expected count."""
    return all(stored.get(table) == count for table, count in expected.items())


def rate(count: int, seconds: float | None) -> float | None:
    """``count / seconds``; None when the time is unknown or not positive."""
    return None if seconds is None or seconds <= 0 else count / seconds


def targets(e2e: float | None, bare: float | None) -> dict[str, Any]:
    """The issue's two targets: value, target and whether met (None: not measured)."""
    ratio = None if e2e is None or bare is None or bare <= 0 else e2e / bare
    return {
        "end_to_end_events_per_s": {
            "value": e2e,
            "target": TARGET_EVENTS_PER_S,
            "met": None if e2e is None else e2e >= TARGET_EVENTS_PER_S,
        },
        "ratio_to_bare": {
            "value": ratio,
            "target": TARGET_RATIO,
            "met": None if ratio is None else ratio >= TARGET_RATIO,
        },
    }


# --------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------


@dataclass
class StageFigures:
    name: str
    topics: list[str]
    caught_up_s: float | None
    behind_inputs_s: float | None
    peak_backlog: int
    peak_at_s: float | None
    records: int


@dataclass
class ThroughputReport:
    events: int
    partitions: int
    workers: int
    concurrency: int
    seed: int
    cores: int = 0
    #: ``cxpulse ingest`` processes in front of the workers; 0 = ingest inside each worker.
    ingest_processes: int = 0
    uptime_start: str = ""
    uptime_end: str = ""
    stack_up_s: float = 0.0
    prepare_s: float = 0.0
    workers_ready_s: float | None = None
    warmup_events: int = 0
    warmup_caught_up_s: float | None = None
    conversations: int = 0
    posted: int = 0
    accepted: int = 0
    not_accepted: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    posting_s: float | None = None
    ingest_events_per_s: float | None = None
    poster_cpu_s: float | None = None
    stages: list[StageFigures] = field(default_factory=list)
    clickhouse_caught_up_s: float | None = None
    caught_up_s: float | None = None
    end_to_end_events_per_s: float | None = None
    bottleneck: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    worker_stop_s: list[float] = field(default_factory=list)
    bare: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _r(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ev/s"


def _met(entry: Mapping[str, Any]) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[entry["met"]]


def render(report: ThroughputReport) -> str:
    """The report as a two-column table, then one line per stage and the targets."""
    rows: list[tuple[str, str]] = [
        ("machine", f"{report.cores} cores; start: {report.uptime_start}"),
        ("", f"end:   {report.uptime_end}"),
        (
            "run",
            f"{report.events} events ({report.conversations} conversations), {report.partitions} partitions, "
            f"{report.workers} worker(s), {report.ingest_processes or 'no'} separate ingest process(es), "
            f"{report.concurrency} connections; warm-up {report.warmup_events} events "
            f"(caught up {_s(report.warmup_caught_up_s)})",
        ),
        ("accepted", f"{report.accepted}/{report.posted} (retries {report.retries}; statuses {report.statuses})"),
        (
            "ingest",
            f"all answered in {_s(report.posting_s)} = {_r(report.ingest_events_per_s)} "
            f"(poster CPU {_s(report.poster_cpu_s)})",
        ),
    ]
    for stage in report.stages:
        rows.append(
            (
                f"  {stage.name}",
                f"caught up {_s(stage.caught_up_s)} (+{_s(stage.behind_inputs_s)} after its inputs); "
                f"peak backlog {stage.peak_backlog:,}"
                + (f" at {stage.peak_at_s:.1f} s" if stage.peak_at_s is not None else "")
                + f"; {stage.records:,} records in",
            )
        )
    counts = ", ".join(f"{t} {report.counts.get(t, '-')}/{n}" for t, n in report.expected.items())
    rows.append(("ClickHouse (stored/expected)", f"{counts}; caught up {_s(report.clickhouse_caught_up_s)}"))
    others = ", ".join(f"{t} {report.counts[t]}" for t in REPORTED_TABLES if t in report.counts)
    rows.append(("  SLA / QA / audit rows", others or "-"))
    dup = ", ".join(f"{t} {n}" for t, n in report.duplicated.items() if n) or "none"
    rows.append(("duplicated rows", dup + f"; dead-lettered events {report.dead_letters}"))
    rows.append(("bottleneck (most time added)", report.bottleneck or "-"))
    rows.append(
        ("cxpulse end to end", f"{_r(report.end_to_end_events_per_s)} (all caught up {_s(report.caught_up_s)})")
    )
    bare = report.bare
    if bare:
        rows.append(
            (
                "bare faust pass-through",
                f"{_r(bare.get('events_per_s'))}: {bare.get('records', 0):,} records, produced in "
                f"{_s(bare.get('produced_s'))}, all passed and committed {_s(bare.get('caught_up_s'))}"
                + (f"; error: {bare['error']}" if bare.get("error") else ""),
            )
        )
    t = report.targets
    if t:
        e2e, ratio = t["end_to_end_events_per_s"], t["ratio_to_bare"]
        rows.append(("target end to end", f">= {e2e['target']:,.0f} ev/s: {_met(e2e)} ({_r(e2e['value'])})"))
        value = "-" if ratio["value"] is None else f"{ratio['value']:.2f} x"
        rows.append(("target cxpulse / bare", f">= {ratio['target']:.1f} x: {_met(ratio)} ({value})"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += [f"WARNING: {w}" for w in report.warnings]
    lines += [f"ERROR: {e}" for e in report.errors]
    lines.append("times are seconds from the measured burst's first post")
    return "\n".join(lines)


def report_json(report: ThroughputReport) -> str:
    return json.dumps(dataclasses.asdict(report), indent=2, default=str)


# --------------------------------------------------------------------------------------------------------
# Sampling offsets and counts while the run goes
# --------------------------------------------------------------------------------------------------------


class Sampler:
    """A thread that samples the group's lag per topic and the ClickHouse counts, and prints progress.

    One probe and one ClickHouse client of its own (librdkafka handles are not shared across threads).
    """

    def __init__(self, run: PipelineRun) -> None:
        from bench.chaos_harness import OffsetProbe

        s = run.deployment.settings
        self.run = run
        self.topics = [t for stage in STAGES for t in stage.topics]
        self.probe = OffsetProbe(s, s.worker.app_id, [s.topic(t) for t in self.topics], s.kafka.partitions)
        self.full_names = {s.topic(t): t for t in self.topics}
        self.lags: list[tuple[float, Lags]] = []
        self.ends: list[tuple[float, dict[str, int]]] = []
        self.counts: list[tuple[float, dict[str, int]]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="throughput-sampler", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.probe.close()

    def latest_counts(self) -> dict[str, int]:
        return dict(self.counts[-1][1]) if self.counts else {}

    def latest_ends(self) -> dict[str, int]:
        return dict(self.ends[-1][1]) if self.ends else {}

    def _loop(self) -> None:
        last_counts = last_progress = 0.0
        with self.run.deployment.clickhouse() as ch:
            while not self.stop.wait(SAMPLE_INTERVAL_S):
                now = time.monotonic()
                committed, ends = self.probe.committed(), self.probe.ends()
                if committed is not None and ends is not None:
                    lags = topic_lags(committed, ends)
                    self.lags.append((now, {self.full_names[t]: n for t, n in lags.items()}))
                    self.ends.append((now, {self.full_names[t]: sum(p.values()) for t, p in ends.items()}))
                if now - last_counts >= CLICKHOUSE_INTERVAL_S:
                    last_counts = now
                    with contextlib.suppress(Exception):  # a slow front must not stop the offsets sampling
                        self.counts.append((time.monotonic(), table_counts(ch, CORE_TABLES)))
                if now - last_progress >= self.run.args.progress_interval:
                    last_progress = now
                    self.run.progress(self)


def table_counts(ch: Any, tables: Sequence[str]) -> dict[str, int]:
    """Rows per table after merging replays (FINAL), in one query."""
    sql = "SELECT " + ", ".join(f"(SELECT count() FROM {t} FINAL)" for t in tables)
    row = ch.query(sql).result_rows[0]
    return {t: int(n) for t, n in zip(tables, row, strict=True)}


# --------------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------------


def row_keys(
    requests: Sequence[SignedRequest], forms: Sequence[Mapping[str, str]], settings: Settings
) -> list[RowKeys]:
    """For each request, the rows its event makes, with ingest's converter and the core sink's row functions (the
    same code the pipeline runs, so the expected counts cannot drift from what is stored)."""
    from schemas.twilio import InputLimits, from_webhook_form
    from sinks.rows import conversation_row, message_row

    limits = InputLimits.from_settings(settings)
    out: list[RowKeys] = []
    for request, form in zip(requests, forms, strict=True):
        event = from_webhook_form(form, rules=settings.roles, limits=limits)
        message = event.message_sid if message_row(event) is not None else None
        conversation = event.conversation_sid if conversation_row(event) is not None else None
        out.append(RowKeys(request.event_id, message, conversation))
    return out


def _event_id(value: bytes) -> str | None:
    """The event id of a raw-topic record (canonical event JSON)."""
    try:
        return str(json.loads(value)["event_id"])
    except (ValueError, KeyError, TypeError):
        return None


class PipelineRun:
    """Owns the private deployment, the sampler, the report; :meth:`run` then :meth:`close`."""

    def __init__(self, args: argparse.Namespace) -> None:
        from bench.chaos_harness import ChaosDeployment

        self.args = args
        self.root = Path(tempfile.mkdtemp(prefix="cxpulse-throughput-"))
        self.deployment = ChaosDeployment.create(self.root, partitions=args.partitions, qa=True)
        self.report = ThroughputReport(
            events=args.events,
            partitions=args.partitions,
            workers=args.workers,
            ingest_processes=args.ingest_processes,
            concurrency=args.concurrency,
            seed=args.seed,
            cores=cores(),
            warmup_events=args.warmup_events,
        )
        self.began = time.monotonic()
        self.phase = "starting"
        self.answered = 0
        self.burst_ids: set[str] = set()
        self.sampler: Sampler | None = None

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.began:7.1f}s] {text}", flush=True)

    def progress(self, sampler: Sampler) -> None:
        lags = sampler.lags[-1][1] if sampler.lags else {}
        backlog = " ".join(
            f"{t.split('.')[-1]} {lags.get(t, '?')}" for t in (names.RAW, names.REDACTED, names.VALIDATED)
        )
        stored = sampler.latest_counts().get("events", "?")
        self.say(f"{self.phase}: answered {self.answered} | backlog {backlog} | events stored {stored}")

    def _on_answer(self, _index: int, _at: float) -> None:
        self.answered += 1

    # -- steps --------------------------------------------------------------------------------------------
    def _prepare(self) -> tuple[list[SignedRequest], list[RowKeys]]:
        d, args = self.deployment, self.args
        total = args.warmup_events + args.events
        start = datetime.now(UTC) - TIMELINE_AGO
        source = generate_posts(
            seed=args.seed,
            settings=d.settings.simulator,
            start=start,
            events_per_s=timeline_rate(total, None),
        )
        posts = list(itertools.islice(source, total))
        last = posts[-1].occurred_at
        if last is not None and last > datetime.now(UTC):
            raise RuntimeError("the simulated timeline reaches into the future: fewer events or a longer span")
        self.report.conversations = len({p.conversation_sid for p in posts[args.warmup_events :]})
        requests = sign_all(posts, auth_token=d.auth_token, public_url=d.settings.public_url)
        keys = row_keys(requests, [p.form for p in posts], d.settings)
        return requests, keys

    def _start_workers(self) -> list[str]:
        started = time.monotonic()
        if self.args.ingest_processes:
            self.deployment.start_ingest(self.args.ingest_processes, WORKER_PROCESSING_TIMEOUT_S)
        workers = self.deployment.start_workers(self.args.workers, WORKER_PROCESSING_TIMEOUT_S)
        self.report.workers_ready_s = time.monotonic() - started
        return sorted({w.ingest_url for w in workers})

    def _post(self, requests: Sequence[SignedRequest], targets: Sequence[str]) -> LoadResult:
        return asyncio.run(
            post_burst(
                requests,
                targets,
                concurrency=self.args.concurrency,
                give_up_s=self.args.give_up_s,
                on_answer=self._on_answer,
            )
        )

    def _wait_caught_up(
        self, sampler: Sampler, accepted: Sequence[RowKeys], after: float, timeout_s: float
    ) -> tuple[dict[str, float | None], float | None, dict[str, int]]:
        """Wait until every stage and the ClickHouse counts are caught up (stable): their times (monotonic) and the
        counts expected in the end."""
        deadline = time.monotonic() + timeout_s
        while True:
            expected = self._expected(accepted)  # again each time: a record may still be dead-lettered
            stages = stage_catch_up(list(sampler.lags), STAGES, after=after, stable_s=STABLE_S)
            points = [(at, counts_match(c, expected)) for at, c in list(sampler.counts)]
            ch = first_stable(points, after=after, stable_s=STABLE_S)
            if (ch is not None and all(v is not None for v in stages.values())) or time.monotonic() > deadline:
                return stages, ch, expected
            for worker in self.deployment.workers:
                if not worker.alive():
                    raise RuntimeError(f"worker {worker.index} exited:\n{worker.log_tail(40)}")
            time.sleep(_POLL_S)

    def _expected(self, accepted: Sequence[RowKeys]) -> dict[str, int]:
        """Expected core counts over every accepted request so far, minus dead-lettered events (which never reach
        ``events``; which ones they were is not known here, so then only ``events`` is compared)."""
        expected = expected_counts(accepted)
        assert self.sampler is not None
        ends = self.sampler.latest_ends()
        self.report.dead_letters = dead = sum(ends.get(t, 0) for t in DEAD_LETTER_TOPICS)
        return {"events": expected["events"] - dead} if dead else expected

    def run(self) -> ThroughputReport:
        args, d, r = self.args, self.deployment, self.report
        r.uptime_start = uptime()
        self.say(f"uptime at start: {r.uptime_start}")
        self.say(
            f"state dir {self.root}; private stack on {mask_url(d.settings.kafka.bootstrap_servers)} / "
            f"{mask_url(d.settings.clickhouse.url)}"
        )
        started = time.monotonic()
        d.up()
        r.stack_up_s = time.monotonic() - started
        self.say(f"stack up in {r.stack_up_s:.1f} s; preparing {args.warmup_events} + {args.events} signed requests")
        started = time.monotonic()
        requests, keys = self._prepare()
        r.prepare_s = time.monotonic() - started
        self.say(f"prepared in {r.prepare_s:.1f} s; starting {args.workers} worker(s) with every stage on")
        targets_ = self._start_workers()
        self.say(f"workers ready in {_s(r.workers_ready_s)}: ingest at {', '.join(targets_)}")
        self.sampler = sampler = Sampler(self)
        sampler.start()
        warm, measured = requests[: args.warmup_events], requests[args.warmup_events :]
        accepted: list[RowKeys] = []
        if warm:
            self.phase = "warm-up"
            result = self._post(warm, targets_)
            accepted += [keys[i] for i in result.accepted()]
            stages, ch, _ = self._wait_caught_up(sampler, accepted, result.finished, args.catchup_timeout)
            done = [v for v in [*stages.values(), ch] if v is not None]
            r.warmup_caught_up_s = max(done) - result.started if len(done) == len(stages) + 1 else None
            if r.warmup_caught_up_s is None:
                r.warnings.append("the warm-up never caught up: the burst started on a backlog")
            self.say(f"warm-up: {len(result.accepted())} accepted, caught up {_s(r.warmup_caught_up_s)}")
        self.phase = "burst"
        self.answered = 0
        self.say(f"posting the burst: {len(measured)} events over {args.concurrency} connections")
        result = self._post(measured, targets_)
        accepted += [keys[args.warmup_events + i] for i in result.accepted()]
        self.burst_ids = {measured[i].event_id for i in result.accepted()}
        r.posted, r.accepted = len(measured), len(result.accepted())
        r.statuses, r.retries, r.poster_cpu_s = dict(result.statuses), result.retries, result.cpu_s
        r.not_accepted = {s: result.status.count(s) for s in set(result.status) if s != "200"}
        r.posting_s = result.elapsed_s
        r.ingest_events_per_s = rate(r.accepted, r.posting_s)
        self.say(f"burst answered: {r.accepted}/{r.posted} in {r.posting_s:.1f} s ({_r(r.ingest_events_per_s)})")
        self.phase = "catch-up"
        stages, ch, expected = self._wait_caught_up(sampler, accepted, result.finished, args.catchup_timeout)
        sampler.close()
        if r.dead_letters:
            r.warnings.append(f"{r.dead_letters} events dead-lettered: messages/conversations counts not checked")
        self._figures(sampler, stages, ch, expected, result)
        self._account(expected)
        self.say(f"caught up {_s(r.caught_up_s)} after the first post: {_r(r.end_to_end_events_per_s)} end to end")
        self._stop_workers()
        if not args.no_bare:
            self._bare()
        r.targets = targets(r.end_to_end_events_per_s, r.bare.get("events_per_s") if r.bare else None)
        return r

    def _figures(
        self,
        sampler: Sampler,
        stages: Mapping[str, float | None],
        ch: float | None,
        expected: Mapping[str, int],
        burst: LoadResult,
    ) -> None:
        r, t0 = self.report, burst.started
        peaks = peak_backlogs(sampler.lags, STAGES, since=t0)
        added = time_added(STAGES, stages, posting_end=burst.finished)
        # topic ends just before the burst (the warm-up's records) and at the end: the records each stage took in
        before = next((e for at, e in reversed(sampler.ends) if at <= t0), sampler.ends[0][1] if sampler.ends else {})
        after = sampler.latest_ends()
        for stage in STAGES:
            at = stages.get(stage.name)
            peak, when = peaks[stage.name]
            r.stages.append(
                StageFigures(
                    stage.name,
                    list(stage.topics),
                    None if at is None else at - t0,
                    added[stage.name],
                    peak,
                    None if when is None else when - t0,
                    sum(after.get(t, 0) - before.get(t, 0) for t in stage.topics),
                )
            )
        r.clickhouse_caught_up_s = None if ch is None else ch - t0
        r.bottleneck = bottleneck({INGEST: burst.elapsed_s, **added})
        times = [s.caught_up_s for s in r.stages] + [r.clickhouse_caught_up_s]
        if all(t is not None for t in times):
            r.caught_up_s = max(t for t in times if t is not None)
            r.end_to_end_events_per_s = rate(r.accepted, r.caught_up_s)
        else:
            behind = [s.name for s in r.stages if s.caught_up_s is None]
            behind += ["ClickHouse counts"] if r.clickhouse_caught_up_s is None else []
            r.errors.append(f"not caught up within {self.args.catchup_timeout:.0f} s: {', '.join(behind)}")
        r.expected = dict(expected)
        r.counts = sampler.latest_counts()

    def _account(self, expected: Mapping[str, int]) -> None:
        """Duplicates (count vs distinct ids, FINAL) in the core tables: a throughput figure of a pipeline that
        double-counts would be meaningless."""
        with self.deployment.clickhouse() as ch:
            keys = {"events": "event_id", "messages": "message_sid", "conversations": "conversation_sid"}
            for table, key in keys.items():
                count, distinct = ch.query(f"SELECT count(), uniqExact({key}) FROM {table} FINAL").result_rows[0]
                self.report.duplicated[table] = int(count) - int(distinct)
            self.report.counts = table_counts(ch, CORE_TABLES + REPORTED_TABLES)
        for table, count in expected.items():
            if self.report.counts.get(table, 0) < count:
                self.report.errors.append(f"{table}: {self.report.counts.get(table, 0)} stored, {count} expected")

    def _stop_workers(self) -> None:
        """Stop the workers before the baseline so it does not share the cores with them."""
        for worker in self.deployment.workers:
            if worker.alive():
                stopped, killed = worker.stop(WORKER_STOP_GRACE_S)
                self.report.worker_stop_s.append(round(stopped, 1))
                if killed:
                    self.report.warnings.append(f"worker {worker.index} needed SIGKILL to stop")

    def _bare(self) -> None:
        from bench.bare_faust import measure_bare
        from bench.chaos_harness import read_records

        d = self.deployment
        self.phase = "bare baseline"
        burst = [r for r in read_records(d.settings, d.topic(names.RAW)) if _event_id(r[2]) in self.burst_ids]
        self.say(f"bare faust pass-through: {len(burst)} raw records of the burst, {self.args.partitions} partitions")
        result = measure_bare(d.settings, d.env, self.root, burst, partitions=self.args.partitions, say=self.say)
        self.report.bare = dataclasses.asdict(result) | {"events_per_s": result.events_per_s}
        self.say(f"bare: {_r(result.events_per_s)}")

    def close(self) -> None:
        if self.sampler is not None and not self.sampler.stop.is_set():
            with contextlib.suppress(Exception):
                self.sampler.close()
        self.deployment.dispose(keep=self.args.keep)
        self.report.uptime_end = uptime()
        self.say(f"uptime at end: {self.report.uptime_end}")
        if self.args.keep:
            self.say(f"state kept in {self.root} (worker-N.log, bare.log, state/logs/)")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help=f"burst size (default {DEFAULT_EVENTS})")
    parser.add_argument(
        "--warmup-events", type=int, default=DEFAULT_WARMUP_EVENTS, help="posted and waited out first (not timed)"
    )
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS, help="partitions per topic")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="cxpulse worker processes")
    add_ingest_processes_argument(parser)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="connections posting at once")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator seed")
    parser.add_argument("--give-up-s", type=float, default=120.0, help="stop retrying one post after this long")
    parser.add_argument(
        "--catchup-timeout", type=float, default=DEFAULT_CATCHUP_TIMEOUT_S, help="wait for catch-up at most (s)"
    )
    parser.add_argument(
        "--progress-interval", type=float, default=DEFAULT_PROGRESS_INTERVAL_S, help="seconds between progress lines"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare faust baseline")
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON to this path")
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs, data) for inspection")
    args = parser.parse_args(argv)
    if min(args.events, args.partitions, args.workers, args.concurrency) < 1 or args.warmup_events < 0:
        parser.error("--events, --partitions, --workers and --concurrency must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = PipelineRun(args)
    code = run_and_report(run, render, report_json, args.json)
    if code:
        return code
    return 1 if run.report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
