"""``[worker] ingest = false``: the worker leaves Twilio's posts to ``cxpulse ingest`` and serves only its
processing health, on its own port (the ingest port is the ingest processes')."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from cxpulse.settings import Settings

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def _statuses(app: Any, paths: list[str]) -> dict[str, int]:
    from aiohttp.test_utils import TestClient, TestServer

    async def probe() -> dict[str, int]:
        app.web.init_server()
        async with TestClient(TestServer(app.web.web_app)) as client:
            return {path: (await client.get(path)).status for path in paths}

    return asyncio.run(probe())


def _app(tmp_path: Path, **worker: Any) -> Any:
    from streams.app import create_app

    settings = Settings(
        redaction={"processes": 1},
        worker={"store": "memory://", **worker},
        ingest={"port": 7100},
        stack={"state_dir": str(tmp_path)},
    )
    return create_app(settings)


def test_without_ingest_the_worker_serves_only_processing_health_on_its_health_port(tmp_path: Path) -> None:
    app = _app(tmp_path, ingest=False, health_port=7101)
    assert (app.conf.web_port, app.conf.web_bind) == (7101, "127.0.0.1")
    statuses = _statuses(app, ["/health/processing", "/twilio/health", "/twilio/conversations", "/twilio/events"])
    assert statuses == {
        "/health/processing": 503,  # starting: no partitions assigned in this test
        "/twilio/health": 404,
        "/twilio/conversations": 404,
        "/twilio/events": 404,
    }


class _ReachedKafka(Exception):
    """Raised where the worker would first touch the broker: every start-up check before it passed."""


@pytest.mark.parametrize("serves_ingest", [True, False])
def test_only_a_worker_serving_ingest_needs_the_twilio_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serves_ingest: bool
) -> None:
    """Least privilege: the token that can forge Twilio traffic stays with the processes that check signatures."""
    import streams.quality_runner
    import streams.topics
    from cxpulse.worker import run_worker

    def reached_kafka(*_: object) -> None:
        raise _ReachedKafka

    monkeypatch.setattr(streams.quality_runner, "start_quality_runner", lambda *_: None)
    monkeypatch.setattr(streams.topics, "ensure_topics", reached_kafka)
    settings = Settings(
        redaction={"processes": 1, "pseudonym_salt": "s" * 16},
        qa={"random_salt": "q" * 16},
        worker={"ingest": serves_ingest},
        stack={"state_dir": str(tmp_path)},
    )
    assert settings.twilio_auth_token is None
    expected = (ValueError, "CXPULSE_TWILIO_AUTH_TOKEN") if serves_ingest else (_ReachedKafka, None)
    with pytest.raises(expected[0], match=expected[1]):
        run_worker(settings, migrate=False)


def test_by_default_the_worker_still_serves_ingest_on_the_ingest_port(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from streams.app import create_app

    settings = Settings(
        twilio_auth_token=SecretStr("t"),
        redaction={"processes": 1},
        worker={"store": "memory://"},
        ingest={"port": 7100},
        stack={"state_dir": str(tmp_path)},
    )
    app = create_app(settings)
    assert app.conf.web_port == 7100
    assert _statuses(app, ["/twilio/health"])["/twilio/health"] != 404
