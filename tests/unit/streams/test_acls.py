"""The Kafka ACL set: only the worker reads raw text or writes the redacted topic; ingest only writes the raw topic;
nothing else is granted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxpulse.settings import Settings
from schemas import topics as names
from streams import acls
from streams.acls import Grant, acl_set, restricted_topics, should_apply_acls
from streams.topics import topic_configs

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def _settings(tmp_path: Path, prefix: str = "", app_id: str = "cxpulse", **kafka: Any) -> Settings:
    return Settings(
        kafka={"topic_prefix": prefix, **kafka},
        worker={"app_id": app_id},
        stack={"state_dir": tmp_path / "state", "kafka_security": "scram"},
    )


def _allows(grants: list[Grant], principal: str, topic: str, operation: str) -> bool:
    """Whether ``principal`` may ``operation`` the topic ``topic`` under these grants (literal or prefix match)."""
    return any(
        g.principal == principal
        and g.resource == "TOPIC"
        and g.operation == operation
        and (topic.startswith(g.name) if g.prefixed else topic == g.name)
        for g in grants
    )


@pytest.mark.parametrize(("prefix", "app_id"), [("", "cxpulse"), ("t1a2b.", "cxpulse-t1a2b"), ("", "cx")])
def test_only_the_worker_reads_raw_text_and_writes_redacted_events(tmp_path: Path, prefix: str, app_id: str) -> None:
    settings = _settings(tmp_path, prefix, app_id)
    grants = acl_set(settings)
    principals = {g.principal for g in grants}
    assert principals == {"User:worker", "User:reader", "User:ingest"}, "admin is a super user; nobody else gets any"
    raw, dlq, redacted = (settings.topic(n) for n in (names.RAW, names.REDACTION_DLQ, names.REDACTED))
    assert restricted_topics(settings) == {raw, dlq}
    for principal in principals - {"User:worker"}:
        for topic in (raw, dlq):
            assert not _allows(grants, principal, topic, "READ"), (principal, topic)
        for topic in topic_configs(settings):
            for operation in ("WRITE", "CREATE"):
                if (principal, topic, operation) == ("User:ingest", raw, "WRITE"):
                    continue  # the one right of the edge
                assert not _allows(grants, principal, topic, operation), (principal, topic, operation)
    for topic in (raw, dlq, redacted):
        assert _allows(grants, "User:worker", topic, "READ") and _allows(grants, "User:worker", topic, "WRITE")


def test_the_reader_reads_every_redacted_topic(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    grants = acl_set(settings)
    readable = {t for t in topic_configs(settings) if _allows(grants, "User:reader", t, "READ")}
    assert readable == set(topic_configs(settings)) - restricted_topics(settings)
    assert settings.topic(names.REDACTED) in readable


def test_prefixed_grants_cover_only_faust_topics_and_tool_groups(tmp_path: Path) -> None:
    """A prefix grant must not reach a topic by accident (app id "cx" must not cover "cx.events.…")."""
    settings = _settings(tmp_path, app_id="cx")
    grants = acl_set(settings)
    for grant in (g for g in grants if g.prefixed and g.resource == "TOPIC"):
        assert grant.name == "cx-" and grant.principal == "User:worker"
        assert not any(t.startswith(grant.name) for t in topic_configs(settings)), grant
    # faust's changelogs and assignor topic are the worker's to create
    assert _allows(grants, "User:worker", "cx-sla-conversations-changelog", "CREATE")
    assert _allows(grants, "User:worker", "cx-__assignor-__leader", "CREATE")
    groups = {(g.principal, g.name, g.prefixed) for g in grants if g.resource == "GROUP"}
    assert groups == {("User:worker", "cx", False), ("User:worker", "cx.", True), ("User:reader", "cx.", True)}


def test_principal_names_follow_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, worker_principal="w-eu", reader_principal="bi", ingest_principal="edge")
    assert {g.principal for g in acl_set(settings)} == {"User:w-eu", "User:bi", "User:edge"}


@pytest.mark.parametrize("prefix", ["", "t1a2b."])
def test_ingest_may_write_the_raw_topic_and_nothing_else(tmp_path: Path, prefix: str) -> None:
    """``cxpulse ingest`` faces the internet: compromised, it must not read raw text back, write past redaction
    or join a consumer group."""
    settings = _settings(tmp_path, prefix)
    mine = [g for g in acl_set(settings) if g.principal == "User:ingest"]
    assert mine == [Grant("User:ingest", "TOPIC", settings.topic(names.RAW), False, "WRITE")]


def test_acls_are_applied_only_by_the_admin_over_sasl(tmp_path: Path) -> None:
    assert should_apply_acls(_settings(tmp_path))
    none = Settings(stack={"state_dir": tmp_path / "state", "kafka_security": "none"})
    assert not should_apply_acls(none)
    as_worker = _settings(tmp_path, security_protocol="SASL_PLAINTEXT", username="worker", password="pw")
    assert not should_apply_acls(as_worker), "a deployment's worker leaves ACLs to `cxpulse kafka setup`"
    as_admin = _settings(tmp_path, security_protocol="SASL_SSL", username="admin", password="pw")
    assert should_apply_acls(as_admin)


class _Future:
    def __init__(self, value: object = None) -> None:
        self._value = value

    def result(self) -> object:
        return self._value


class _FakeAdmin:
    """Records the bindings created; the broker 'applies' them after two describe calls."""

    instances: list[_FakeAdmin] = []

    def __init__(self, config: dict[str, object]) -> None:
        self.config = config
        self.created: list[object] = []
        self.describes = 0
        _FakeAdmin.instances.append(self)

    def create_acls(self, bindings: list[object], request_timeout: float) -> dict[object, _Future]:
        self.created = list(bindings)
        return {b: _Future() for b in bindings}

    def describe_acls(self, _filter: object, request_timeout: float) -> _Future:
        self.describes += 1
        return _Future(self.created if self.describes > 2 else self.created[:1])


def test_ensure_acls_creates_the_set_as_admin_and_waits_until_the_broker_applied_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import confluent_kafka.admin

    monkeypatch.setattr(confluent_kafka.admin, "AdminClient", _FakeAdmin)
    monkeypatch.setattr(acls, "_APPLIED_POLL_S", 0.0)
    settings = _settings(tmp_path)
    count = acls.ensure_acls(settings)
    admin = _FakeAdmin.instances[-1]
    assert admin.config["sasl.username"] == "admin"
    assert count == len(admin.created) == len(acl_set(settings))
    assert admin.describes == 3, "it returned before the broker had applied every ACL"
    worker_raw = [
        b
        for b in admin.created
        if b.principal == "User:worker" and b.name == settings.topic(names.RAW)  # type: ignore[attr-defined]
    ]
    assert {b.operation.name for b in worker_raw} == {"READ", "WRITE"}  # type: ignore[attr-defined]
    assert all(b.permission_type.name == "ALLOW" for b in admin.created)  # type: ignore[attr-defined]
