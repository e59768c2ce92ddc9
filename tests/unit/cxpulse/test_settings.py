"""Settings precedence: CXPULSE_* env > standard env names > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxpulse.settings import Settings

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def test_defaults_match_the_documented_addresses() -> None:
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert settings.clickhouse.url == "http://127.0.0.1:8123"
    assert (settings.ingest.host, settings.ingest.port) == ("127.0.0.1", 6066)
    assert settings.dashboard.port == 8501
    assert settings.twilio_auth_token is None


def test_toml_file_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cxpulse.toml").write_text("[kafka]\npartitions = 7\n[channels.sms]\nprice_per_message = 0.01\n")
    settings = Settings()
    assert settings.kafka.partitions == 7
    assert settings.channels["sms"].price_per_message == 0.01


def test_standard_env_names_override_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cxpulse.toml").write_text('[kafka]\nbootstrap_servers = "toml:1"\n')
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("CLICKHOUSE_URL", "https://ch.example:8443")
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "broker:9092"
    assert settings.clickhouse.url == "https://ch.example:8443"


def test_prefixed_env_wins_over_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("CXPULSE_KAFKA__BOOTSTRAP_SERVERS", "mine:19092")
    monkeypatch.setenv("CXPULSE_TWILIO_AUTH_TOKEN", "s3cret")
    monkeypatch.setenv("CXPULSE_PUBLIC_URL", "https://cx.example.com")
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "mine:19092"
    assert settings.twilio_auth_token is not None and settings.twilio_auth_token.get_secret_value() == "s3cret"
    assert settings.public_url == "https://cx.example.com"


def test_secrets_are_masked_when_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXPULSE_TWILIO_AUTH_TOKEN", "s3cret-token")
    dumped = str(Settings().masked())
    assert "s3cret-token" not in dumped
    assert "cxpulse-local-development-salt" not in dumped


def test_explicit_config_path_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXPULSE_CONFIG", "/nonexistent/cxpulse.toml")
    with pytest.raises(FileNotFoundError, match="CXPULSE_CONFIG"):
        Settings()


def test_unknown_keys_are_errors_not_silently_ignored(tmp_path: Path) -> None:
    (tmp_path / "cxpulse.toml").write_text("[kafka]\npartitons = 3\n")
    with pytest.raises(ValueError, match="partitons"):
        Settings()


def test_topic_names_carry_the_prefix() -> None:
    settings = Settings(kafka={"topic_prefix": "t1."})
    assert settings.topic("cx.events.redacted") == "t1.cx.events.redacted"


def test_static_group_instance_id_is_unique_per_worker_and_stable_across_restarts() -> None:
    one = Settings(worker={"app_id": "cx"}, ingest={"port": 8081})
    assert one.group_instance_id() == Settings(worker={"app_id": "cx"}, ingest={"port": 8081}).group_instance_id()
    assert one.group_instance_id() != Settings(worker={"app_id": "cx"}, ingest={"port": 8082}).group_instance_id()
    assert Settings(kafka={"group_instance_id": "cx-a"}).group_instance_id() == "cx-a"
    assert Settings(kafka={"static_membership": False}).group_instance_id() is None
