"""A bench that fails halfway still prints and writes what it measured, and says so in its exit code."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.run_report import UNFINISHED, run_and_report


@dataclass
class _Report:
    measured: int = 0
    errors: list[str] = field(default_factory=list)


class _Run:
    def __init__(self, fail: BaseException | None) -> None:
        self.report = _Report()
        self.fail = fail
        self.closed = False

    def run(self) -> None:
        self.report.measured = 7
        if self.fail is not None:
            raise self.fail

    def close(self) -> None:
        self.closed = True


def _json(report: _Report) -> str:
    return json.dumps({"measured": report.measured, "errors": report.errors})


@pytest.mark.parametrize(("fail", "code"), [(None, 0), (RuntimeError("broker gone"), UNFINISHED)])
def test_the_report_is_printed_and_written_whatever_happened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail: BaseException | None, code: int
) -> None:
    run = _Run(fail)
    seen: list[int] = []
    out = tmp_path / "r.json"
    result = run_and_report(run, lambda r: f"measured {r.measured}", _json, out, after_render=lambda r: seen.append(1))
    assert result == code and run.closed and seen == [1]
    assert "measured 7" in capsys.readouterr().out
    written = json.loads(out.read_text())
    assert written["measured"] == 7
    assert written["errors"] == ([] if fail is None else ["RuntimeError('broker gone')"])


def test_an_interrupt_is_reported_as_unfinished(tmp_path: Path) -> None:
    run = _Run(KeyboardInterrupt())
    assert run_and_report(run, str, _json, None) == UNFINISHED
    assert run.report.errors == ["interrupted"] and run.closed
