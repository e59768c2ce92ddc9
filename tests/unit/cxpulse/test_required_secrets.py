"""Secrets with no safe default: the worker refuses without them, the demo makes local ones, children get
only the secrets their kind uses."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from cxpulse.required_secrets import MissingSecretsError, missing_secrets, require_secrets, with_local_secrets
from cxpulse.secret_env import child_environment
from cxpulse.settings import QaSettings, RedactionSettings, Settings
from cxpulse.stack.process import ManagedProcess, wait_until
from cxpulse.stack.secrets import local_secret, private_dir
from cxpulse.worker import run_worker


def _settings(tmp_path: Path, *, salt: str | None = None, qa_salt: str | None = None) -> Settings:
    return Settings(
        twilio_auth_token=SecretStr("t"),
        stack={"state_dir": tmp_path / "state"},
        redaction=RedactionSettings(pseudonym_salt=SecretStr(salt) if salt is not None else None),
        qa=QaSettings(random_salt=SecretStr(qa_salt) if qa_salt is not None else None),
    )


def test_no_salt_has_a_public_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CXPULSE_REDACTION__PSEUDONYM_SALT", "CXPULSE_QA__RANDOM_SALT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.redaction.pseudonym_salt is None
    assert settings.qa.random_salt is None


def test_the_worker_refuses_to_start_without_the_salts_and_says_how_to_set_them(tmp_path: Path) -> None:
    with pytest.raises(MissingSecretsError) as refused:
        run_worker(_settings(tmp_path), migrate=False)  # refused before touching Kafka or ClickHouse
    message = str(refused.value)
    assert "CXPULSE_REDACTION__PSEUDONYM_SALT" in message
    assert "CXPULSE_QA__RANDOM_SALT" in message
    assert "--demo" in message


def test_a_blank_salt_counts_as_missing(tmp_path: Path) -> None:
    missing = missing_secrets(_settings(tmp_path, salt="  ", qa_salt="q"))
    assert [s.env_var for s in missing] == ["CXPULSE_REDACTION__PSEUDONYM_SALT"]


def test_set_salts_pass(tmp_path: Path) -> None:
    require_secrets(_settings(tmp_path, salt="s" * 32, qa_salt="q" * 32))


def test_demo_salts_are_random_kept_private_and_stable(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    first = with_local_secrets(_settings(tmp_path), env)
    require_secrets(first)
    salt = first.redaction.pseudonym_salt
    assert salt is not None and len(salt.get_secret_value()) >= 32
    assert env["CXPULSE_REDACTION__PSEUDONYM_SALT"] == salt.get_secret_value()
    again = with_local_secrets(_settings(tmp_path), {})
    assert again.redaction.pseudonym_salt == salt, "a restart keeps the customers' pseudonyms"
    other = with_local_secrets(_settings(tmp_path / "other"), {})
    assert other.redaction.pseudonym_salt != salt, "each state dir invents its own"
    secrets_dir = tmp_path / "state" / "secrets"
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in secrets_dir.iterdir())


def test_configured_salts_are_not_replaced_by_demo_ones(tmp_path: Path) -> None:
    settings = with_local_secrets(_settings(tmp_path, salt="mine", qa_salt="ours"), {})
    assert settings.redaction.pseudonym_salt == SecretStr("mine")
    assert settings.qa.random_salt == SecretStr("ours")


def test_private_dir_tightens_an_existing_world_readable_dir(tmp_path: Path) -> None:
    loose = tmp_path / "state"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    private_dir(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_local_secret_rejects_path_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        local_secret(tmp_path, "../escape")


BASE = {
    "PATH": "/usr/bin",
    "CXPULSE_TWILIO_AUTH_TOKEN": "tok",
    "CXPULSE_TWILIO_SECONDARY_AUTH_TOKEN": "tok2",
    "CXPULSE_REDACTION__PSEUDONYM_SALT": "salt",
    "CXPULSE_QA__RANDOM_SALT": "qa",
    "CXPULSE_DASHBOARD__PASSWORD": "pw",
    "CLICKHOUSE_URL": "http://127.0.0.1:8123",
}


def test_the_dashboard_never_receives_the_twilio_token_or_the_salts() -> None:
    env = child_environment("dashboard", {"CXPULSE_TWILIO_AUTH_TOKEN": "generated"}, base=BASE)
    assert set(env) == {"PATH", "CXPULSE_DASHBOARD__PASSWORD", "CLICKHOUSE_URL"}


def test_the_worker_gets_its_secrets_but_not_the_dashboard_password() -> None:
    env = child_environment("worker", base=BASE)
    assert "CXPULSE_DASHBOARD__PASSWORD" not in env
    assert env["CXPULSE_TWILIO_AUTH_TOKEN"] == "tok" and env["CXPULSE_REDACTION__PSEUDONYM_SALT"] == "salt"


def test_stack_services_get_no_application_secret() -> None:
    env = child_environment("service", base=BASE)
    assert set(env) == {"PATH", "CLICKHOUSE_URL"}


def test_a_stack_service_starts_in_private_dirs_without_application_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXPULSE_TWILIO_AUTH_TOKEN", "forge-me")
    monkeypatch.setenv("CXPULSE_REDACTION__PSEUDONYM_SALT", "reverse-me")
    service = ManagedProcess(
        name="probe",
        command=[sys.executable, "-c", "import os; print(sorted(k for k in os.environ if k.startswith('CXPULSE')))"],
        run_dir=tmp_path / "state" / "run",
        log_dir=tmp_path / "state" / "logs",
    )
    service.start()
    assert wait_until(lambda: service.pid() is None and "[" in service.log_tail(), 30)
    assert "CXPULSE_TWILIO_AUTH_TOKEN" not in service.log_tail()
    assert "CXPULSE_REDACTION__PSEUDONYM_SALT" not in service.log_tail()
    for folder in (service.run_dir, service.log_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_settings_error_never_echoes_a_secret() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as bad:
        Settings(redaction={"pseudonym_salt": "s3cr3t-salt-value", "batch_size": -1})
    assert "batch_size" in str(bad.value)
    assert "s3cr3t-salt-value" not in str(bad.value)
