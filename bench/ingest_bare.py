"""The ceiling of the ingest benchmark: an aiohttp server that reads each post and answers 200, nothing else.

Same framework, same process model (one Python process, one event loop) and same client as ``cxpulse ingest``,
without signature checks, normalisation or Kafka: what the machine can do at all, so the benchmark's ratios say how
much of it ingest's own work leaves. Run as ``python -m bench.ingest_bare --port N``; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from aiohttp import web

from streams.ingest import CONVERSATIONS_PATH, HEALTH_PATH

__all__ = ["build_bare_app", "main"]

_ACCEPTED = {"accepted": 1}


def build_bare_app() -> web.Application:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(_ACCEPTED)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post(CONVERSATIONS_PATH, accept)
    app.router.add_get(HEALTH_PATH, health)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(build_bare_app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
