"""A broker formatted before a role existed (``ingest``) gets that role's credential on the next ``stack up``,
without touching the credentials it already has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from cxpulse.kafka_auth import ROLES, local_password
from cxpulse.settings import Settings
from cxpulse.stack import kafka_security
from cxpulse.stack.process import StackError

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


class _Future:
    def __init__(self, value: object = None, error: KafkaError | None = None) -> None:
        self._value, self._error = value, error

    def result(self) -> object:
        if self._error is not None:
            raise KafkaException(self._error)
        return self._value


class _FakeAdmin:
    """A broker that knows the SCRAM credentials of ``known``; records what is upserted."""

    known: set[str] = set()
    describe_error: int | None = None
    upserted: list[str] = []

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def describe_user_scram_credentials(self, users: list[str], request_timeout: float) -> dict[str, _Future]:
        def answer(user: str) -> _Future:
            if self.describe_error is not None:
                return _Future(error=KafkaError(self.describe_error))
            if user in self.known:
                return _Future(value=object())
            return _Future(error=KafkaError(KafkaError.RESOURCE_NOT_FOUND))

        return {user: answer(user) for user in users}

    def alter_user_scram_credentials(self, upserts: list[Any], request_timeout: float) -> dict[str, _Future]:
        _FakeAdmin.upserted += [u.user for u in upserts]
        return {u.user: _Future() for u in upserts}


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch) -> type[_FakeAdmin]:
    import confluent_kafka.admin

    monkeypatch.setattr(confluent_kafka.admin, "AdminClient", _FakeAdmin)
    _FakeAdmin.known, _FakeAdmin.describe_error, _FakeAdmin.upserted = {"admin", "worker", "reader"}, None, []
    return _FakeAdmin


def _settings(tmp_path: Path) -> Settings:
    return Settings(stack={"state_dir": tmp_path / "state", "kafka_security": "scram"})


def test_only_the_roles_the_broker_lacks_get_a_credential(tmp_path: Path, admin: type[_FakeAdmin]) -> None:
    settings = _settings(tmp_path)
    assert "ingest" in ROLES
    added = kafka_security.add_missing_credentials({}, kafka_security.all_credentials(settings))
    assert added == ["ingest"] and admin.upserted == ["ingest"], "existing passwords must stay as they are"
    admin.known.add("ingest")
    assert kafka_security.add_missing_credentials({}, kafka_security.all_credentials(settings)) == []
    assert local_password(settings, "ingest"), "the local stack keeps the new role's password in its state dir"


def test_a_broker_that_cannot_describe_credentials_stops_the_start(tmp_path: Path, admin: type[_FakeAdmin]) -> None:
    admin.describe_error = KafkaError.CLUSTER_AUTHORIZATION_FAILED
    with pytest.raises(StackError, match="could not describe"):
        kafka_security.add_missing_credentials({}, kafka_security.all_credentials(_settings(tmp_path)))
    assert admin.upserted == []
