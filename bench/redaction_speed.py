"""Messages per second: our analyzer vs Presidio's default ``analyze()`` loop, same corpus, same run.

    .venv/bin/python -m bench.redaction_speed [--size 2000] [--baseline-size 600] [--seed 7]

Model loading is excluded from every figure (the worker loads once). Every "ours" run starts with a cold cache;
the cache-off run shows what batching, the NER-only pipeline and the gates alone give.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from bench.redaction_corpus import generate_corpus
from bench.redaction_eval import PresidioDefault
from cxpulse.settings import RedactionSettings, Settings
from streams.redact.analyzer import FastAnalyzer

_analyzer: FastAnalyzer | None = None
_BATCH = 64


def _init(settings: RedactionSettings) -> None:
    global _analyzer
    logging.basicConfig(level=logging.ERROR)
    _analyzer = FastAnalyzer(settings)


def _run(texts: list[str]) -> int:
    assert _analyzer is not None
    for i in range(0, len(texts), _BATCH):
        _analyzer.analyze_batch(texts[i:i + _BATCH])
    return len(texts)


def _ours(settings: RedactionSettings, texts: list[str]) -> float:
    analyzer = FastAnalyzer(settings)
    analyzer.analyze_batch(["warm up the model, Priya"])
    analyzer._cache.clear()  # noqa: SLF001 - cold cache for the measurement
    started = time.perf_counter()
    for i in range(0, len(texts), _BATCH):
        analyzer.analyze_batch(texts[i:i + _BATCH])
    return len(texts) / (time.perf_counter() - started)


def _ours_processes(settings: RedactionSettings, texts: list[str], processes: int) -> float:
    # Conversations are spread over partitions, one worker process each: split the stream the same way.
    parts = [texts[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init, initargs=(settings,)) as pool:
        list(pool.map(_run, [["warm up, Priya"]] * processes))
        started = time.perf_counter()
        total = sum(pool.map(_run, parts))
        return total / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--baseline-size", type=int, default=600, help="messages for the (slow) baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    settings = Settings().redaction
    texts = [c.text for c in generate_corpus(args.size, args.seed)]

    baseline = PresidioDefault(settings)
    base_texts = texts[: args.baseline_size]
    baseline.analyze(["warm up, Priya"])
    started = time.perf_counter()
    baseline.analyze(base_texts)
    base_rate = len(base_texts) / (time.perf_counter() - started)

    no_cache = _ours(settings.model_copy(update={"cache_size": 0}), texts)
    one = _ours(settings, texts)
    many = _ours_processes(settings, texts, args.processes)
    print(f"corpus: {len(texts)} chat messages (seed {args.seed}); baseline on the first {len(base_texts)}")
    print(f"presidio default analyze() loop, 1 process : {base_rate:8.0f} msg/s")
    print(f"ours, 1 process, cache off                 : {no_cache:8.0f} msg/s  ({no_cache / base_rate:5.1f}x)")
    print(f"ours, 1 process                            : {one:8.0f} msg/s  ({one / base_rate:5.1f}x)")
    print(f"ours, {args.processes} processes                          : {many:8.0f} msg/s  "
          f"({many / base_rate:5.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
