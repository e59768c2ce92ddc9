"""The simulator: deterministic, causal, realistic Twilio webhook traffic, signed and delivered like Twilio's."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from cxpulse import simulate
from cxpulse.settings import Settings, SimulatorSettings
from cxpulse.simulate import (
    WEBHOOK_PATH,
    SimulationError,
    WebhookPost,
    add_arguments,
    generate_posts,
    iban_valid,
    luhn_valid,
    run_simulation,
    sign,
)
from schemas.twilio import webhook_event_id

SEED = 1234
START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
SAMPLE_SIZE = 8000
PUBLIC_URL = "https://cx.example.test/hooks"
TOKEN = "simulator-test-auth-token"

#: Every field a simulated form may carry: Twilio's documented webhook field names, nothing invented.
TWILIO_FIELDS = frozenset(
    {
        "EventType", "AccountSid", "ChatServiceSid", "ConversationSid", "MessageSid", "ParticipantSid",
        "Author", "Body", "Index", "DateCreated", "DateUpdated", "Source", "Attributes", "StateFrom", "StateTo",
        "Reason", "RetryCount", "Identity", "RoleSid", "MessagingBinding.Address",
        "MessagingBinding.ProxyAddress", "MessagingBinding.Type", "FriendlyName", "State", "Media",
        "DeliveryReceiptSid", "Status", "ErrorCode", "MessagingServiceSid", "ChannelMessageSid", "StateUpdated",
    }
)  # fmt: skip
SID_FIELDS = {
    "AccountSid": "AC",
    "ChatServiceSid": "IS",
    "ConversationSid": "CH",
    "MessageSid": "IM",
    "ParticipantSid": "MB",
    "DeliveryReceiptSid": "DY",
    "RoleSid": "RL",
    "MessagingServiceSid": "MG",
    "ChannelMessageSid": "SM",
}
VALID_TRANSITIONS = {("active", "inactive"), ("inactive", "active"), ("inactive", "closed"), ("active", "closed")}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _posts(n: int, *, seed: int = SEED, settings: SimulatorSettings | None = None, **kw: object) -> list[WebhookPost]:
    stream = generate_posts(seed=seed, settings=settings or SimulatorSettings(), start=START, **kw)  # type: ignore[arg-type]
    return list(itertools.islice(stream, n))


@pytest.fixture(scope="module")
def sample() -> list[WebhookPost]:
    return _posts(SAMPLE_SIZE)


def _by_conversation(posts: Iterable[WebhookPost]) -> dict[str, list[WebhookPost]]:
    grouped: dict[str, list[WebhookPost]] = defaultdict(list)
    for post in posts:
        grouped[post.conversation_sid].append(post)
    return grouped


def _when(form: Mapping[str, str]) -> datetime:
    raw = form.get("StateUpdated") or form.get("DateUpdated") or form["DateCreated"]
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _assert_causal(forms: list[Mapping[str, str]]) -> None:
    """One conversation's forms, in the order they were emitted or received, tell a possible story."""
    assert forms[0]["EventType"] == "onConversationAdded"
    assert sum(f["EventType"] == "onConversationAdded" for f in forms) == 1
    state, last_index, last_time = "active", -1, _when(forms[0])
    participants: set[str] = set()
    messages: dict[str, str] = {}  # MessageSid -> Index
    for form in forms:
        kind = form["EventType"]
        assert state != "closed", f"{kind} after the conversation closed"
        assert _when(form) >= last_time, "timestamps go backwards within a conversation"
        last_time = _when(form)
        if kind == "onParticipantAdded":
            participants.add(form["ParticipantSid"])
        elif kind == "onMessageAdded":
            assert int(form["Index"]) > last_index, "Index must increase strictly"
            last_index = int(form["Index"])
            assert form["ParticipantSid"] in participants, "a message from someone who never joined"
            messages[form["MessageSid"]] = form["Index"]
        elif kind == "onMessageUpdated":
            assert messages.get(form["MessageSid"]) == form["Index"], "update of an unknown message"
            assert _when(form) > datetime.fromisoformat(form["DateCreated"].replace("Z", "+00:00"))
        elif kind == "onDeliveryUpdated":
            assert form["MessageSid"] in messages and form["ParticipantSid"] in participants
        elif kind == "onConversationStateUpdated":
            assert form["StateFrom"] == state and (state, form["StateTo"]) in VALID_TRANSITIONS
            state = form["StateTo"]


# ----------------------------------------------------------------------------------------------------------
# Determinism and shape
# ----------------------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_posts_and_another_seed_does_not() -> None:
    first, again, other = _posts(600), _posts(600), _posts(600, seed=SEED + 1)
    assert first == again
    assert [p.form for p in first] != [p.form for p in other]
    assert {p.idempotency_token for p in first}.isdisjoint(p.idempotency_token for p in other)


def test_default_start_keeps_the_generator_pure() -> None:
    a = list(itertools.islice(generate_posts(seed=5, settings=SimulatorSettings()), 50))
    b = list(itertools.islice(generate_posts(seed=5, settings=SimulatorSettings()), 50))
    assert a == b
    assert timedelta(0) <= a[0].occurred_at - simulate.DEFAULT_START < timedelta(minutes=5)


def test_posts_come_in_time_order_and_each_conversation_is_causal(sample: list[WebhookPost]) -> None:
    times = [p.occurred_at for p in sample]
    assert times == sorted(times)
    assert all(t is not None and t >= START for t in times)
    assert len({p.idempotency_token for p in sample}) == len(sample)
    conversations = _by_conversation(sample)
    assert len(conversations) > 100
    for posts in conversations.values():
        _assert_causal([p.form for p in posts])
        assert all(p.occurred_at == _when(p.form) for p in posts)


def test_conversations_overlap_in_time(sample: list[WebhookPost]) -> None:
    switches = sum(a.conversation_sid != b.conversation_sid for a, b in itertools.pairwise(sample))
    assert switches > len(sample) * 0.5
    open_at_once = 0
    live: set[str] = set()
    for post in sample:
        live.add(post.conversation_sid)
        if post.form.get("StateTo") == "closed":
            live.discard(post.conversation_sid)
        open_at_once = max(open_at_once, len(live))
    assert open_at_once >= 20


def test_forms_use_only_twilio_field_names_and_values(sample: list[WebhookPost]) -> None:
    for post in sample:
        form = post.form
        assert post.path == WEBHOOK_PATH
        assert set(form) <= TWILIO_FIELDS, set(form) - TWILIO_FIELDS
        assert all(isinstance(v, str) for v in form.values())
        assert form["RetryCount"] == "0"
        for key in ("DateCreated", "DateUpdated", "StateUpdated"):
            assert key not in form or TIMESTAMP.match(form[key]), form[key]
        if "Attributes" in form:
            assert isinstance(json.loads(form["Attributes"]), dict)
        if "Media" in form:
            media = json.loads(form["Media"])
            assert media and media[0]["Sid"].startswith("ME")


def test_every_sid_has_its_twilio_prefix(sample: list[WebhookPost]) -> None:
    seen: Counter[str] = Counter()
    for post in sample:
        for name, prefix in SID_FIELDS.items():
            if name in post.form:
                assert re.fullmatch(prefix + r"[0-9a-f]{32}", post.form[name]), (name, post.form[name])
                seen[name] += 1
        assert post.form["ConversationSid"] == post.conversation_sid
    assert set(seen) == set(SID_FIELDS)
    assert len({p.form["AccountSid"] for p in sample}) == 1


def test_account_sid_can_be_given() -> None:
    account = "AC" + "ab" * 16
    assert {p.form["AccountSid"] for p in _posts(50, account_sid=account)} == {account}


# ----------------------------------------------------------------------------------------------------------
# Realism
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Story:
    channel: str = ""
    queue: str = ""
    agent: bool = False
    escalated: bool = False
    reopened: bool = False
    closed: bool = False


def _stories(posts: Iterable[WebhookPost]) -> dict[str, _Story]:
    stories: dict[str, _Story] = defaultdict(_Story)
    for post in posts:
        form, story = post.form, stories[post.conversation_sid]
        if form["EventType"] == "onConversationAdded":
            attributes = json.loads(form["Attributes"])
            story.channel, story.queue = attributes["channel"], attributes["queue"]
        story.agent |= form.get("Identity", "").startswith("agent:")
        story.escalated |= json.loads(form.get("Attributes", "{}")).get("escalated", False)
        story.reopened |= (form.get("StateFrom"), form.get("StateTo")) == ("inactive", "active")
        story.closed |= form.get("StateTo") == "closed"
    return stories


def test_the_mix_has_every_channel_and_every_kind_of_ending(sample: list[WebhookPost]) -> None:
    stories = _stories(sample)
    settings = SimulatorSettings()
    assert {s.channel for s in stories.values()} == set(settings.channels)
    assert {s.queue for s in stories.values()} == set(settings.queues)
    closed = [s for s in stories.values() if s.closed]
    contained = [s for s in closed if not s.escalated]
    handled = [s for s in closed if s.agent]
    abandoned = [s for s in closed if s.escalated and not s.agent]
    reopened = [s for s in closed if s.reopened]
    assert len(closed) > 150
    assert contained and handled and abandoned and reopened
    assert 0.15 < len(contained) / len(closed) < 0.45  # bot_containment 0.3
    assert all(not s.agent for s in contained)
    types = Counter(p.event_type for p in sample)
    assert set(types) == {
        "onConversationAdded", "onParticipantAdded", "onMessageAdded", "onMessageUpdated",
        "onDeliveryUpdated", "onConversationStateUpdated",
    }  # fmt: skip
    statuses = Counter(p.form["Status"] for p in sample if p.event_type == "onDeliveryUpdated")
    assert {"sent", "delivered", "read"} <= set(statuses)
    assert {"failed", "undelivered"} & set(statuses)


def test_customer_runs_and_agent_edits_happen(sample: list[WebhookPost]) -> None:
    runs = 0
    for posts in _by_conversation(sample).values():
        authors = [p.form["Author"] for p in posts if p.event_type == "onMessageAdded"]
        runs += sum(a == b and not a.startswith(("agent:", "bot:")) for a, b in itertools.pairwise(authors))
    assert runs > 100
    edits = [p for p in sample if p.event_type == "onMessageUpdated"]
    assert any(p.form["Author"].startswith("agent:") for p in edits)


def test_settings_steer_channels_queues_and_containment() -> None:
    only_sms = SimulatorSettings(channels=("sms",), queues=("vip",), bot_containment=1.0)
    stories = _stories(_posts(3000, settings=only_sms))
    assert {(s.channel, s.queue) for s in stories.values()} == {("sms", "vip")}
    assert not any(s.agent or s.escalated for s in stories.values())
    always_human = _stories(_posts(3000, settings=SimulatorSettings(bot_containment=0.0)))
    assert all(s.escalated for s in always_human.values() if s.closed)


def test_channel_addresses_and_sources_look_like_twilio(sample: list[WebhookPost]) -> None:
    stories = _stories(sample)
    for post in sample:
        form, channel = post.form, stories[post.conversation_sid].channel
        if post.event_type == "onParticipantAdded" and "Identity" not in form:
            address = form["MessagingBinding.Address"]
            assert channel in ("sms", "whatsapp")
            assert re.fullmatch(r"\+[1-9]\d{9,14}", address.removeprefix("whatsapp:"))
            assert address.startswith("whatsapp:") == (channel == "whatsapp")
            assert form["MessagingBinding.Type"] == channel.upper()
            assert form["MessagingBinding.ProxyAddress"].startswith("whatsapp:+" if channel == "whatsapp" else "+")
        if post.event_type == "onMessageAdded":
            author = form["Author"]
            expected = {"sms": "SMS", "whatsapp": "WHATSAPP", "chat": "SDK"}[channel]
            if author.startswith("bot:"):
                expected = "API"
            elif author.startswith("agent:"):
                expected = "SDK"
            assert form["Source"] == expected
        if post.event_type == "onDeliveryUpdated":
            assert channel in ("sms", "whatsapp")
    chat_identities = {
        p.form["Identity"]
        for p in sample
        if p.event_type == "onParticipantAdded" and stories[p.conversation_sid].channel == "chat"
    }
    assert any("@" in i for i in chat_identities) and any(i.startswith("guest-") for i in chat_identities)


def test_a_good_share_carries_pii_and_the_pii_is_really_there(sample: list[WebhookPost]) -> None:
    with_pii = [p for p in sample if p.pii]
    assert len(with_pii) / len(sample) > 0.3
    for post in with_pii:
        text = "\n".join(post.form.values())
        for value in post.pii:
            assert value in text, (value, post.form)
    bodies = [p for p in sample if p.event_type == "onMessageAdded" and set(p.pii) - {p.form["Author"]}]
    assert len(bodies) > 300  # personal data in message text, not only in addresses


def test_pii_kinds_are_varied_and_valid(sample: list[WebhookPost]) -> None:
    values = {value for post in sample for value in post.pii}
    cards = [v for v in values if re.fullmatch(r"\d{4}([ -]?\d{4,6}){2,3}", v)]
    assert cards and all(luhn_valid(v) for v in cards)
    assert any(v.replace(" ", "").replace("-", "") == "4111111111111111" for v in cards)
    assert any(v.replace(" ", "").replace("-", "") not in simulate.TEST_CARDS for v in cards)
    ibans = [v for v in values if re.fullmatch(r"[A-Z]{2}\d{2}[ A-Z0-9]+", v)]
    assert ibans and all(iban_valid(v) for v in ibans)
    assert any(re.fullmatch(r"\d{3}-\d{2}-\d{4}", v) for v in values)  # SSN
    assert any(re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+", v) for v in values)  # e-mail
    assert any(re.fullmatch(r"\+\d{10,14}", v) for v in values)  # E.164
    assert any(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}|0\d{3,4} \d+|\+\d{1,3} \d+ ?\d*", v) for v in values)
    assert any(re.search(r"\d+ \w+ (Street|Avenue|Drive|Lane|Boulevard|Court|Road|Close),", v) for v in values)
    assert any(re.search(r"(straße|weg|allee) \d+, \d{5}", v) for v in values)
    names = {v for v in values if re.fullmatch(r"[^\W\d]+(?:[ -][^\W\d]+)+", v)}
    cultures = {c for c, (given, family) in simulate.NAMES.items() if any(n.split(" ")[-1] in family for n in names)}
    assert len(cultures) >= 6


def test_luhn_and_iban_helpers() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")


def test_events_per_s_gives_a_flat_rate_from_the_first_minute() -> None:
    posts = _posts(50 * 60 * 4, settings=SimulatorSettings(), events_per_s=50)
    per_minute = Counter(int((p.occurred_at - START).total_seconds() // 60) for p in posts)
    for minute in range(3):
        assert 0.8 * 3000 < per_minute[minute] < 1.2 * 3000, per_minute
    first_ten_seconds = sum(p.occurred_at < START + timedelta(seconds=10) for p in posts)
    assert 0.6 * 500 < first_ten_seconds < 1.4 * 500  # no slow ramp-up while conversations are young


# ----------------------------------------------------------------------------------------------------------
# Signing and normalising
# ----------------------------------------------------------------------------------------------------------


def test_signatures_verify_against_the_public_url(sample: list[WebhookPost]) -> None:
    validator = RequestValidator(TOKEN)
    for post in sample[:300]:
        headers = sign(post, auth_token=TOKEN, base_url=PUBLIC_URL)
        assert validator.validate(PUBLIC_URL + post.path, post.form, headers["X-Twilio-Signature"])
        assert not RequestValidator("other").validate(PUBLIC_URL + post.path, post.form, headers["X-Twilio-Signature"])
        assert headers["I-Twilio-Idempotency-Token"] == post.idempotency_token
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert headers["User-Agent"] == "TwilioProxy/1.1"
    post = sample[0]
    assert sign(post, auth_token=TOKEN, base_url=PUBLIC_URL + "/") == sign(post, auth_token=TOKEN, base_url=PUBLIC_URL)


def test_every_form_normalises_with_the_intended_roles(sample: list[WebhookPost]) -> None:
    twilio = pytest.importorskip("schemas.twilio")
    from schemas.events import AuthorRole

    stories = _stories(sample)
    rules = Settings().roles
    for post in sample:
        event = twilio.from_webhook_form(post.form, rules=rules)
        assert event.event_id == post.event_id
        assert event.conversation_sid == post.conversation_sid
        assert event.occurred_at == post.occurred_at
        who = post.form.get("Author") or post.form.get("Identity") or post.form.get("MessagingBinding.Address")
        if post.event_type in ("onMessageAdded", "onMessageUpdated", "onParticipantAdded"):
            expected = AuthorRole.CUSTOMER
            if who.startswith("agent:"):
                expected = AuthorRole.AGENT
            elif who.startswith("bot:"):
                expected = AuthorRole.BOT
            assert event.author_role is expected, (who, event.author_role)
        if post.event_type == "onMessageAdded":
            assert event.index == int(post.form["Index"]) and event.body == post.form["Body"]
            if event.author_role is AuthorRole.CUSTOMER:
                assert event.channel == stories[post.conversation_sid].channel
        if post.event_type == "onConversationAdded":
            assert (event.channel, event.queue) == (
                stories[post.conversation_sid].channel,
                stories[post.conversation_sid].queue,
            )


# ----------------------------------------------------------------------------------------------------------
# Sending: against a tiny local Twilio-verifying server
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Edge:
    """A stand-in ingest endpoint: verifies signatures on the public URL, counts, checks ordering."""

    token: str = TOKEN
    fail_first_attempt: Callable[[int], bool] = lambda n: False
    accepted: dict[str, Mapping[str, str]] = field(default_factory=dict)
    by_conversation: dict[str, list[Mapping[str, str]]] = field(default_factory=lambda: defaultdict(list))
    retried: list[Mapping[str, str]] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    overlaps: int = 0
    requests: int = 0
    first_attempts: int = 0
    rejected: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("RetryCount") == "0":
            self.first_attempts += 1
        number = self.first_attempts
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(self.token).validate(PUBLIC_URL + WEBHOOK_PATH, form, signature):
            self.rejected += 1
            return web.Response(status=403, text="bad signature")
        conversation = form["ConversationSid"]
        if conversation in self.in_flight:
            self.overlaps += 1
        self.in_flight.add(conversation)
        try:
            await asyncio.sleep(0.001)
            if form["RetryCount"] == "0" and self.fail_first_attempt(number):
                return web.Response(status=503, text="try again")
            if form["RetryCount"] != "0":
                self.retried.append(form)
            token = request.headers["I-Twilio-Idempotency-Token"]
            if token not in self.accepted:
                self.by_conversation[conversation].append(form)
            self.accepted[token] = form
            return web.Response(status=200)
        finally:
            self.in_flight.discard(conversation)


@asynccontextmanager
async def _serve(edge: _Edge) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, edge.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def _settings(token: str | None = TOKEN) -> Settings:
    return Settings(twilio_auth_token=token, public_url=PUBLIC_URL, simulator=SimulatorSettings(seed=SEED))  # type: ignore[arg-type]


async def _simulate(edge: _Edge, settings: Settings, **kw: object) -> simulate.SimulationReport:
    async with _serve(edge) as url:
        return await run_simulation(settings, target_url=url, progress=False, **kw)  # type: ignore[arg-type]


def test_run_simulation_delivers_exactly_total_events_in_order() -> None:
    edge = _Edge()
    report = asyncio.run(_simulate(edge, _settings(), rate=1000, duration=None, total=200))
    assert report.sent == report.accepted == 200 and report.rejected == report.failed == 0
    assert len(edge.accepted) == 200 and report.accepted_ids == {webhook_event_id(f) for f in edge.accepted.values()}
    assert report.by_status == {200: 200} and report.seed == SEED
    assert edge.overlaps == 0, "two posts of one conversation were in flight at once"
    for forms in edge.by_conversation.values():
        _assert_causal(forms)
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=1) < _when(f) <= now for f in edge.accepted.values())


def test_run_simulation_retries_a_503_like_twilio() -> None:
    edge = _Edge(fail_first_attempt=lambda n: n in (3, 40, 90))
    report = asyncio.run(_simulate(edge, _settings(), rate=1000, duration=None, total=120))
    assert report.accepted == 120 and report.failed == 0 and report.retries == 3
    assert len(edge.retried) == 3 and {f["RetryCount"] for f in edge.retried} == {"1"}
    assert report.by_status == {200: 120}


def test_a_wrong_auth_token_is_rejected_and_counted() -> None:
    edge = _Edge(token="the-real-token")
    report = asyncio.run(_simulate(edge, _settings("a-wrong-token"), rate=1000, duration=None, total=30))
    assert report.rejected == 30 and report.accepted == 0 and report.by_status == {403: 30}
    assert report.retries == 0 and edge.rejected == 30


def test_unreachable_target_counts_failures_after_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulate, "RETRY_BACKOFF_S", 0.001)
    report = asyncio.run(
        run_simulation(_settings(), rate=1000, duration=None, total=5, target_url="http://127.0.0.1:9", progress=False)
    )
    assert report.failed == 5 and report.accepted == 0 and report.retries == 5 * simulate.MAX_RETRIES


def test_duration_bounds_the_run() -> None:
    edge = _Edge()
    report = asyncio.run(_simulate(edge, _settings(), rate=200, duration=0.5))
    # Bounded by what 0.5 s of pacing allows (200/s), not by a wall-clock measurement: the machine is shared.
    assert 20 < report.sent <= 200 * 0.5 + 8 and report.accepted == report.sent


def test_missing_auth_token_is_a_clear_error() -> None:
    with pytest.raises(SimulationError, match="CXPULSE_TWILIO_AUTH_TOKEN"):
        asyncio.run(run_simulation(_settings(None), rate=10, duration=1))


@pytest.mark.parametrize("target", [None, "https://cx.example.test", "http://10.0.0.5:6066", "http://[2001:db8::1]/"])
def test_a_target_that_is_not_this_machine_is_refused_before_anything_is_sent(target: str | None) -> None:
    """The posts carry valid signatures made with the real token: by default (public_url) they would be real."""
    with pytest.raises(SimulationError, match="--allow-remote"):
        asyncio.run(run_simulation(_settings(), rate=10, duration=1, total=1, target_url=target, progress=False))


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:6066", True),
        ("http://127.8.9.10", True),
        ("http://localhost:6066/", True),
        ("http://[::1]:6066", True),
        ("http://localhost.example.com", False),
        ("http://127.0.0.1.nip.io", False),
        ("https://cx.example.test/hooks", False),
        ("http://0.0.0.0:6066", True),  # what `cxpulse demo` targets when ingest binds every interface
        ("http://[::]:6066", True),
        ("http://192.168.1.20:6066", False),
    ],
)
def test_only_loopback_addresses_count_as_this_machine(url: str, loopback: bool) -> None:
    assert simulate.is_loopback_url(url) is loopback


def test_allow_remote_lets_the_operator_choose_a_remote_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulate, "RETRY_BACKOFF_S", 0.001)
    monkeypatch.setattr(simulate, "MAX_RETRIES", 0)
    monkeypatch.setattr(simulate, "WEBHOOK_TIMEOUT_S", 0.2)
    report = asyncio.run(
        run_simulation(
            _settings(),
            rate=1000,
            duration=None,
            total=1,
            target_url="http://192.0.2.1:9",  # TEST-NET-1: never answers, nothing real is reached
            progress=False,
            allow_remote=True,
        )
    )
    assert report.sent == 1 and report.accepted == 0  # it was sent (and nobody answered)


def test_cli_refuses_a_remote_target_with_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--total", "1", "--no-progress"])  # no --target: the configured public_url
    assert args.allow_remote is False
    assert simulate.main(args, _settings()) == 2
    err = capsys.readouterr().err
    assert "refusing to post signed simulated traffic to https://cx.example.test/hooks" in err
    assert "--allow-remote" in err


def test_cli_arguments_and_main(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--rate", "500", "--total", "25", "--seed", "9"])
    assert (args.rate, args.total, args.seed, args.duration, args.target) == (500.0, 25, 9, None, None)
    edge = _Edge()

    async def serve_and_run() -> int:
        async with _serve(edge) as url:
            args.target = url
            return await asyncio.to_thread(simulate.main, args, _settings())

    assert asyncio.run(serve_and_run()) == 0
    assert len(edge.accepted) == 25
    assert "accepted 25" in capsys.readouterr().err
