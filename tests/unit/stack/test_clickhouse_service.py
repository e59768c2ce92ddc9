"""``cxpulse stack up`` for ClickHouse: where the front may listen, and how it gets its password (no process runs)."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from cxpulse.settings import Settings
from cxpulse.stack.chguard import PASSWORD_ENV
from cxpulse.stack.clickhouse import ClickHouseService
from cxpulse.stack.process import StackError

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(tmp_path: Path, url: str, **stack: object) -> Settings:
    return Settings(clickhouse={"url": url}, stack={"state_dir": tmp_path / "state", **stack})


def _service(tmp_path: Path, url: str, **stack: object) -> ClickHouseService:
    return ClickHouseService(_settings(tmp_path, url, **stack))


def test_a_non_loopback_address_is_refused_before_anything_starts(tmp_path: Path) -> None:
    service = _service(tmp_path, f"http://0.0.0.0:{_free_port()}")
    with pytest.raises(StackError, match="clickhouse_allow_remote_bind"):
        service.up()
    assert service.process.pid() is None
    assert not (tmp_path / "state" / "secrets").exists()


def test_the_generated_password_goes_to_the_front_by_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, f"http://127.0.0.1:{_free_port()}")
    service = ClickHouseService(settings)
    started: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(
        service.process, "start", lambda: started.append((list(service.process.command), service.process.env))
    )
    monkeypatch.setattr(service, "is_healthy", lambda: True)
    assert service.up() == "started"

    secret_file = tmp_path / "state" / "secrets" / "clickhouse"
    password = secret_file.read_text().strip()
    assert len(password) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret_file.parent.stat().st_mode) == 0o700
    command, env = started[0]
    assert env[PASSWORD_ENV] == password
    assert password not in " ".join(command)
    assert "--user=default" in command and "--allow-remote-bind" not in command
    # and every client of the same settings sends exactly that password
    assert settings.clickhouse.credentials() == ("default", password)


def test_a_remote_bind_is_passed_on_only_when_configured(tmp_path: Path) -> None:
    service = _service(
        tmp_path,
        f"http://0.0.0.0:{_free_port()}",
        clickhouse_allow_remote_bind=True,
        clickhouse_allowed_hosts=["ch.internal"],
    )
    assert "--allow-remote-bind" in service.process.command
    assert "--allowed-host=ch.internal" in service.process.command
