"""Redaction on every core: a process pool of redactors, each with its own spaCy model and cache.

spaCy and the regex recognisers hold the GIL, so threads do not scale; processes do (one per core). With
``processes = 1`` the work runs in a thread of the worker process and no pool is started; the default
``processes = 0`` starts one process per usable core.

Processes start from a fork server that built one redactor first (:mod:`streams.redact.preload`): they inherit
it instead of each loading spaCy and the recognisers again, so a restarted worker redacts sooner.

Only raw record bytes go to a process and only outcomes (redacted events, audits, failure reasons) come back:
the model and the cache never cross a process boundary. A batch is cut into one contiguous slice per process,
so each process analyses its slice in one ``nlp.pipe`` call.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from cxpulse.settings import RedactionSettings

__all__ = ["RedactionPool", "start_fork_server"]

_redactor = None
_PRELOAD = "streams.redact.preload"


def _init(settings: RedactionSettings) -> None:
    global _redactor
    from streams.redact.engine import Redactor

    preload = sys.modules.get(_PRELOAD)  # present when forked from the fork server that imported it
    _redactor = (preload.redactor_for(settings) if preload is not None else None) or Redactor(settings)
    # The model, the gazetteer and the word tables live as long as the process: keep the collector from walking
    # them again on every collection the analysis's allocations trigger.
    gc.freeze()


def _run(records: list[tuple[bytes | None, bytes]]) -> list:
    from streams.redact.agent import redact_batch

    assert _redactor is not None, "pool process was not initialised"
    return redact_batch(_redactor, records)


def _warm(_: int) -> bool:
    return _redactor is not None


def start_fork_server() -> None:
    """Start the fork server now, before the worker imports and boots the rest: it builds the redactor while the
    worker does that, and every pool process started later forks from it (the server is one per process)."""
    import multiprocessing.forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload([_PRELOAD])
    multiprocessing.forkserver.ensure_running()


class RedactionPool:
    """Splits a batch of raw records over ``processes`` redactor processes; outcomes keep the input order.

    A process that dies (killed, out of memory) breaks the pool: :meth:`redact_records` then raises
    ``BrokenProcessPool`` and the caller fails the batch closed and starts a new pool.
    """

    def __init__(self, settings: RedactionSettings) -> None:
        self._processes = settings.analyzer_processes
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([_PRELOAD])
        self._executor = ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=context,
            initializer=_init,
            initargs=(settings,),
        )

    def warm_up(self) -> None:
        """Start every process and load its model now, not on the first batch."""
        list(self._executor.map(_warm, range(self._processes)))

    def redact_records(self, records: Sequence[tuple[bytes | None, bytes]]) -> list:
        size = max(1, -(-len(records) // self._processes))
        slices = [list(records[i : i + size]) for i in range(0, len(records), size)]
        outcomes: list = []
        for part in self._executor.map(_run, slices):
            outcomes.extend(part)
        return outcomes

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
