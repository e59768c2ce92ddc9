"""Fixtures shared by the unit tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The standard variable names settings also read (besides every ``CXPULSE_*``).
_STANDARD_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "CLICKHOUSE_URL", "CLICKHOUSE_CLUSTER")


@pytest.fixture
def defaults_only_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings from their defaults only: no ``cxpulse.toml`` (the test runs in an empty directory) and nothing of
    the developer's or CI's environment, so what a test asserts about defaults is what a fresh install gets."""
    for var in list(os.environ):
        if var.startswith("CXPULSE_") or var in _STANDARD_ENV:
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
