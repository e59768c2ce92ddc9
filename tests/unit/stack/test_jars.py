"""The broker's jars are pinned: a swapped, missing or extra jar stops the broker from starting."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cxpulse.stack import jars
from cxpulse.stack.process import StackError


@pytest.fixture
def pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    libs = tmp_path / "libs"
    libs.mkdir()
    for name, content in {"kafka_2.13-9.9.jar": b"broker", "kafka-clients-9.9.jar": b"clients"}.items():
        (libs / name).write_bytes(content)
    manifest = tmp_path / "pins" / "kafka-9.9.sha512"
    jars.write_manifest(libs, "9.9", manifest)
    monkeypatch.setattr(jars, "manifest_for", lambda version: tmp_path / "pins" / f"kafka-{version}.sha512")
    return libs


def test_untouched_jars_pass(pinned: Path) -> None:
    jars.verify_jars(pinned, "9.9")


def test_a_swapped_jar_is_refused(pinned: Path) -> None:
    (pinned / "kafka-clients-9.9.jar").write_bytes(b"clients, with a backdoor")
    with pytest.raises(StackError, match="digest differs kafka-clients-9.9.jar"):
        jars.verify_jars(pinned, "9.9")


def test_an_extra_jar_on_the_class_path_is_refused(pinned: Path) -> None:
    (pinned / "agent.jar").write_bytes(b"anything")
    with pytest.raises(StackError, match="not pinned agent.jar"):
        jars.verify_jars(pinned, "9.9")


def test_a_missing_jar_is_refused(pinned: Path) -> None:
    (pinned / "kafka_2.13-9.9.jar").unlink()
    with pytest.raises(StackError, match="missing kafka_2.13-9.9.jar"):
        jars.verify_jars(pinned, "9.9")


def test_a_version_without_pins_is_refused(pinned: Path) -> None:
    with pytest.raises(StackError, match="no pinned digests for Kafka 1.0"):
        jars.verify_jars(pinned, "1.0")


def test_the_shipped_manifest_pins_the_configured_version() -> None:
    from cxpulse.settings import Settings

    version = Settings().stack.kafka_version
    pins = jars.read_manifest(jars.manifest_for(version))
    assert any(name.startswith("kafka_2.13-") for name in pins)
    assert all(len(digest) == 128 for digest in pins.values())


def test_the_cached_broker_jars_match_the_shipped_manifest() -> None:
    """Where this machine has the jar cache (CI after `stack up`), it must be exactly what the repo pins."""
    from cxpulse.settings import Settings
    from cxpulse.stack.kafka import KafkaService

    settings = Settings()
    libs = KafkaService(settings).libs_dir
    if not libs.is_dir():
        pytest.skip(f"no jar cache at {libs}")
    jars.verify_jars(libs, settings.stack.kafka_version)
    assert hashlib.sha512(next(libs.glob("kafka_2.13-*.jar")).read_bytes()).hexdigest() in set(
        jars.read_manifest(jars.manifest_for(settings.stack.kafka_version)).values()
    )
