"""The HTTP edge Twilio calls: verify, normalise, dedupe, produce to the raw topic, then answer.

``IngestService`` is plain async Python with the producer injected, so its rules are tested without a
broker; :func:`register_views` mounts it on the Faust worker's web server (``[worker] ingest = true``), and
``cxpulse ingest`` (:mod:`streams.ingest_http`) on a plain aiohttp server, both through :func:`answer_post`:

- ``POST /twilio/conversations``: Conversations webhooks (form-encoded, ``X-Twilio-Signature`` over the full
  public URL and the sorted form).
- ``POST /twilio/events``: Event Streams webhook sink (a JSON array of CloudEvents; Twilio appends
  ``bodySHA256`` to the URL and signs the URL).

Signatures are checked against every configured auth token (:mod:`streams.signatures`: a token rotation is no
outage). ``event_id`` is the event's natural key (:func:`schemas.twilio.webhook_event_id`), never the unsigned
``I-Twilio-Idempotency-Token`` header: a captured post replayed with a fresh token is the same event, stored once.

Answers: 403 on a missing/wrong signature (nothing is produced), 403 ``account_not_allowed`` for a verified event
of an AccountSid not in ``[ingest] account_sids`` (when that list is set), 400 with the reason for malformed bodies,
unknown event types or JSON nested deeper than ``ingest.max_json_depth`` (``too_deep``: checked before any JSON
is parsed, so hostile nesting can never raise ``RecursionError`` here), 413 over the size limit, 503 when Kafka
did not acknowledge in time (Twilio retries), and 200 only after Kafka acknowledged every accepted event. Twilio
waits at most 5 s.

The port is public, so it serves nothing else: :data:`BUILTIN_WEB_VIEWS_OFF` turns faust's own views off (``/table``
read any conversation's SLA/QA state, ``/router`` showed the cluster), and the health checks answer a status word
only; the counters go to the log (:meth:`IngestService.log_counters`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

from cxpulse.settings import Settings
from schemas.errors import InvalidEventError
from schemas.events import ConversationEvent
from schemas.twilio import InputLimits, from_cloudevent, from_webhook_form, parse_cloudevents_body
from streams.signatures import SignatureChecker

__all__ = [
    "BUILTIN_WEB_VIEWS_OFF",
    "CONVERSATIONS_PATH",
    "EVENTS_PATH",
    "HEALTH_PATH",
    "TOO_LARGE",
    "IngestResponse",
    "IngestService",
    "answer_post",
    "processing_status",
    "read_capped",
    "register_processing_health",
    "register_views",
]

log = logging.getLogger(__name__)

CONVERSATIONS_PATH = "/twilio/conversations"
EVENTS_PATH = "/twilio/events"
HEALTH_PATH = "/twilio/health"
SIGNATURE_HEADER = "X-Twilio-Signature"
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_ACCOUNT_SID_FIELD = "AccountSid"

#: faust-streaming's settings for its built-in web views (``/table``, ``/router``, ``/graph``, the statistics at
#: ``/`` and ``/assignment``, ``/performance``), all off. They share the web server that is our ingest port, which
#: Twilio must reach: ``/table/<table>/<conversation sid>`` served any conversation's SLA and QA state to anyone.
#: cxpulse routes nothing across workers (no ``@table_route``), so ``/router`` is not needed either. What stays is
#: faust's production index at ``/`` (``{"status": "OK"}``) and our own views.
BUILTIN_WEB_VIEWS_OFF: Mapping[str, bool] = MappingProxyType(
    {
        "web_tables_enabled": False,
        "web_router_enabled": False,
        "web_stats_enabled": False,
        "web_graph_enabled": False,
        "web_metrics_enabled": False,
    }
)

Producer = Callable[[Sequence[ConversationEvent]], Awaitable[None]]


@dataclass(frozen=True)
class IngestResponse:
    status: int
    payload: dict[str, Any] = field(default_factory=dict)


class _RecentIds:
    """A bounded memory of event ids already produced by this process (Twilio retries, Event Streams
    redelivers). Across processes and restarts, ClickHouse's ReplacingMergeTree is the final dedupe."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        if self._capacity <= 0:
            return
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


class _Params(dict):  # type: ignore[type-arg]
    """Form fields with every value of a repeated key, as Twilio signs them (sorted, each value appended):
    the SDK's validator reads ``getall`` (a plain dict of lists made it raise ``TypeError``)."""

    def getall(self, name: str) -> list[str]:
        return list(self[name])


_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _body_hash_matches(path_qs: str, body: bytes) -> bool:
    """Exactly one ``bodySHA256`` in the query, 64 lower-case hex digits, equal to the body's SHA-256.

    Checked here, not left to the SDK: it skips the body check when the parameter is empty (``bodySHA256=``)
    and then only the URL is signed, so a captured URL would carry any body."""
    query = path_qs.split("?", 1)[1] if "?" in path_qs else ""
    values = parse_qs(query, keep_blank_values=True).get("bodySHA256", [])
    if len(values) != 1 or not _SHA256_HEX.match(values[0]):
        return False
    return hmac.compare_digest(values[0], hashlib.sha256(body).hexdigest())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup for plain dicts as well as multidicts."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


class IngestService:
    """Twilio → raw topic, independent of the web framework."""

    def __init__(self, settings: Settings, produce: Producer) -> None:
        token = settings.twilio_auth_token
        if token is None or not token.get_secret_value():
            raise ValueError("CXPULSE_TWILIO_AUTH_TOKEN is not set: ingest cannot verify Twilio signatures")
        self._signatures = SignatureChecker(settings.twilio_auth_tokens())
        self._accounts = frozenset(settings.ingest.account_sids)
        self._public_url = settings.public_url.rstrip("/")
        self._settings = settings
        self._limits = InputLimits.from_settings(settings)
        self._produce = produce
        self._recent = _RecentIds(settings.ingest.dedupe_cache_size)
        self.counters: dict[str, int] = {
            "accepted": 0,
            "duplicates": 0,
            "forbidden": 0,
            "account_not_allowed": 0,
            "invalid": 0,
            "too_large": 0,
            "unavailable": 0,
        }
        self._logged_counters: dict[str, int] = {}

    @property
    def max_body_bytes(self) -> int:
        return self._settings.ingest.max_body_bytes

    def too_large(self, content_length: int | None) -> bool:
        return content_length is not None and content_length > self.max_body_bytes

    def _signed_url(self, path_qs: str) -> str:
        return f"{self._public_url}{path_qs}"

    def log_counters(self) -> None:
        """Log the counters when they changed since the last call: operators see them, the public port does not."""
        if self.counters != self._logged_counters:
            self._logged_counters = dict(self.counters)
            log.info("ingest counters %s", " ".join(f"{name}={count}" for name, count in self.counters.items()))

    def _account_allowed(self, account_sid: str | None) -> bool:
        return not self._accounts or account_sid in self._accounts

    def _foreign_account(self, account_sid: str | None) -> IngestResponse:
        """A verified request of an account this deployment does not serve: refused, and said so plainly."""
        log.warning("rejected a signed event of an account not in ingest.account_sids account=%s", account_sid)
        return self._reject(
            403, "account_not_allowed", "account_not_allowed", "this AccountSid is not in ingest.account_sids"
        )

    def _reject(self, status: int, counter: str, reason: str, message: str) -> IngestResponse:
        self.counters[counter] += 1
        return IngestResponse(status, {"error": reason, "message": message})

    async def _produce_new(self, events: Sequence[ConversationEvent]) -> IngestResponse | None:
        """Produce the events not seen recently; ``None`` when Kafka acknowledged all of them."""
        fresh = [e for e in events if e.event_id not in self._recent]
        if fresh:
            try:
                await asyncio.wait_for(self._produce(fresh), timeout=self._settings.ingest.kafka_ack_timeout_s)
            except Exception as exc:  # noqa: BLE001 - any broker trouble means "retry later" for Twilio
                log.error("kafka did not acknowledge events=%d error=%s", len(fresh), type(exc).__name__)
                return self._reject(503, "unavailable", "kafka_unavailable", "Kafka did not acknowledge; retry")
            for event in fresh:
                self._recent.add(event.event_id)
        self.counters["accepted"] += len(fresh)
        self.counters["duplicates"] += len(events) - len(fresh)
        return None

    async def conversations_webhook(self, headers: Mapping[str, str], path_qs: str, body: bytes) -> IngestResponse:
        """One Conversations post-event webhook (form-encoded)."""
        if len(body) > self.max_body_bytes:
            return self._reject(413, "too_large", "too_large", "request body over the configured limit")
        content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        if content_type != _FORM_CONTENT_TYPE:
            return self._reject(400, "invalid", "malformed_body", f"expected {_FORM_CONTENT_TYPE}")
        try:
            multi = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            return self._reject(400, "invalid", "malformed_body", "body is not a valid urlencoded form")
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature or not self._signatures.form_is_signed(self._signed_url(path_qs), _Params(multi), signature):
            log.warning("rejected webhook: bad or missing signature path=%s", path_qs.split("?")[0])
            return self._reject(403, "forbidden", "bad_signature", "missing or invalid X-Twilio-Signature")
        form = {k: v[-1] for k, v in multi.items()}
        if not self._account_allowed(form.get(_ACCOUNT_SID_FIELD)):
            return self._foreign_account(form.get(_ACCOUNT_SID_FIELD))
        try:
            # The idempotency token is not signed (a replay can carry any): the event id is its natural key.
            event = from_webhook_form(
                form,
                rules=self._settings.roles,
                received_at=datetime.now(UTC),
                limits=self._limits,
            )
        except InvalidEventError as exc:
            log.warning("rejected webhook reason=%s", exc.reason)
            return self._reject(400, "invalid", exc.reason, str(exc))
        if (failure := await self._produce_new([event])) is not None:
            return failure
        return IngestResponse(200, {"accepted": 1, "event_id": event.event_id})

    async def event_streams(self, headers: Mapping[str, str], path_qs: str, body: bytes) -> IngestResponse:
        """One Event Streams delivery: a JSON array of CloudEvents, body hash in the signed URL."""
        if len(body) > self.max_body_bytes:
            return self._reject(413, "too_large", "too_large", "request body over the configured limit")
        signature = _header(headers, SIGNATURE_HEADER)
        if (
            not signature
            or not _body_hash_matches(path_qs, body)
            or not self._signatures.url_is_signed(self._signed_url(path_qs), signature)
        ):
            log.warning("rejected event-streams delivery: bad or missing signature or bodySHA256")
            return self._reject(403, "forbidden", "bad_signature", "missing or invalid signature or bodySHA256")
        try:
            items = parse_cloudevents_body(body, max_json_depth=self._limits.max_json_depth)
        except InvalidEventError as exc:
            log.warning("rejected event-streams delivery reason=%s", exc.reason)
            return self._reject(400, "invalid", exc.reason, str(exc))
        received_at = datetime.now(UTC)
        events: list[ConversationEvent] = []
        rejected: list[dict[str, str]] = []
        for position, item in enumerate(items):
            try:
                events.append(
                    from_cloudevent(item, rules=self._settings.roles, received_at=received_at, limits=self._limits)
                )
            except InvalidEventError as exc:
                rejected.append(
                    {
                        "position": str(position),
                        "id": str(item.get("id", "")),
                        "reason": exc.reason,
                        "message": str(exc),
                    }
                )
        if rejected:
            self.counters["invalid"] += len(rejected)
            log.warning("rejected cloudevents=%d reasons=%s", len(rejected), sorted({r["reason"] for r in rejected}))
        foreign = next((e.account_sid for e in events if not self._account_allowed(e.account_sid)), None)
        if foreign is not None:  # one delivery is one account's: any foreign event refuses the whole delivery
            return self._foreign_account(foreign)
        if not events:
            return IngestResponse(400, {"error": "no_valid_events", "rejected": rejected})
        if (failure := await self._produce_new(events)) is not None:
            return failure
        return IngestResponse(200, {"accepted": len(events), "rejected": rejected})


#: Bodies are read in chunks of this size, so an oversized one is refused before it is held whole in memory.
_READ_CHUNK_BYTES = 64 * 1024

TOO_LARGE = IngestResponse(413, {"error": "too_large", "message": "request body over the configured limit"})


async def read_capped(service: IngestService, request: Any) -> bytes | None:
    """The body of an aiohttp request, or None when it is over ``ingest.max_body_bytes`` (announced or read)."""
    if service.too_large(request.content_length):
        return None
    limit = service.max_body_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_READ_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def answer_post(service: IngestService, path: str, request: Any) -> IngestResponse:
    """One POST to :data:`CONVERSATIONS_PATH` or :data:`EVENTS_PATH`, as an aiohttp request: the one request path
    of both servers that mount ingest (the faust worker's web views and ``cxpulse ingest``), so they cannot drift."""
    body = await read_capped(service, request)
    if body is None:
        service.counters["too_large"] += 1
        return TOO_LARGE
    handle = service.conversations_webhook if path == CONVERSATIONS_PATH else service.event_streams
    return await handle(request.headers, request.path_qs, body)


def processing_status(assigned: int, recovering: bool) -> str:
    """The word ``/health/processing`` answers: ``starting`` with nothing assigned, ``recovering`` while tables are
    rebuilt, ``ok`` once records flow."""
    return "starting" if not assigned else "recovering" if recovering else "ok"


async def _always_ready() -> bool:
    return True


def register_processing_health(app: Any, processing: Callable[[], tuple[int, bool]]) -> None:
    """Mount ``/health/processing`` on a Faust app's web server (every worker serves it, with or without ingest)."""
    from faust.web import View

    @app.page("/health/processing")
    class ProcessingHealth(View):
        async def get(self, request: Any) -> Any:
            status = processing_status(*processing())
            return self.json({"status": status}, status=200 if status == "ok" else 503)


def register_views(
    app: Any,
    service_factory: Callable[[], IngestService],
    ready: Callable[[], Awaitable[bool]] = _always_ready,
    processing: Callable[[], tuple[int, bool]] = lambda: (0, False),
    counters_log_interval_s: float = 0.0,
) -> None:
    """Mount the two endpoints and the health checks on a Faust app's web server (aiohttp driver).

    Build the app with :data:`BUILTIN_WEB_VIEWS_OFF`: this server is the public port Twilio posts to.

    ``ready`` tells whether a post can be produced now (the raw topic exists and the producer knows its
    partitions): until then the health check answers 503, so a load balancer or the demo does not send traffic
    that would only time out. It is asked on each probe, not set by a worker task: faust starts tasks only
    after table recovery, and ingest can take posts long before that (seen: 503 for 20 s while posts got 200).
    ``processing`` gives the partitions this worker's consumer is assigned and whether it is still recovering
    tables: ingest can be ready long before processing is (after a restart, until partitions are assigned and
    the tables rebuilt), and ``/health/processing`` says so separately (503 ``starting`` with nothing assigned,
    503 ``recovering`` while tables are rebuilt, 200 ``ok`` once records flow).

    Health bodies are a status word and nothing else (anyone can call them); the ingest counters are logged every
    ``counters_log_interval_s`` when they changed (0 = never).
    """
    from faust.web import View

    holder: dict[str, IngestService] = {}

    def service() -> IngestService:
        if "service" not in holder:
            holder["service"] = service_factory()
        return holder["service"]

    def _answer(view: View, response: IngestResponse) -> Any:
        return view.json(response.payload, status=response.status)

    @app.page(CONVERSATIONS_PATH)
    class ConversationsWebhook(View):
        async def post(self, request: Any) -> Any:
            return _answer(self, await answer_post(service(), CONVERSATIONS_PATH, request))

    @app.page(EVENTS_PATH)
    class EventStreamsSink(View):
        async def post(self, request: Any) -> Any:
            return _answer(self, await answer_post(service(), EVENTS_PATH, request))

    register_processing_health(app, processing)

    @app.page(HEALTH_PATH)
    class IngestHealth(View):
        async def get(self, request: Any) -> Any:
            if not await ready():
                return self.json({"status": "starting"}, status=503)
            return self.json({"status": "ok"})

    if counters_log_interval_s > 0:

        @app.timer(counters_log_interval_s)
        async def log_ingest_counters() -> None:
            if "service" in holder:  # nothing was posted yet: nothing to say
                holder["service"].log_counters()
