"""``cxpulse ingest``'s web application: the ingest endpoints on a bare aiohttp server, no faust.

The same :class:`~streams.ingest.IngestService` and request path (:func:`~streams.ingest.answer_post`) as the
worker's embedded ingest, so the two can never disagree on a rule. The port is public, so it serves exactly the two
endpoints and ``/twilio/health`` (a status word only); everything else is aiohttp's plain 404/405.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from streams.ingest import CONVERSATIONS_PATH, EVENTS_PATH, HEALTH_PATH, IngestService, answer_post

__all__ = ["build_app"]


def build_app(service: IngestService, ready: Callable[[], bool], max_body_bytes: int) -> web.Application:
    """The ingest application. ``ready`` says whether posts can be produced now (the raw topic is known and
    writable): until then ``/twilio/health`` answers 503 ``starting`` so a load balancer sends nothing that would
    only time out. It must not block: it is asked on every probe."""

    async def conversations(request: web.Request) -> web.Response:
        answer = await answer_post(service, CONVERSATIONS_PATH, request)
        return web.json_response(answer.payload, status=answer.status)

    async def events(request: web.Request) -> web.Response:
        answer = await answer_post(service, EVENTS_PATH, request)
        return web.json_response(answer.payload, status=answer.status)

    async def health(_request: web.Request) -> web.Response:
        if not ready():
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"status": "ok"})

    # aiohttp refuses bodies over client_max_size on its own (with an HTML 413); ingest's limit is checked in
    # answer_post with our JSON reason, so aiohttp's is set just above it and never answers first
    app = web.Application(client_max_size=max_body_bytes + 1)
    app.router.add_post(CONVERSATIONS_PATH, conversations)
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get(HEALTH_PATH, health)
    return app
