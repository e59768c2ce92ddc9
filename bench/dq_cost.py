"""What the data-quality guard costs: validation time per 1,000-event batch and its share of worker CPU.

Run: ``.venv/bin/python bench/dq_cost.py [--batch 1000] [--repeat 30] [--rate 1000] [--reference] [--no-freeze]``

Events are the simulator's webhooks normalised to canonical events (as the redaction stage emits them).
Two batches are timed: a clean one (fast path only) and one with 2 % bad events (fast path + detailed pass).
The guard is what the quality agent runs per batch: decoding the record values and ``Validator.validate``.
The baseline, measured in the same run on the same batch, is what any consumer of the redacted topic pays
anyway: decoding the JSON values and validating them as :class:`ConversationEvent`. CPU time is process CPU
(``time.process_time``): other processes on a shared machine inflate wall time much more than these figures,
but not nothing (they share caches and cores), so note the load average with every figure and compare
ratios from one run; the three workloads take turns round by round, and the median decides (min: the least
disturbed round). The share of worker CPU is the guard's CPU seconds per second at ``--rate`` events/s,
as a share of one core (the worker is one Python process, so one core is what it has).

``--reference`` runs GX's public ``Batch.validate`` every batch instead of the prepared plan
(:mod:`expectations.plan`); ``--no-freeze`` skips the ``gc.freeze()`` the worker does after start-up.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxpulse.settings import QualitySettings, RoleRules, SimulatorSettings  # noqa: E402
from cxpulse.simulate import generate_posts  # noqa: E402
from schemas.events import ConversationEvent  # noqa: E402
from schemas.twilio import from_webhook_form  # noqa: E402

_BAD_SHARE = 0.02


def _events(count: int) -> list[bytes]:
    posts = generate_posts(seed=11, settings=SimulatorSettings(), start=datetime.now(UTC) - timedelta(hours=1))
    values = []
    for post in itertools.islice(posts, count):
        event = from_webhook_form(post.form, rules=RoleRules())
        values.append(event.model_copy(update={"redacted": True}).to_json())
    return values


def _with_bad(values: list[bytes]) -> list[bytes]:
    """Every 50th event broken in a different way (2 %)."""
    out = list(values)
    step = int(1 / _BAD_SHARE)
    breakers = [
        lambda d: d.update(conversation_sid="CH" + "z" * 32),
        lambda d: d.update(occurred_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()),
        lambda d: d.update(account_sid="XX" + "0" * 32),
        lambda d: d.update(channel="pigeon"),
    ]
    for n, position in enumerate(range(0, len(out), step)):
        record = json.loads(out[position])
        breakers[n % len(breakers)](record)
        out[position] = json.dumps(record).encode()
    return out


def _measure(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, dict[str, float]]:
    """CPU and wall seconds per call of each function: median and min over ``repeat`` rounds.

    The functions take turns, round after round, so a burst of load from other processes hits them alike.
    """
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    wall: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    return {
        name: {"cpu": statistics.median(cpu[name]), "cpu_min": min(cpu[name]), "wall": statistics.median(wall[name])}
        for name in fns
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second the worker handles")
    parser.add_argument("--no-freeze", action="store_true", help="skip gc.freeze() after start-up (the worker does it)")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="validate with GX's public Batch.validate every batch instead of the prepared plan",
    )
    args = parser.parse_args()

    settings = QualitySettings(batch_size=args.batch)
    clean = _events(args.batch)
    dirty = _with_bad(clean)

    c0, w0 = time.process_time(), time.perf_counter()
    from expectations.validate import Validator, decode

    validator = Validator(settings, prepared=not args.reference)
    if not args.no_freeze:
        gc.freeze()  # as the quality agent does once its Validator is built (streams/quality.py)
    print(
        f"startup (import GX + build suites + plan, once per worker): cpu {time.process_time() - c0:.2f} s, "
        f"wall {time.perf_counter() - w0:.2f} s; prepared plan: {validator.prepared}; "
        f"gc.freeze() after start-up: {not args.no_freeze}"
    )

    def baseline(values: list[bytes]) -> Callable[[], object]:
        return lambda: [ConversationEvent.model_validate_json(v) for v in values]

    def guard(values: list[bytes]) -> Callable[[], object]:
        return lambda: validator.validate([decode(v) for v in values], now=datetime.now(UTC))

    guard(clean)()  # warm-up: the first validation builds GX metric providers
    result = validator.validate([decode(v) for v in dirty], now=datetime.now(UTC))
    assert len(result.failed) == len(range(0, args.batch, int(1 / _BAD_SHARE))), "the bench's bad events"

    batches = args.rate / args.batch
    print(
        f"batch = {args.batch} events, repeat = {args.repeat}, rate = {args.rate:.0f} events/s "
        f"({batches:.2f} batches/s); expectations = {sum(len(s.expectations) for s in validator.suites)} "
        f"in {len(validator.suites)} suites, run as {validator.gx_expectations} GX expectations"
    )
    labels = {"clean": "clean batch (fast path)", "dirty": "2% bad (fast + detail)"}
    timing = _measure({"baseline": baseline(clean), "clean": guard(clean), "dirty": guard(dirty)}, args.repeat)
    base = timing["baseline"]
    print(
        f"baseline  {'decode + ConversationEvent':<28} cpu {base['cpu'] * 1000:7.1f} ms "
        f"(min {base['cpu_min'] * 1000:6.1f})  wall {base['wall'] * 1000:7.1f} ms"
    )
    shares = {}
    for name, label in labels.items():
        t = timing[name]
        shares[name] = t["cpu"] * batches
        print(
            f"guard     {label:<28} cpu {t['cpu'] * 1000:7.1f} ms (min {t['cpu_min'] * 1000:6.1f})  "
            f"wall {t['wall'] * 1000:7.1f} ms  = {t['cpu'] / base['cpu']:4.1f}x baseline; "
            f"worker CPU at {args.rate:.0f}/s: {shares[name]:6.1%} of a core (min {t['cpu_min'] * batches:.1%})"
        )
    worst = max(shares.values())
    print(f"target: guard < 10% of worker CPU (medians) -> {'MET' if worst < 0.10 else 'NOT MET'} (worst {worst:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
