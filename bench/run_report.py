"""The shell every bench's ``main`` shares: run, keep what was measured when it fails, print, write JSON.

A bench interrupted or failing halfway still has figures worth reading (how far it got, which stage had caught up);
so the run's exception becomes one of the report's errors, the report is printed anyway, and the exit code says 2.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

__all__ = ["BenchRun", "run_and_report"]

#: Exit code of a bench that did not finish (interrupted, or an exception).
UNFINISHED = 2


class BenchRun(Protocol):
    """A bench run: ``run()`` measures into ``report`` (which has an ``errors`` list), ``close()`` cleans up."""

    report: Any

    def run(self) -> None: ...

    def close(self) -> None: ...


def run_and_report(
    run: BenchRun,
    render: Callable[[Any], str],
    report_json: Callable[[Any], str],
    json_path: Path | None,
    *,
    after_render: Callable[[Any], None] | None = None,
) -> int:
    """Run, always close, print the rendered report (then ``after_render``), write the JSON; 2 if unfinished, else 0."""
    code = 0
    try:
        run.run()
    except KeyboardInterrupt:
        run.report.errors.append("interrupted")
        code = UNFINISHED
    except Exception as exc:  # noqa: BLE001 - report what was measured, then fail
        run.report.errors.append(repr(exc))
        traceback.print_exc()
        code = UNFINISHED
    finally:
        run.close()
    print()
    print(render(run.report))
    if after_render is not None:
        after_render(run.report)
    if json_path is not None:
        json_path.write_text(report_json(run.report))
        print(f"\nreport written to {json_path}")
    return code
