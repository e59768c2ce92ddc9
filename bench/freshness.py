"""Freshness: how long after Twilio got its 200 is a message visible in ClickHouse ``messages``, at steady rates?

Run (from the repository root)::

    .venv/bin/python bench/freshness.py                                  # 100, 500, 1000 ev/s, 60 s each
    .venv/bin/python bench/freshness.py --rates 50,200 --duration 20     # a smoke run
    .venv/bin/python bench/freshness.py --json /tmp/fresh.json --keep

What it does, and why each choice:

* The **private stack and deployment** of the chaos bench (``bench/chaos_harness.py``) with **every stage on**
  (redaction, data quality, sinks, SLA, QA), ``--workers`` worker(s).
* **Steady rates**: for each of ``--rates`` (after ``--warmup-s`` at the first rate, not measured), ``rate x
  --duration`` signed simulator webhooks (all kinds of events; signed before the step starts,
  ``bench/webhook_load.py``) are posted on a fixed schedule, request ``i`` at ``start + i / rate``, over
  ``--concurrency`` keep-alive connections. The achieved send rate, the 200 rate and how late requests left their
  slot (send lag) are measured and printed: a step whose achieved rate misses the requested one by more than
  ``RATE_TOLERANCE`` does not count for "the highest rate meeting the target".
* **Freshness** of a message = when its ``message.added`` row became visible - when its POST got 200 (bench clock).
  Two measurements, because neither alone is exact:

  1. *Every* message: ``events.ingested_at`` (``DEFAULT now64(3)``: the ClickHouse front's clock when it inserted
     the event's row; same host, same clock as the bench). The core sink writes ``events`` then ``messages``
     (+ ``conversations``) of one batch in one call, so this is a *lower bound* on the message's visibility in
     ``messages``, early by that insert's duration. Read once per step, nothing polled while traffic runs.
  2. *A sample* (1 in ``--poll-every`` messages): polled in ``messages`` itself every ``--poll-interval`` with
     ``WHERE message_sid IN (...)``. Visibility lies between the start of the last poll that missed it and the end
     of the poll that found it: the *upper bound* is reported, too late by at most interval + round trip. The gap
     between both measurements on the sampled messages (``messages`` visible - ``ingested_at``) is printed: it says
     how far (1) is from the truth.

  A message not in ``events`` within ``--drain-timeout`` after its step's last post is *missing*; one fresher than
  ``--target-p99`` is on time, otherwise *late*. Percentiles are nearest-rank over all accepted messages of the
  step, a missing one counting as infinitely late (so 1 % missing fails p99).
* Steps do not overlap: after each step the bench waits until the step's messages are all visible (or the drain
  timeout), and reports that drain time.

Target from the throughput issue: p99 <= 1 s at 1,000 ev/s. The report prints the highest rate whose p99 met it.
``uptime`` is printed at the start and the end: a loaded machine makes every figure worse.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import math
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chaos import TIMELINE_AGO, timeline_rate  # noqa: E402
from bench.chaos_harness import add_ingest_processes_argument  # noqa: E402
from bench.machine import cores, uptime  # noqa: E402
from bench.run_report import run_and_report  # noqa: E402
from bench.webhook_load import LoadResult, achieved_rate, post_paced, sign_all  # noqa: E402
from cxpulse.simulate import WebhookPost, generate_posts  # noqa: E402
from cxpulse.urls import mask_url  # noqa: E402

DEFAULT_RATES = (100.0, 500.0, 1000.0)
DEFAULT_DURATION_S = 60.0
DEFAULT_WARMUP_S = 10.0
DEFAULT_PARTITIONS = 4
DEFAULT_WORKERS = 1
DEFAULT_CONCURRENCY = 128
DEFAULT_SEED = 13
DEFAULT_POLL_EVERY = 10
DEFAULT_POLL_INTERVAL_S = 0.1
DEFAULT_DRAIN_TIMEOUT_S = 60.0
DEFAULT_PROGRESS_INTERVAL_S = 10.0
#: The issue's target: p99 freshness <= 1 s at 1,000 events/s.
TARGET_P99_S = 1.0
TARGET_RATE = 1000.0
#: A step counts at its rate only if it achieved at least this share of it.
RATE_TOLERANCE = 0.95
PERCENTILES = (50.0, 99.0)
#: The event whose row creates a message in ``messages`` (canonical type, and the webhook's EventType).
MESSAGE_ADDED = "message.added"
MESSAGE_ADDED_WEBHOOK = "onMessageAdded"
#: At most this many sampled messages go into one poll (the oldest first): one poll stays one small query.
MAX_POLL_BATCH = 500
WORKER_READY_TIMEOUT_S = 240.0
#: How often the drain wait asks ClickHouse whether the step's messages are all in.
DRAIN_CHECK_S = 0.5
#: Only Twilio-shaped SIDs are put into the poll's SQL text (they are ours, but a query is no place for surprises).
_SID = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")


# --------------------------------------------------------------------------------------------------------
# Pure parts (unit-tested in tests/unit/bench/test_freshness.py)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One rate of the schedule: ``events`` posted at ``rate`` per second over ``duration_s``."""

    label: str
    rate: float
    duration_s: float
    measured: bool

    @property
    def events(self) -> int:
        return max(1, round(self.rate * self.duration_s))


def schedule(rates: Sequence[float], duration_s: float, warmup_s: float) -> list[Step]:
    """The steps of a run: a warm-up at the first rate (not measured) when ``warmup_s`` > 0, then each rate."""
    if not rates or any(r <= 0 for r in rates) or duration_s <= 0 or warmup_s < 0:
        raise ValueError("rates and duration must be positive, warm-up not negative")
    steps = [Step("warm-up", rates[0], warmup_s, False)] if warmup_s > 0 else []
    return steps + [Step(f"{r:g} ev/s", r, duration_s, True) for r in rates]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least ``q`` % of the values at or below it); ``inf``
    values (missing events) sort last. None for no values."""
    if not values:
        return None
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def freshness(answered: Mapping[str, float], visible: Mapping[str, float]) -> dict[str, float]:
    """Per event id answered 200: seconds until visible, ``inf`` when never seen."""
    return {eid: visible[eid] - at if eid in visible else math.inf for eid, at in answered.items()}


@dataclass
class Distribution:
    """Freshness of one step's messages."""

    count: int = 0
    p50_s: float | None = None
    p99_s: float | None = None
    max_s: float | None = None
    late: int = 0
    missing: int = 0


def distribution(values: Sequence[float], late_after_s: float) -> Distribution:
    """Percentiles over every value (``inf`` = missing counts as late for the percentiles), max over the seen."""
    seen = [v for v in values if math.isfinite(v)]
    return Distribution(
        count=len(values),
        p50_s=percentile(values, PERCENTILES[0]),
        p99_s=percentile(values, PERCENTILES[1]),
        max_s=max(seen) if seen else None,
        late=sum(1 for v in seen if v > late_after_s),
        missing=len(values) - len(seen),
    )


def meets(step: StepResult, target_p99_s: float, tolerance: float = RATE_TOLERANCE) -> bool:
    """A step meets the target when its achieved send rate is within ``tolerance`` of the requested one and its
    p99 (missing counted as late) is at most the target."""
    achieved = step.achieved_rate or 0.0
    p99 = step.freshness.p99_s
    return achieved >= tolerance * step.rate and p99 is not None and p99 <= target_p99_s


def highest_rate_meeting(steps: Sequence[StepResult], target_p99_s: float) -> float | None:
    """The highest requested rate whose step met the target (see :func:`meets`); None if none did."""
    ok = [s.rate for s in steps if meets(s, target_p99_s)]
    return max(ok) if ok else None


# --------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------


@dataclass
class StepResult:
    label: str
    rate: float
    duration_s: float
    posted: int = 0
    accepted: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    achieved_rate: float | None = None
    answered_rate: float | None = None
    send_lag_p99_s: float | None = None
    send_lag_max_s: float | None = None
    poster_cpu_s: float = 0.0
    messages: int = 0
    freshness: Distribution = field(default_factory=Distribution)
    polled: Distribution = field(default_factory=Distribution)
    poll_rtt_p50_s: float | None = None
    poll_vs_ingested_p50_s: float | None = None
    poll_vs_ingested_p99_s: float | None = None
    poll_saturated: int = 0
    drain_s: float | None = None


@dataclass
class FreshnessReport:
    rates: list[float]
    duration_s: float
    partitions: int
    workers: int
    concurrency: int
    target_p99_s: float
    cores: int = 0
    #: ``cxpulse ingest`` processes in front of the workers; 0 = ingest inside each worker.
    ingest_processes: int = 0
    uptime_start: str = ""
    uptime_end: str = ""
    stack_up_s: float = 0.0
    workers_ready_s: float | None = None
    steps: list[StepResult] = field(default_factory=list)
    highest_rate_meeting: float | None = None
    target_met: bool | None = None
    errors: list[str] = field(default_factory=list)


def _f(value: float | None, unit: str = "s", digits: int = 2) -> str:
    if value is None:
        return "-"
    return "inf" if math.isinf(value) else f"{value:.{digits}f} {unit}"


def render(report: FreshnessReport) -> str:
    lines = [
        f"machine: {report.cores} cores; start: {report.uptime_start}",
        f"                 end:   {report.uptime_end}",
        f"deployment: {report.partitions} partitions, {report.workers} worker(s), "
        f"{report.ingest_processes or 'no'} separate ingest process(es), every stage on; "
        f"{report.concurrency} connections; steps of {report.duration_s:g} s",
        "",
        f"{'step':>12} {'achieved':>10} {'200/s':>8} {'lag p99':>8} {'msgs':>6} {'p50':>8} {'p99':>8} {'max':>8} "
        f"{'late':>6} {'missing':>7} {'drain':>7}",
    ]
    for s in report.steps:
        f = s.freshness
        lines.append(
            f"{s.label:>12} {_f(s.achieved_rate, '/s', 0):>10} {_f(s.answered_rate, '', 0):>8} "
            f"{_f(s.send_lag_p99_s):>8} {s.messages:>6} {_f(f.p50_s):>8} {_f(f.p99_s):>8} {_f(f.max_s):>8} "
            f"{f.late:>6} {f.missing:>7} {_f(s.drain_s, 's', 1):>7}"
        )
    lines += ["", "measurement check on the polled sample (messages table itself, upper bound):"]
    for s in report.steps:
        p = s.polled
        lines.append(
            f"{s.label:>12}: {p.count} polled, p50 {_f(p.p50_s)}, p99 {_f(p.p99_s)}, missing {p.missing}; "
            f"visible in messages - events.ingested_at: p50 {_f(s.poll_vs_ingested_p50_s)}, "
            f"p99 {_f(s.poll_vs_ingested_p99_s)}; poll round trip p50 {_f(s.poll_rtt_p50_s, 's', 3)}"
            + (f"; {s.poll_saturated} polls hit the batch cap" if s.poll_saturated else "")
        )
    lines += [
        "",
        "freshness = events.ingested_at of the message.added event - its POST's 200 (bench clock = ClickHouse clock);",
        "  a lower bound on visibility in `messages` (written right after `events` in the same sink call); the polled",
        "  sample is an upper bound (late by <= poll interval + round trip). Missing = not stored within the drain",
        "  timeout and counts as infinitely late in the percentiles; late = stored, but later than the target.",
        f"highest rate with p99 <= {report.target_p99_s:g} s (achieved >= {RATE_TOLERANCE:.0%} of requested): "
        + ("none" if report.highest_rate_meeting is None else f"{report.highest_rate_meeting:g} ev/s"),
        f"target p99 <= {TARGET_P99_S:g} s at {TARGET_RATE:g} ev/s: "
        + {True: "met", False: "NOT met", None: "not measured (no step at that rate)"}[report.target_met],
    ]
    lines += [f"ERROR: {e}" for e in report.errors]
    return "\n".join(lines)


def report_json(report: FreshnessReport) -> str:
    return json.dumps(dataclasses.asdict(report), indent=2, default=str)


# --------------------------------------------------------------------------------------------------------
# Polling `messages` for a sample
# --------------------------------------------------------------------------------------------------------


class MessagePoller:
    """A thread that polls ``messages`` for sampled message SIDs until each is seen.

    A SID is polled from the first poll after its 200 on; when a poll finds it, the row became visible between the
    start of the previous poll (which missed it) and the end of this one: the end, an upper bound, is recorded.
    """

    def __init__(self, client: Any, interval_s: float) -> None:
        self.client = client
        self.interval_s = interval_s
        self.inbox: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.pending: dict[str, str] = {}  # sid -> event id, oldest first
        self.visible: dict[str, float] = {}  # event id -> upper bound (wall)
        self.rtts: list[float] = []
        self.saturated = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="freshness-poller", daemon=True)

    def watch(self, message_sid: str, event_id: str) -> None:
        self.inbox.put((message_sid, event_id))

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()

    def take(self) -> tuple[dict[str, float], list[float], int]:
        """What was seen so far (and reset): visibility per event id, round trips, capped polls."""
        seen, rtts, saturated = self.visible, self.rtts, self.saturated
        self.visible, self.rtts, self.saturated = {}, [], 0
        return seen, rtts, saturated

    def _loop(self) -> None:
        while not self.stop.wait(self.interval_s):
            with contextlib.suppress(queue.Empty):
                while True:
                    sid, event_id = self.inbox.get_nowait()
                    if _SID.match(sid):
                        self.pending[sid] = event_id
            if not self.pending:
                continue
            batch = list(itertools.islice(self.pending, MAX_POLL_BATCH))
            self.saturated += len(self.pending) > MAX_POLL_BATCH
            began = time.time()
            try:
                found = self.client.query(
                    "SELECT DISTINCT message_sid FROM messages WHERE message_sid IN ("
                    + ",".join(f"'{sid}'" for sid in batch)
                    + ")"
                ).result_rows
            except Exception:  # noqa: BLE001 - a slow or failing poll is a gap in the sample, not a bench failure
                continue
            ended = time.time()
            self.rtts.append(ended - began)
            for (sid,) in found:
                event_id = self.pending.pop(str(sid), None)
                if event_id is not None:
                    self.visible[event_id] = ended


# --------------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------------


def _since(since_wall: float) -> str:
    return f"event_type = '{MESSAGE_ADDED}' AND ingested_at >= fromUnixTimestamp64Milli({int(since_wall * 1000)})"


def ingested_count(client: Any, since_wall: float) -> int:
    """Distinct ``message.added`` events inserted since ``since_wall`` (a cheap "could they all be in?")."""
    return int(client.query(f"SELECT uniqExact(event_id) FROM events WHERE {_since(since_wall)}").result_rows[0][0])


def ingested_at(client: Any, event_ids: set[str], since_wall: float) -> dict[str, float]:
    """``events.ingested_at`` (first insert, wall seconds) of the ``message.added`` events among ``event_ids``
    inserted since ``since_wall``: one scan of the step's rows, no id list in the query."""
    rows = client.query(
        "SELECT event_id, toUnixTimestamp64Milli(min(ingested_at)) FROM events "
        f"WHERE {_since(since_wall)} GROUP BY event_id"
    ).result_rows
    return {str(eid): int(ms) / 1000 for eid, ms in rows if str(eid) in event_ids}


class FreshnessRun:
    def __init__(self, args: argparse.Namespace) -> None:
        from bench.chaos_harness import ChaosDeployment

        self.args = args
        self.root = Path(tempfile.mkdtemp(prefix="cxpulse-freshness-"))
        self.deployment = ChaosDeployment.create(self.root, partitions=args.partitions, qa=True)
        self.steps = schedule(args.rates, args.duration, args.warmup_s)
        self.report = FreshnessReport(
            rates=list(args.rates),
            duration_s=args.duration,
            partitions=args.partitions,
            workers=args.workers,
            ingest_processes=args.ingest_processes,
            concurrency=args.concurrency,
            target_p99_s=args.target_p99,
            cores=cores(),
        )
        self.began = time.monotonic()
        self.poller: MessagePoller | None = None
        self.answered = 0
        self._posting = False

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.began:7.1f}s] {text}", flush=True)

    def _posts(self) -> Iterator[WebhookPost]:
        total = sum(s.events for s in self.steps)
        start = datetime.now(UTC) - TIMELINE_AGO
        source = generate_posts(
            seed=self.args.seed,
            settings=self.deployment.settings.simulator,
            start=start,
            events_per_s=timeline_rate(total, None),
        )
        return itertools.islice(source, total)

    def run(self) -> FreshnessReport:
        args, d, r = self.args, self.deployment, self.report
        r.uptime_start = uptime()
        self.say(f"uptime at start: {r.uptime_start}")
        self.say(f"state dir {self.root}; private stack on {mask_url(d.settings.kafka.bootstrap_servers)}")
        started = time.monotonic()
        d.up()
        r.stack_up_s = time.monotonic() - started
        started = time.monotonic()
        if args.ingest_processes:
            d.start_ingest(args.ingest_processes, WORKER_READY_TIMEOUT_S)
        workers = d.start_workers(args.workers, WORKER_READY_TIMEOUT_S)
        r.workers_ready_s = time.monotonic() - started
        targets = sorted({w.ingest_url for w in workers})
        self.say(f"stack up in {r.stack_up_s:.1f} s, {args.workers} worker(s) ready in {r.workers_ready_s:.1f} s")
        posts = self._posts()
        with d.clickhouse() as poll_client, d.clickhouse() as client:
            self.poller = MessagePoller(poll_client, args.poll_interval)
            self.poller.start()
            try:
                for step in self.steps:
                    result = self._step(step, list(itertools.islice(posts, step.events)), targets, client)
                    if step.measured:
                        r.steps.append(result)
            finally:
                self.poller.close()
        r.highest_rate_meeting = highest_rate_meeting(r.steps, args.target_p99)
        at_target = [s for s in r.steps if s.rate == TARGET_RATE]
        r.target_met = meets(at_target[0], TARGET_P99_S) if at_target else None
        return r

    def _step(self, step: Step, posts: list[WebhookPost], targets: Sequence[str], client: Any) -> StepResult:
        d, args = self.deployment, self.args
        requests = sign_all(posts, auth_token=d.auth_token, public_url=d.settings.public_url)
        messages = {i for i, q in enumerate(requests) if q.event_type == MESSAGE_ADDED_WEBHOOK and q.message_sid}
        sampled = set(sorted(messages)[:: args.poll_every]) if args.poll_every else set()
        out = StepResult(step.label, step.rate, step.duration_s, posted=len(requests))
        assert self.poller is not None
        self.poller.take()
        poller = self.poller

        def on_answer(index: int, _at: float) -> None:
            self.answered += 1
            if index in sampled:
                request = requests[index]
                assert request.message_sid is not None
                poller.watch(request.message_sid, request.event_id)

        self.say(f"{step.label}: posting {len(requests)} events over {step.duration_s:g} s")
        self.answered = 0
        since_wall = time.time()
        progress = threading.Thread(target=self._progress, args=(step, len(requests)), daemon=True)
        self._posting = True
        progress.start()
        try:
            result = asyncio.run(
                post_paced(requests, targets, rate=step.rate, concurrency=args.concurrency, on_answer=on_answer)
            )
        finally:
            self._posting = False
            progress.join()
        self._rates(out, result)
        answered = {
            requests[i].event_id: result.wall(result.answered_at[i]) for i in result.accepted() if i in messages
        }
        out.messages = len(answered)
        visible, out.drain_s = self._drain(client, answered, since_wall, result)
        out.freshness = distribution(list(freshness(answered, visible).values()), args.target_p99)
        seen, rtts, out.poll_saturated = self.poller.take()
        polled = {
            requests[i].event_id: answered[requests[i].event_id] for i in sampled if requests[i].event_id in answered
        }
        out.polled = distribution(list(freshness(polled, seen).values()), args.target_p99)
        out.poll_rtt_p50_s = percentile(rtts, 50.0)
        gaps = [seen[e] - visible[e] for e in polled if e in seen and e in visible]
        out.poll_vs_ingested_p50_s = percentile(gaps, 50.0)
        out.poll_vs_ingested_p99_s = percentile(gaps, 99.0)
        f = out.freshness
        self.say(
            f"{step.label}: achieved {_f(out.achieved_rate, '/s', 0)}, {out.messages} messages: p50 {_f(f.p50_s)} "
            f"p99 {_f(f.p99_s)} max {_f(f.max_s)}, late {f.late}, missing {f.missing}; drained {_f(out.drain_s)}"
        )
        return out

    def _rates(self, out: StepResult, result: LoadResult) -> None:
        accepted = result.accepted()
        out.accepted = len(accepted)
        out.statuses = dict(result.statuses)
        out.achieved_rate = achieved_rate([t for t in result.sent_at if math.isfinite(t)])
        out.answered_rate = achieved_rate([result.answered_at[i] for i in accepted])
        lags = [s - due for s, due in zip(result.sent_at, result.due_at, strict=True) if math.isfinite(s)]
        out.send_lag_p99_s = percentile(lags, 99.0)
        out.send_lag_max_s = max(lags) if lags else None
        out.poster_cpu_s = result.cpu_s

    def _drain(
        self, client: Any, answered: Mapping[str, float], since_wall: float, result: LoadResult
    ) -> tuple[dict[str, float], float | None]:
        """Wait until every answered message is in ``events`` (or the drain timeout); their ingestion times and
        how long after the last post the last one came."""
        ids = set(answered)
        deadline = time.monotonic() + self.args.drain_timeout
        visible: dict[str, float] = {}
        while True:
            late = time.monotonic() > deadline
            with contextlib.suppress(Exception):  # the front may be slow under load: try again
                # the row scan only when the count says it may be complete (stragglers of an earlier step count too)
                if late or ingested_count(client, since_wall) >= len(ids):
                    visible = ingested_at(client, ids, since_wall)
            if len(visible) >= len(ids) or late:
                break
            time.sleep(DRAIN_CHECK_S)
        drained = None
        if len(visible) >= len(ids):
            last = max(visible.values(), default=result.wall(result.finished))
            drained = max(0.0, last - result.wall(result.finished))
        return visible, drained

    def _progress(self, step: Step, total: int) -> None:
        last = time.monotonic()
        while self._posting:
            time.sleep(0.2)
            if time.monotonic() - last >= self.args.progress_interval:
                last = time.monotonic()
                pending = 0 if self.poller is None else len(self.poller.pending)
                self.say(f"{step.label}: answered {self.answered}/{total}; sampled messages not yet visible {pending}")

    def close(self) -> None:
        self.deployment.dispose(keep=self.args.keep)
        self.report.uptime_end = uptime()
        self.say(f"uptime at end: {self.report.uptime_end}")
        if self.args.keep:
            self.say(f"state kept in {self.root}")


def _rates_arg(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of rates: {text}") from exc
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive")
    return rates


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rates", type=_rates_arg, default=list(DEFAULT_RATES), help="events/s per step, e.g. 100,500,1000"
    )
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S, help="seconds per step (default 60)")
    parser.add_argument("--warmup-s", type=float, default=DEFAULT_WARMUP_S, help="unmeasured first step (default 10)")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS, help="partitions per topic")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="cxpulse worker processes")
    add_ingest_processes_argument(parser)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="connections at most")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator seed")
    parser.add_argument(
        "--poll-every", type=int, default=DEFAULT_POLL_EVERY, help="poll `messages` for 1 in N messages (0: off)"
    )
    parser.add_argument("--poll-interval", type=float, default=DEFAULT_POLL_INTERVAL_S, help="seconds between polls")
    parser.add_argument("--drain-timeout", type=float, default=DEFAULT_DRAIN_TIMEOUT_S, help="wait after a step")
    parser.add_argument("--target-p99", type=float, default=TARGET_P99_S, help="freshness target, seconds")
    parser.add_argument(
        "--progress-interval", type=float, default=DEFAULT_PROGRESS_INTERVAL_S, help="seconds between progress lines"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON to this path")
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs, data) for inspection")
    args = parser.parse_args(argv)
    if min(args.partitions, args.workers, args.concurrency) < 1 or args.duration <= 0 or args.poll_interval <= 0:
        parser.error("--partitions, --workers, --concurrency, --duration and --poll-interval must be positive")
    if args.poll_every < 0 or args.warmup_s < 0:
        parser.error("--poll-every and --warmup-s must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = FreshnessRun(args)
    code = run_and_report(run, render, report_json, args.json)
    return code


if __name__ == "__main__":
    sys.exit(main())
