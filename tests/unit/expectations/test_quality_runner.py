"""Where the quality agent validates: a process of its own started first thing by ``cxpulse worker`` (default),
or a thread; the started runner is taken once, for its settings."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

import expectations.validate
from cxpulse.settings import QualitySettings, RoleRules
from expectations.results import BatchResult, PassedEvent
from schemas.twilio import from_webhook_form
from streams import quality_runner
from streams.quality_runner import QualityRunner, StageVerdict, runner_for, start_quality_runner

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _FakeValidator:
    """Records which thread built it and passes every JSON object; stands in for GX (seconds to build)."""

    built: list[_FakeValidator] = []

    def __init__(self, cfg: QualitySettings) -> None:
        if cfg.batch_size == 13:
            raise RuntimeError("suite failed to load")
        self.settings = cfg
        self.thread = threading.current_thread().name
        _FakeValidator.built.append(self)

    def validate(self, records: list, *, now: datetime, batch_id: str) -> BatchResult:
        passed = tuple(PassedEvent(i, None) for i, r in enumerate(records) if r is not None)  # type: ignore[arg-type]
        return BatchResult(batch_id, passed, (), (), 0.0)


@pytest.fixture
def in_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    _FakeValidator.built = []
    monkeypatch.setattr(expectations.validate, "Validator", _FakeValidator)
    monkeypatch.setattr(quality_runner, "_started", None)


def _thread_cfg(**values: int) -> QualitySettings:
    return QualitySettings(separate_process=False, **values)


@pytest.mark.usefixtures("in_thread")
def test_the_started_runner_builds_in_its_thread_and_is_taken_once() -> None:
    cfg = _thread_cfg()
    started = start_quality_runner(cfg)
    first = runner_for(cfg)
    assert first is started
    verdict = asyncio.run(first.validate([b'{"a": 1}', b"not json"], NOW, "b1"))
    assert verdict.passed == (0,)
    assert _FakeValidator.built[0].thread == "cxpulse-gx-build"
    second = runner_for(cfg)  # an agent restart gets its own
    assert second is not first


@pytest.mark.usefixtures("in_thread")
def test_a_runner_started_for_other_settings_is_not_used() -> None:
    start_quality_runner(_thread_cfg(batch_size=7))
    assert runner_for(_thread_cfg(batch_size=9)).cfg.batch_size == 9


@pytest.mark.usefixtures("in_thread")
def test_a_build_failure_reaches_the_agent() -> None:
    runner = start_quality_runner(_thread_cfg(batch_size=13))
    with pytest.raises(RuntimeError, match="suite failed to load"):
        asyncio.run(runner.validate([b"{}"], NOW, "b1"))


_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "twilio" / "webhooks" / "onMessageAdded.json"
#: After the sample's timestamp, so it is not "in the future".
SAMPLE_NOW = datetime(2026, 3, 21, tzinfo=UTC)


def _event(i: int, **changes: object) -> bytes:
    """A redacted event as the redaction stage writes it, from a real Twilio webhook sample."""
    form = json.loads(_SAMPLE.read_text())["form"]
    event = from_webhook_form(form, rules=RoleRules(), received_at=SAMPLE_NOW)
    copy = event.model_copy(update={"redacted": True, "event_id": f"{event.event_id}-{i}", "index": i})
    return json.dumps({**json.loads(copy.model_dump_json()), **changes}).encode()


def test_the_validation_process_gives_the_verdict_of_an_in_thread_validator() -> None:
    """The real GX validator in a spawned process: same passed positions, failures and statistics as in a
    thread, and GX never imported into this process by the runner."""
    values = [_event(1), _event(2, index=-5), b"[]", _event(3), None]
    cfg = QualitySettings()
    here = expectations.validate.Validator(QualitySettings(separate_process=False))
    expected = quality_runner.verdict_of(here, values, SAMPLE_NOW, "batch-1")
    runner = QualityRunner(cfg)
    runner.start()
    try:
        verdict = asyncio.run(runner.validate(values, SAMPLE_NOW, "batch-1"))
    finally:
        runner.close()
    assert isinstance(verdict, StageVerdict)
    assert verdict.passed == expected.passed
    assert [f.position for f in verdict.failed] == [f.position for f in expected.failed]
    assert [f.primary.reason for f in verdict.failed] == [f.primary.reason for f in expected.failed]
    assert [(s.suite, s.expectation, s.success) for s in verdict.stats] == [
        (s.suite, s.expectation, s.success) for s in expected.stats
    ]
    assert verdict.passed  # the batch holds valid events, or the comparison proves little
    assert verdict.failed


def test_a_validation_process_that_dies_is_replaced_and_the_batch_validated_again() -> None:
    runner = QualityRunner(QualitySettings())
    runner.start()
    try:
        assert asyncio.run(runner.validate([_event(1)], SAMPLE_NOW, "b1")).passed == (0,)
        assert runner._executor is not None
        for process in runner._executor._processes.values():
            process.kill()
            process.join()
        assert asyncio.run(runner.validate([_event(2)], SAMPLE_NOW, "b2")).passed == (0,)
    finally:
        runner.close()
