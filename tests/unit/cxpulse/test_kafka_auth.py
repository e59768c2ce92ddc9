"""Kafka client security is built in one place, per role, for every client kind (confluent-kafka, aiokafka, faust)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from cxpulse.kafka_auth import (
    aiokafka_kwargs,
    child_env,
    confluent_config,
    faust_credentials,
    identity,
    pinned,
)
from cxpulse.settings import Settings

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def _settings(tmp_path: Path, security: str = "scram", **kafka: Any) -> Settings:
    return Settings(
        kafka={"bootstrap_servers": "127.0.0.1:19092", **kafka},
        stack={"state_dir": tmp_path / "state", "kafka_security": security},
    )


def test_a_stack_without_security_means_plaintext_and_no_faust_credentials(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "none")
    assert confluent_config(settings, "worker") == {
        "bootstrap.servers": "127.0.0.1:19092",
        "security.protocol": "PLAINTEXT",
    }
    assert faust_credentials(settings) is None
    assert aiokafka_kwargs(settings, "reader") == {
        "bootstrap_servers": "127.0.0.1:19092",
        "security_protocol": "PLAINTEXT",
    }
    assert not (tmp_path / "state" / "secrets").exists(), "no passwords are made for a broker without SCRAM"


def test_the_scram_stack_gives_each_role_its_own_principal_and_private_password(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    configs = {role: confluent_config(settings, role) for role in ("admin", "worker", "reader")}
    for role, config in configs.items():
        assert config["security.protocol"] == "SASL_PLAINTEXT"
        assert config["sasl.mechanism"] == "SCRAM-SHA-512"
        assert config["sasl.username"] == role
        secret = tmp_path / "state" / "secrets" / f"kafka-{role}"
        assert config["sasl.password"] == secret.read_text().strip()
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len({c["sasl.password"] for c in configs.values()}) == 3
    assert stat.S_IMODE((tmp_path / "state" / "secrets").stat().st_mode) == 0o700
    # asked again (another process with the same state dir): the same password
    assert confluent_config(settings, "worker")["sasl.password"] == configs["worker"]["sasl.password"]


def test_principal_names_come_from_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, worker_principal="cx-worker-eu")
    assert confluent_config(settings, "worker")["sasl.username"] == "cx-worker-eu"


def test_a_deployment_identity_is_used_for_every_role_the_process_plays(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        "none",  # the local stack's choice does not matter once the protocol is named
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-256",
        username="worker-7",
        password="pw-from-vault",
        ssl_ca_location="/etc/ssl/kafka-ca.pem",
    )
    for role in ("admin", "worker", "reader"):
        config = confluent_config(settings, role)
        assert (config["sasl.username"], config["sasl.password"]) == ("worker-7", "pw-from-vault")
        assert config["security.protocol"] == "SASL_SSL" and config["sasl.mechanism"] == "SCRAM-SHA-256"
        assert config["ssl.ca.location"] == "/etc/ssl/kafka-ca.pem"
    assert not (tmp_path / "state" / "secrets").exists(), "a deployment never reads or makes local passwords"


def test_sasl_without_a_password_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, security_protocol="SASL_PLAINTEXT", username="worker")
    with pytest.raises(ValueError, match="CXPULSE_KAFKA__PASSWORD"):
        confluent_config(settings, "worker")


def test_extra_client_keys_are_merged(tmp_path: Path) -> None:
    config = confluent_config(_settings(tmp_path), "reader", **{"group.id": "g", "enable.auto.commit": False})
    assert config["group.id"] == "g" and config["enable.auto.commit"] is False
    assert config["sasl.username"] == "reader"


def test_faust_credentials_reach_aiokafka_as_scram(tmp_path: Path) -> None:
    """What faust hands to each aiokafka client it makes (its own translation, not ours)."""
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    settings = _settings(tmp_path)
    auth = credentials_to_aiokafka_auth(faust_credentials(settings, "worker"))
    assert auth["security_protocol"] == "SASL_PLAINTEXT"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert auth["sasl_plain_username"] == "worker"
    assert auth["sasl_plain_password"] == confluent_config(settings, "worker")["sasl.password"]


def test_aiokafka_kwargs_match_the_confluent_identity(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    kwargs = aiokafka_kwargs(settings, "admin")
    config = confluent_config(settings, "admin")
    assert kwargs["sasl_plain_username"] == config["sasl.username"] == "admin"
    assert kwargs["sasl_plain_password"] == config["sasl.password"]
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT" and kwargs["ssl_context"] is None


def test_the_password_never_shows_in_a_repr(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    who = identity(settings, "worker")
    assert who.password and who.password not in repr(who)
    assert who.password not in repr(faust_credentials(settings))
    assert who.password not in str(pinned(settings, "worker"))


def test_a_child_with_another_state_dir_gets_the_role_identity_through_its_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test deployment's worker has a state dir of its own: the identity must travel in its environment."""
    parent = _settings(tmp_path)
    env = child_env(parent, "worker")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CXPULSE_STACK__STATE_DIR", str(tmp_path / "child-state"))
    child = Settings()
    assert confluent_config(child, "worker") | {"bootstrap.servers": "-"} == confluent_config(parent, "worker") | {
        "bootstrap.servers": "-"
    }
    assert not (tmp_path / "child-state").exists()


def test_the_kafka_password_is_masked_in_the_printed_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, security_protocol="SASL_SSL", username="worker", password="pw-from-vault")
    assert "pw-from-vault" not in str(settings.masked())
