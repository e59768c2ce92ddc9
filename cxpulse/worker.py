"""``cxpulse worker``: create topics, apply migrations, then run the Faust worker until stopped."""

from __future__ import annotations

import logging

from cxpulse.logs import install_log_hygiene
from cxpulse.settings import Settings

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, migrate: bool = True) -> int:
    """Run until SIGTERM/SIGINT. Topics and tables are created first so no stage waits on a missing one."""
    if settings.redaction.analyzer_processes > 1:
        from streams.redact.pool import start_fork_server

        start_fork_server()  # the redaction model loads while the rest of the worker starts (a faster restart)
    from faust.worker import Worker

    from streams.app import create_app
    from streams.topics import ensure_topics

    if settings.twilio_auth_token is None:
        raise ValueError("CXPULSE_TWILIO_AUTH_TOKEN is not set: the ingest endpoint cannot verify signatures")
    ensure_topics(settings)
    if migrate:
        from sinks.migrate import apply_migrations

        apply_migrations(settings)
    settings.worker_data_path().mkdir(parents=True, exist_ok=True)
    install_log_hygiene(settings.worker.log_repeat_interval_s)
    app = create_app(settings)
    worker = Worker(app, loglevel=settings.worker.log_level, override_logging=False)
    worker.execute_from_commandline()
    return 0
