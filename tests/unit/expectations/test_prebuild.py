"""The quality agent's validator, built ahead in a thread by ``cxpulse worker``: taken once, for its settings."""

from __future__ import annotations

import asyncio
import threading

import pytest

import expectations.validate
from cxpulse.settings import QualitySettings
from streams import quality


class _FakeValidator:
    """Records which thread built it; stands in for GX (seconds to build)."""

    built: list[_FakeValidator] = []

    def __init__(self, cfg: QualitySettings) -> None:
        if cfg.batch_size == 13:
            raise RuntimeError("suite failed to load")
        self.settings = cfg
        self.thread = threading.current_thread().name
        _FakeValidator.built.append(self)


@pytest.fixture(autouse=True)
def fake_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    _FakeValidator.built = []
    monkeypatch.setattr(expectations.validate, "Validator", _FakeValidator)
    monkeypatch.setattr(quality, "_prebuilt", None)


def test_prebuilt_validator_is_built_in_its_thread_and_taken_once() -> None:
    cfg = QualitySettings()
    quality.prebuild_validator(cfg)
    first = asyncio.run(quality._validator(cfg))
    assert first.thread == "cxpulse-gx-prebuild"
    second = asyncio.run(quality._validator(cfg))  # an agent restart builds its own
    assert second is not first
    assert len(_FakeValidator.built) == 2


def test_prebuilt_validator_for_other_settings_is_not_used() -> None:
    quality.prebuild_validator(QualitySettings(batch_size=7))
    validator = asyncio.run(quality._validator(QualitySettings(batch_size=9)))
    assert validator.settings.batch_size == 9


def test_prebuild_failure_reaches_the_agent() -> None:
    quality.prebuild_validator(QualitySettings(batch_size=13))
    with pytest.raises(RuntimeError, match="suite failed to load"):
        asyncio.run(quality._validator(QualitySettings(batch_size=13)))


def test_without_prebuild_the_agent_builds_one() -> None:
    validator = asyncio.run(quality._validator(QualitySettings()))
    assert validator.thread != "cxpulse-gx-prebuild"
