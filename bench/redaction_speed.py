"""Messages per second: our analyzer vs Presidio's default ``analyze()`` loop, same corpus, same run.

    .venv/bin/python -m bench.redaction_speed [--corpus ours] [--size 2000] [--baseline-size 600] [--seed 7]
        [--processes N]

``--corpus`` is any corpus of ``bench.corpora`` (``ours``, the in-house corpus, by default, so figures stay
comparable with earlier runs; ``faker``, ``mimesis``, ``handwritten_test``, ``handwritten_blind2``, ...). A corpus
smaller than ``--size`` (the handwritten ones) is repeated up to it; then only the cache-off rows are fair.

Model loading is excluded from every figure (the worker loads once). Every "ours" run starts with a cold cache;
the cache-off runs show what batching, the NER-only pipeline, the pre-filter and the gates alone give.
``--processes`` defaults to ``[redaction] processes`` resolved as the worker resolves it (0 = one per core).

The machine may be shared, so the baseline is measured in two halves, one before and one after our runs, and
its rate is the total over both: a load change during the run then biases both sides alike. The load average
is printed with the figures, and single-process runs also report messages per CPU-second (``process_time``),
which other processes on the machine do not change.
"""

from __future__ import annotations

import argparse
import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from bench.corpora import CORPORA, load
from bench.redaction_eval import PresidioDefault
from cxpulse.settings import RedactionSettings, Settings
from streams.redact.analyzer import FastAnalyzer

_analyzer: FastAnalyzer | None = None
_WARM_UP = ["warm up the model, Priya, call +14155550123"]


def _init(settings: RedactionSettings) -> None:
    global _analyzer
    logging.basicConfig(level=logging.ERROR)
    _analyzer = FastAnalyzer(settings)
    _analyzer.analyze_batch(_WARM_UP)
    gc.freeze()  # as each pool process of the worker does after loading (streams/redact/pool.py)


def _run(texts: list[str], batch: int) -> int:
    assert _analyzer is not None
    _analyzer._cache.clear()  # noqa: SLF001 - every measurement starts with a cold cache
    for i in range(0, len(texts), batch):
        _analyzer.analyze_batch(texts[i : i + batch])
    return len(texts)


def _ours(settings: RedactionSettings, texts: list[str]) -> tuple[float, float]:
    """(messages per wall-clock second, messages per CPU second) in this process."""
    _init(settings)
    started, cpu = time.perf_counter(), time.process_time()
    _run(texts, settings.batch_size)
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu)


def _ours_processes(settings: RedactionSettings, texts: list[str], processes: int) -> float:
    # The worker hands each process a contiguous slice of every batch of ``batch_size`` records.
    batch, size = settings.batch_size, -(-settings.batch_size // processes)
    parts: list[list[str]] = [[] for _ in range(processes)]
    for start in range(0, len(texts), batch):
        chunk = texts[start : start + batch]
        for p in range(processes):
            parts[p].extend(chunk[p * size : (p + 1) * size])
    with ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("spawn"), initializer=_init, initargs=(settings,)
    ) as pool:
        list(pool.map(_run, [_WARM_UP] * processes, [size] * processes))
        started = time.perf_counter()
        total = sum(pool.map(_run, parts, [size] * processes))
        return total / (time.perf_counter() - started)


def _baseline(engine: PresidioDefault, texts: Sequence[str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds)."""
    started, cpu = time.perf_counter(), time.process_time()
    engine.analyze(texts)
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="ours", choices=sorted(CORPORA))
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--baseline-size", type=int, default=600, help="messages for the (slow) baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", type=int, default=None, help="default: [redaction] processes, resolved")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    settings = Settings().redaction
    processes = args.processes or settings.analyzer_processes
    texts = [c.text for c in load(args.corpus, args.size, args.seed)]
    repeats = -(-args.size // max(1, len(texts)))
    if repeats > 1:  # the handwritten corpora hold a few hundred messages: too few to time two processes
        texts = (texts * repeats)[: args.size]
    load_before = os.getloadavg()[0]

    baseline = PresidioDefault(settings)
    base_texts = texts[: args.baseline_size]
    half = len(base_texts) // 2
    baseline.analyze(_WARM_UP)
    first_wall, first_cpu = _baseline(baseline, base_texts[:half])

    no_cache = settings.model_copy(update={"cache_size": 0})
    rates: dict[str, tuple[float, float | None]] = {
        "ours, 1 process, cache off": _ours(no_cache, texts),
        "ours, 1 process": _ours(settings, texts),
    }
    if processes > 1:
        rates[f"ours, {processes} processes, cache off"] = (_ours_processes(no_cache, texts, processes), None)
        rates[f"ours, {processes} processes"] = (_ours_processes(settings, texts, processes), None)

    second_wall, second_cpu = _baseline(baseline, base_texts[half:])
    base_rate = len(base_texts) / (first_wall + second_wall)
    base_cpu_rate = len(base_texts) / (first_cpu + second_cpu)
    label = "presidio default analyze() loop, 1 process"
    distinct = len(set(texts))
    print(
        f"corpus {args.corpus}: {len(texts)} chat messages ({distinct} distinct, seed {args.seed}); baseline on "
        f"the first {len(base_texts)}, half before and half after ours"
    )
    if repeats > 1:
        print(
            f"the corpus is repeated to {len(texts)} messages: in the cache-on rows the repeats are cache hits, "
            "so read the cache-off rows"
        )
    print(f"load average (1 min): {load_before:.2f} at start, {os.getloadavg()[0]:.2f} at end; {os.cpu_count()} CPUs")
    width = max(len(k) for k in [label, *rates])
    print(f"{'':{width}}   {'wall clock':>21}   {'per CPU-second':>21}")
    print(f"{label:{width}} : {base_rate:8.0f} msg/s          {base_cpu_rate:8.0f} msg/s")
    for name, (rate, cpu_rate) in rates.items():
        cpu = f"{cpu_rate:8.0f} msg/s  ({cpu_rate / base_cpu_rate:5.1f}x)" if cpu_rate else ""
        print(f"{name:{width}} : {rate:8.0f} msg/s  ({rate / base_rate:5.1f}x)   {cpu}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
