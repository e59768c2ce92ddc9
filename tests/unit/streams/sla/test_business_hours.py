"""Business hours: response time and breaches count only time inside the queue's opening hours.

Calendar used below (2026-03-06 is a Friday, 2026-03-09 the Monday after). Expectations are computed by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from cxpulse.settings import BusinessHours, SlaSettings
from streams.sla.config import SlaConfig, business_deadline, business_seconds
from streams.sla.live import AWAITING, BREACHING, live_status
from streams.sla.state import derive
from tests.unit.streams.sla.builders import T0, Script, run

BERLIN = BusinessHours(timezone="Europe/Berlin", days=["mon", "tue", "wed", "thu", "fri"], open="09:00", close="17:00")


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_no_business_hours_is_the_calendar() -> None:
    assert business_seconds(None, 100.0, 160.5) == 60.5
    assert business_deadline(None, 100.0, 60.0) == 160.0


def test_a_wait_across_a_weekend_counts_friday_evening_and_monday_morning_only() -> None:
    # Berlin is UTC+1 in March before the DST change (2026-03-29).
    friday_1650 = utc(2026, 3, 6, 15, 50)  # 16:50 local: 10 minutes before closing
    monday_0905 = utc(2026, 3, 9, 8, 5)  # 09:05 local: 5 minutes after opening
    assert business_seconds(BERLIN, friday_1650, monday_0905) == 15 * 60
    # A 60 s threshold from Friday 16:59:30 local: 30 s on Friday, 30 s on Monday from 09:00 local.
    assert business_deadline(BERLIN, utc(2026, 3, 6, 15, 59, 30), 60) == utc(2026, 3, 9, 8, 0, 30)


def test_a_message_outside_hours_starts_counting_at_opening() -> None:
    saturday = utc(2026, 3, 7, 12, 0)
    monday_0901 = utc(2026, 3, 9, 8, 1)
    assert business_seconds(BERLIN, saturday, monday_0901) == 60
    assert business_deadline(BERLIN, saturday, 60) == monday_0901


def test_daylight_saving_keeps_local_opening_hours() -> None:
    # 2026-03-30 (Monday after the change) Berlin is UTC+2: 09:00 local = 07:00 UTC.
    sunday = utc(2026, 3, 29, 12, 0)
    assert business_deadline(BERLIN, sunday, 3600) == utc(2026, 3, 30, 8, 0)


def test_midnight_closing_and_validation() -> None:
    late_shift = BusinessHours(days=["sat"], open="20:00", close="24:00")
    assert business_seconds(late_shift, utc(2026, 3, 7, 23, 0), utc(2026, 3, 8, 1, 0)) == 3600
    with pytest.raises(ValidationError):
        BusinessHours(timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        BusinessHours(days=["someday"])
    with pytest.raises(ValidationError):
        BusinessHours(open="9am")


def test_lookup_is_most_specific_first() -> None:
    sales = BusinessHours(open="08:00", close="20:00")
    cfg = SlaConfig(sla=SlaSettings(business_hours={"default": BERLIN, "sales": sales}))
    assert cfg.business_hours("sms", "sales") is sales
    assert cfg.business_hours("sms", "billing") is BERLIN
    assert SlaConfig().business_hours("sms", "billing") is None


def test_response_facts_and_the_live_breach_use_business_time() -> None:
    # T0 = Monday 2026-03-02 09:00 UTC. Hours: 09:00-17:00 UTC on weekdays; threshold 60 s.
    hours = BusinessHours(timezone="UTC", open="09:00", close="17:00")
    # Idle abandonment is calendar time (the customer's patience): set long, it is not under test here.
    cfg = SlaConfig(
        sla=SlaSettings(default_threshold_s=60, inactivity_abandon_s=86400, business_hours={"billing": hours})
    )
    before_opening = -3600.0  # 08:00: an hour before opening
    script = Script(queue="billing").added(before_opening - 10).customer(before_opening).agent(50)
    state, published = run(script.events, cfg)
    (fact,) = published
    assert (fact.response_s, fact.breached) == (50.0, False)  # 08:00 -> 09:00:50 is 50 business seconds
    assert fact.reply_at - fact.customer_at == 3650.0

    waiting = Script(queue="billing").added(before_opening - 10).customer(before_opening)
    state, _ = run(waiting.events, cfg)
    live = derive(state, cfg).live
    assert live.breach_at == T0.timestamp() + 60
    assert live_status(live, T0.timestamp() + 60, cfg) == AWAITING
    assert live_status(live, T0.timestamp() + 61, cfg) == BREACHING
    # The same wait with no business hours breached long ago.
    assert (
        live_status(
            derive(run(waiting.events, SlaConfig())[0], SlaConfig()).live,
            (T0 - timedelta(minutes=58)).timestamp(),
            SlaConfig(),
        )
        == BREACHING
    )
