"""``cxpulse worker``: create topics, apply migrations, then run the Faust worker until stopped."""

from __future__ import annotations

import logging

from cxpulse.logs import install_log_hygiene
from cxpulse.required_secrets import require_secrets, with_local_secrets
from cxpulse.settings import Settings
from cxpulse.stack.secrets import private_dir

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, migrate: bool = True, demo: bool = False) -> int:
    """Run until SIGTERM/SIGINT. Topics and tables are created first so no stage waits on a missing one.

    Refuses to start without the secrets that have no safe default (:mod:`cxpulse.required_secrets`); ``demo``
    generates local ones instead. Both happen before the redaction fork server starts: it reads the settings
    from the environment, where the demo's salts are put.
    """
    if demo:
        settings = with_local_secrets(settings)
    require_secrets(settings)
    if settings.worker.ingest and settings.twilio_auth_token is None:
        raise ValueError("CXPULSE_TWILIO_AUTH_TOKEN is not set: the ingest endpoint cannot verify signatures")
    if settings.redaction.analyzer_processes > 1:
        from streams.redact.pool import start_fork_server

        start_fork_server()  # the redaction model loads while the rest of the worker starts (a faster restart)
    from streams.quality_runner import start_quality_runner

    # GX (≈ 3 s of CPU) was the last piece a restarted worker waited for: its process starts first, on the other
    # core, while this one boots (it imports neither GX nor Presidio: the pools do)
    start_quality_runner(settings.quality)
    from faust.worker import Worker

    from streams.app import create_app
    from streams.topics import ensure_topics

    ensure_topics(settings)
    if migrate:
        from sinks.migrate import apply_migrations

        apply_migrations(settings)
    private_dir(settings.state_path())  # table state holds conversation data: owner only
    settings.worker_data_path().mkdir(parents=True, exist_ok=True)
    install_log_hygiene(settings.worker.log_repeat_interval_s)
    app = create_app(settings)
    worker = Worker(app, loglevel=settings.worker.log_level, override_logging=False)
    worker.execute_from_commandline()
    return 0
