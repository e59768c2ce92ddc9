"""One Great Expectations validator for the whole module tree: building it imports GX (≈ 2-4 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxpulse.settings import QualitySettings


@pytest.fixture(scope="session")
def quality_settings() -> QualitySettings:
    return QualitySettings()


@pytest.fixture(scope="session")
def validator(quality_settings: QualitySettings) -> Iterator[object]:
    from expectations.validate import Validator

    yield Validator(quality_settings)
