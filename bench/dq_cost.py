"""What the data-quality guard costs: validation time per 1,000-event batch and its share of worker CPU.

Run: ``.venv/bin/python bench/dq_cost.py [--batch 1000] [--repeat 20] [--rate 1000]``

Events are the simulator's webhooks normalised to canonical events (as the redaction stage emits them).
Two batches are timed: a clean one (fast path only) and one with 2 % bad events (fast path + detailed pass).
The baseline, measured in the same run on the same batch, is what any consumer of the redacted topic pays
anyway: decoding the JSON values and validating them as :class:`ConversationEvent`. CPU time is process CPU
(``time.process_time``), so other processes on a shared machine inflate wall time but not these figures.
The share of worker CPU is the guard's CPU seconds per second at ``--rate`` events/s, as a share of one core
(the worker is one Python process, so one core is what it has).
"""

from __future__ import annotations

import argparse
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
        event = from_webhook_form(post.form, idempotency_token=post.idempotency_token, rules=RoleRules())
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


def _cpu(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median CPU s, median wall s) per call."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second the worker handles")
    args = parser.parse_args()

    settings = QualitySettings(batch_size=args.batch)
    clean = _events(args.batch)
    dirty = _with_bad(clean)

    c0, w0 = time.process_time(), time.perf_counter()
    from expectations.validate import Validator, decode

    validator = Validator(settings)
    print(f"startup (import GX + build suites, once per worker): cpu {time.process_time() - c0:.2f} s, "
          f"wall {time.perf_counter() - w0:.2f} s")

    def baseline(values: list[bytes]) -> Callable[[], object]:
        return lambda: [ConversationEvent.model_validate_json(v) for v in values]

    def guard(values: list[bytes]) -> Callable[[], object]:
        return lambda: validator.validate([decode(v) for v in values], now=datetime.now(UTC))

    guard(clean)()  # warm-up: the first validation builds GX metric providers
    result = validator.validate([decode(v) for v in dirty], now=datetime.now(UTC))
    assert len(result.failed) == len(range(0, args.batch, int(1 / _BAD_SHARE))), "the bench's bad events"

    batches = args.rate / args.batch
    print(f"batch = {args.batch} events, repeat = {args.repeat}, rate = {args.rate:.0f} events/s "
          f"({batches:.2f} batches/s); expectations = {sum(len(s.expectations) for s in validator.suites)} "
          f"in {len(validator.suites)} suites")
    base_cpu, base_wall = _cpu(baseline(clean), args.repeat)
    print(f"baseline  decode + ConversationEvent      cpu {base_cpu * 1000:7.1f} ms  wall {base_wall * 1000:7.1f} ms")
    shares = {}
    for label, values in (("clean batch (fast path)", clean), ("2% bad (fast + detail)", dirty)):
        cpu, wall = _cpu(guard(values), args.repeat)
        shares[label] = cpu * batches
        print(f"guard     {label:<28} cpu {cpu * 1000:7.1f} ms  wall {wall * 1000:7.1f} ms  "
              f"= {cpu / base_cpu:5.1f}x baseline; worker CPU at {args.rate:.0f}/s: {cpu * batches:6.1%} of a core")
    worst = max(shares.values())
    print(f"target: guard < 10% of worker CPU -> {'MET' if worst < 0.10 else 'NOT MET'} (worst {worst:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
