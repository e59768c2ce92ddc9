"""``cxpulse demo``: the whole path on this machine in one command, and everything it started stopped on Ctrl-C.

Order: stack (Kafka + ClickHouse) → topics, migrations → ``cxpulse ingest`` + worker (redaction, stages, sink;
``[worker] ingest = false``) → dashboard → simulator. The process layout of a deployment: ingest answers Twilio
within a second of its start and whatever the worker is doing. A local Twilio auth token is generated when none is
configured, and handed to ingest and the simulator, so the simulator's signed webhooks pass the same signature
check real Twilio traffic does.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
import urllib.request
from importlib import resources
from pathlib import Path

from pydantic import SecretStr

from cxpulse.required_secrets import with_local_secrets
from cxpulse.secret_env import ProcessKind
from cxpulse.settings import Settings
from cxpulse.stack.process import ManagedProcess, StackError, port_open, wait_until
from cxpulse.urls import mask_url

__all__ = ["dashboard_command", "run_demo"]

log = logging.getLogger(__name__)

_HEALTH_TIMEOUT_S = 2.0


def dashboard_command(settings: Settings) -> list[str]:
    """The ``streamlit run`` command line; refuses an address beyond localhost without a login, a short password,
    and an OIDC login without an allowlist."""
    from dashboards.access import check_startup

    check_startup(settings.dashboard)
    app = resources.files("dashboards") / "app.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.address",
        settings.dashboard.host,
        "--server.port",
        str(settings.dashboard.port),
        "--browser.gatherUsageStats",
        "false",
    ]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=_HEALTH_TIMEOUT_S) as response:  # noqa: S310 - local URL
            return response.status == 200
    except OSError:
        return False


def _child(name: str, command: list[str], settings: Settings, env: dict[str, str], kind: ProcessKind) -> ManagedProcess:
    return ManagedProcess(
        name=name,
        command=command,
        run_dir=settings.state_path("run"),
        log_dir=settings.state_path("logs"),
        env=env,
        cwd=Path.cwd(),
        kind=kind,  # the dashboard never sees the Twilio token or the salts
    )


def run_demo(settings: Settings, *, rate: float, duration: float | None, seed: int | None) -> int:
    from cxpulse import simulate
    from cxpulse.stack.manager import Stack
    from sinks.migrate import apply_migrations
    from streams.topics import ensure_topics

    env: dict[str, str] = {}
    if settings.twilio_auth_token is None:
        token = secrets.token_hex(16)
        env["CXPULSE_TWILIO_AUTH_TOKEN"] = token
        settings = settings.model_copy(update={"twilio_auth_token": SecretStr(token)})
        print("No CXPULSE_TWILIO_AUTH_TOKEN set: generated a local one for this demo.")

    if seed is not None:
        settings = settings.model_copy(update={"simulator": settings.simulator.model_copy(update={"seed": seed})})

    stack = Stack(settings)
    started_stack = stack.up()
    ensure_topics(settings)
    apply_migrations(settings)

    ingest_url = f"http://{settings.ingest.host}:{settings.ingest.port}"
    dashboard_url = f"http://{settings.dashboard.host}:{settings.dashboard.port}"
    settings = with_local_secrets(settings, env)  # the salts: random, kept in the stack's state dir
    ingest = _child("ingest", [sys.executable, "-m", "cxpulse", "ingest"], settings, env, "ingest")
    worker = _child(
        "worker",
        [sys.executable, "-m", "cxpulse", "worker", "--no-migrate"],
        settings,
        {**env, "CXPULSE_WORKER__INGEST": "false"},  # ingest runs on its own: the worker serves only its health
        "worker",
    )
    dashboard = _child("dashboard", dashboard_command(settings), settings, env, "dashboard")
    children = [worker, ingest, dashboard]
    interrupted = False

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        worker.start()
        ingest.start()
        if not wait_until(lambda: _http_ok(f"{ingest_url}/twilio/health"), settings.stack.start_timeout_s):
            raise StackError(f"ingest did not come up; log tail:\n{ingest.log_tail()}")
        # the worker's web server answers (503 until it holds partitions) once faust runs: posts wait in Kafka meanwhile
        worker_host, worker_port = settings.worker.health_host, settings.worker.health_port
        if not wait_until(lambda: port_open(worker_host, worker_port), settings.stack.start_timeout_s):
            raise StackError(f"the worker did not come up; log tail:\n{worker.log_tail()}")
        dashboard.start()
        if not wait_until(lambda: _http_ok(f"{dashboard_url}/_stcore/health"), settings.stack.start_timeout_s):
            raise StackError(f"the dashboard did not come up; log tail:\n{dashboard.log_tail()}")
        print(
            "\ncxpulse demo is running\n"
            f"  dashboard   {dashboard_url}\n"
            f"  ingest      {ingest_url}/twilio/conversations  (signed against {settings.public_url})\n"
            f"  worker      http://{worker_host}:{worker_port}/health/processing\n"
            f"  kafka       {mask_url(settings.kafka.bootstrap_servers)}\n"
            f"  clickhouse  {mask_url(settings.clickhouse.url)}  (database {settings.clickhouse.database})\n"
            f"  logs        {settings.state_path('logs')}\n"
            "Press Ctrl-C to stop everything this demo started.\n",
            flush=True,
        )
        report = asyncio.run(
            simulate.run_simulation(
                settings,
                rate=rate,
                duration=duration,
                target_url=ingest_url,
                progress=True,
            )
        )
        print(f"simulation finished: {report.accepted} of {report.sent} posts accepted")
        if duration is not None:
            print("Simulation done; the dashboard stays up until Ctrl-C.")
            while True:
                signal.pause()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("\nstopping demo …", flush=True)
        for child in reversed(children):
            child.stop()
        for name, outcome in started_stack.items():
            if outcome == "started":
                getattr(stack, name).down()
        print("stopped everything the demo started.")
    return 0 if interrupted or duration is not None else 1
