"""Where the data-quality validation runs: in a process of its own (the default) or in a worker thread.

Why a process: Great Expectations and pandas take about 3 s of CPU to import, and once imported the validation
holds the GIL for its whole batch. In the worker's main process that import was the last thing a restarted
worker waited for (its build thread and the start of faust competed for the one GIL: processing resumed 8-12 s
after a kill -9, target 10 s), and every validation took CPU from the process that runs faust's per-record
machinery (the pipeline's bottleneck, docs/performance.md). In a process of its own, started first thing in
``cxpulse worker``, GX imports on the other core while the worker boots, and validates there.

Only record bytes go to the process and only a :class:`StageVerdict` comes back: positions of the events that
passed (the agent forwards their original bytes), the failed events with their reasons, and the statistics.
A process that dies is replaced and the batch is validated again: nothing was acknowledged, so nothing is lost.

``[quality] separate_process = false`` validates in a thread of the worker instead (the validator is then
built in a thread started at the same moment), for small deployments and tests.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cxpulse.settings import QualitySettings
from expectations.results import ExpectationStat, FailedEvent, decode

if TYPE_CHECKING:
    from expectations.validate import Validator

__all__ = ["QualityRunner", "StageVerdict", "runner_for", "start_quality_runner", "verdict_of"]

log = logging.getLogger(__name__)

_started: QualityRunner | None = None
#: The validator of a validation process (set by its initializer).
_process_validator: Validator | None = None


@dataclass(frozen=True)
class StageVerdict:
    """What the agent needs from a validation: which records passed, which failed and why, the statistics."""

    passed: tuple[int, ...]
    failed: tuple[FailedEvent, ...]
    stats: tuple[ExpectationStat, ...]
    duration_s: float


def verdict_of(validator: Validator, values: Sequence[bytes | None], now: datetime, batch_id: str) -> StageVerdict:
    """Decode and validate one micro-batch of record values."""
    result = validator.validate([decode(v) for v in values], now=now, batch_id=batch_id)
    return StageVerdict(
        passed=tuple(p.position for p in result.passed),
        failed=result.failed,
        stats=result.stats,
        duration_s=result.duration_s,
    )


def _build(cfg: QualitySettings) -> Validator:
    from expectations.validate import Validator

    return Validator(cfg)


def _init_process(cfg: QualitySettings) -> None:
    global _process_validator
    _process_validator = _build(cfg)
    # GX's import leaves ~260,000 long-lived objects; every full collection the validation's allocations trigger
    # would walk them all again (GC time per 1,000-event batch: 8 → 2 ms quiet, 19 → 5 ms on a busy machine).
    gc.freeze()


def _validate_in_process(values: list[bytes | None], now: datetime, batch_id: str) -> StageVerdict:
    assert _process_validator is not None, "validation process was not initialised"
    return verdict_of(_process_validator, values, now, batch_id)


def _ready() -> bool:
    return _process_validator is not None


class QualityRunner:
    """Validates micro-batches in a process of its own, or in a thread (module doc); built for one config."""

    def __init__(self, cfg: QualitySettings) -> None:
        self.cfg = cfg
        self._executor: ProcessPoolExecutor | None = None
        self._validator: Future[Validator] | None = None

    def start(self) -> None:
        """Start building the validator now (a process, or a thread): the agent only waits for what is left."""
        if self.cfg.separate_process:
            self._start_process()
            return
        future: Future[Validator] = Future()

        def build() -> None:
            try:
                future.set_result(_build(self.cfg))
            except BaseException as exc:  # the agent re-raises it where faust reports agent crashes
                future.set_exception(exc)

        self._validator = future
        threading.Thread(target=build, name="cxpulse-gx-build", daemon=True).start()

    def _start_process(self) -> None:
        # spawn: a clean interpreter, safe to start again later from a worker that runs threads (a fork is not)
        self._executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_process,
            initargs=(self.cfg,),
        )
        self._executor.submit(_ready)  # starts the process and its GX import now

    async def validate(self, values: list[bytes | None], now: datetime, batch_id: str) -> StageVerdict:
        """The batch's verdict; a validation process that died is replaced and the batch validated again."""
        if self._validator is not None:
            validator = await asyncio.wrap_future(self._validator)
            return await asyncio.to_thread(verdict_of, validator, values, now, batch_id)
        if self._executor is None:
            self._start_process()
        assert self._executor is not None
        try:
            return await asyncio.wrap_future(self._executor.submit(_validate_in_process, values, now, batch_id))
        except BrokenProcessPool:
            log.warning("data-quality process died; starting a new one and validating the batch again")
            self.close()
            self._start_process()
            return await asyncio.wrap_future(self._executor.submit(_validate_in_process, values, now, batch_id))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def start_quality_runner(cfg: QualitySettings) -> QualityRunner:
    """Start the worker's validator first thing (see the module doc); the quality agent picks it up."""
    global _started
    _started = QualityRunner(cfg)
    _started.start()
    return _started


def runner_for(cfg: QualitySettings) -> QualityRunner:
    """The runner :func:`start_quality_runner` started for these settings, else a new one (an agent restart, a
    test, another configuration)."""
    global _started
    runner, _started = _started, None
    if runner is not None and runner.cfg == cfg:
        return runner
    if runner is not None:
        runner.close()
    fresh = QualityRunner(cfg)
    fresh.start()
    return fresh
