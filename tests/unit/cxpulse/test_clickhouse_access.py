"""How every cxpulse component gets its ClickHouse credentials, and that URLs never print their passwords."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from cxpulse import cli
from cxpulse.settings import ClickHouseSettings, Settings
from cxpulse.urls import is_loopback_host, mask_url

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def test_the_local_stack_url_uses_the_secret_in_its_state_dir(tmp_path: Path) -> None:
    settings = Settings(stack={"state_dir": tmp_path / "state"})
    secret = tmp_path / "state" / "secrets" / "clickhouse"
    assert settings.clickhouse.password_file == secret
    with pytest.raises(FileNotFoundError, match="cxpulse stack up"):
        settings.clickhouse.credentials()
    secret.parent.mkdir(parents=True)
    secret.write_text("generated-by-the-stack\n")
    assert settings.clickhouse.credentials() == ("default", "generated-by-the-stack")
    # a copied section keeps its password source (integration deployments share the stack's ClickHouse)
    copy = settings.clickhouse.model_copy(update={"database": "t_1"})
    assert copy.credentials() == ("default", "generated-by-the-stack")


@pytest.mark.parametrize(
    ("clickhouse", "expected"),
    [
        ({"password": SecretStr("configured")}, ("default", "configured")),
        ({"url": "http://reader:in-url@127.0.0.1:8123"}, ("reader", "in-url")),
        ({"url": "https://ch.example:8443"}, ("default", "")),  # not the local stack: nothing invented
        ({"url": "http://ch.example:8123"}, ("default", "")),
    ],
)
def test_configured_or_remote_credentials_are_left_alone(
    tmp_path: Path, clickhouse: dict[str, object], expected: tuple[str, str]
) -> None:
    settings = Settings(stack={"state_dir": tmp_path / "state"}, clickhouse=ClickHouseSettings(**clickhouse))
    assert settings.clickhouse.password_file is None
    assert settings.clickhouse.credentials() == expected


def test_a_password_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-a-mounted-secret\n")
    section = ClickHouseSettings(url="http://ch.example:8123", password_file=tmp_path / "pw")
    assert section.credentials() == ("default", "from-a-mounted-secret")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("http://u:p4ss@127.0.0.1:8123/", "http://u:***@127.0.0.1:8123/"),
        ("http://u:p@ss,w0rd@ch:8123/db", "http://u:***@ch:8123/db"),  # unencoded @ and , in the password
        ("https://token@ch.example/", "https://***@ch.example/"),
        ("http://ch:8123/?user=u&password=p4ss", "http://ch:8123/?user=u&password=***"),
        ("b1:9092,u:p4ss@b2:9092", "b1:9092,u:***@b2:9092"),
        ("SASL_SSL://u:p4ss@b1:9093", "SASL_SSL://u:***@b1:9093"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("127.0.0.1:9092", "127.0.0.1:9092"),
    ],
)
def test_mask_url(raw: str, masked: str) -> None:
    assert mask_url(raw) == masked


def test_loopback_names_are_decided_without_dns() -> None:
    assert all(map(is_loopback_host, ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]))
    assert not any(map(is_loopback_host, ["0.0.0.0", "10.0.0.1", "ch.example", "localhost.example.com", ""]))


def test_cxpulse_config_prints_no_url_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLICKHOUSE_URL", "http://reader:ch-secret-1@127.0.0.1:8123")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "worker:kafka-secret-2@127.0.0.1:9092")
    cli.load_settings.cache_clear()
    try:
        assert cli.main(["config"]) == 0
    finally:
        cli.load_settings.cache_clear()
    printed = capsys.readouterr().out
    assert "ch-secret-1" not in printed and "kafka-secret-2" not in printed
    shown = json.loads(printed)
    assert shown["clickhouse"]["url"] == "http://reader:***@127.0.0.1:8123"
    assert shown["kafka"]["bootstrap_servers"] == "worker:***@127.0.0.1:9092"
