"""Pure helpers behind the QA, Compliance and Data quality pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboards.queries import Review, trend_bucket_s

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "bucket_s"),
    [(1, 60), (6, 60), (7, 3600), (72, 3600), (73, 86400), (720, 86400)],
)
def test_trend_buckets_get_coarser_with_the_span(hours: float, bucket_s: int) -> None:
    assert trend_bucket_s(T0 - timedelta(hours=hours), T0, minutes_max_h=6, hourly_max_h=72) == bucket_s


def _review(**changes: object) -> Review:
    base = {
        "conversation_sid": "CH" + "1" * 32,
        "reviewer": "rita",
        "scores": {"empathy": 4, "accuracy": 5},
        "comment": "fine",
        "policy_version": "p1",
        "reviewed_at": T0,
    }
    return Review(**{**base, **changes})  # type: ignore[arg-type]


def test_an_identical_resubmission_is_the_same_review_and_any_change_is_another() -> None:
    first = _review()
    assert _review(reviewed_at=T0 + timedelta(seconds=3)).review_id == first.review_id
    assert _review(scores={"accuracy": 5, "empathy": 4}).review_id == first.review_id  # order of criteria
    for change in (
        {"reviewer": "sam"},
        {"comment": "fine!"},
        {"scores": {"empathy": 3, "accuracy": 5}},
        {"conversation_sid": "CH" + "2" * 32},
    ):
        assert _review(**change).review_id != first.review_id
