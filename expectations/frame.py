"""Decoded events → the columns the suites validate: plain columns plus a few derived ones.

GX checks one column at a time; what needs a rule across fields or rows is derived here, once per batch, in
plain Python (about a millisecond per 1,000 events), and the suites state the expectation on the result:

* ``occurred_at_epoch_s`` (None when missing or not ISO 8601) and ``occurred_at_lead_s`` (how far ahead of the
  worker's clock the event claims to be);
* ``index_value`` (a non-integer ``index`` becomes ``-inf`` so ``index_non_negative`` rejects it). There is no
  rule on the *order* of indexes: Twilio delivers a conversation's webhooks concurrently and Event Streams makes
  no order promise, so a message arriving after a later one is normal traffic (docs/reliability.md);
* ``body_chars``; ``attributes_error`` (set by :mod:`schemas.twilio` when Attributes were not a JSON object);
* ``missing_required``: filled in per suite from its ``meta.required`` list (:func:`missing_required`).

Free text (``body``, ``author``, attribute values) never enters the frame: GX's detailed results echo column
values, and nothing it reports may carry text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from schemas.twilio import ATTRIBUTES_ERROR_KEY

__all__ = ["NUMERIC_COLUMNS", "ROW", "TEXT_COLUMNS", "blank_rows", "build_columns", "missing_required"]

#: The column that names a row's position in the batch (GX reports failing rows by it and ``event_id``).
ROW = "_row"
#: Canonical fields copied as text (None when absent or empty; non-strings are stringified so they fail).
TEXT_COLUMNS = (
    "event_id",
    "event_type",
    "account_sid",
    "conversation_sid",
    "chat_service_sid",
    "message_sid",
    "participant_sid",
    "channel",
    "author_role",
    "state_to",
)
#: Derived numeric columns (float64 in the frame; None becomes NaN, which GX treats as null).
NUMERIC_COLUMNS = frozenset({"occurred_at_epoch_s", "occurred_at_lead_s", "index_value", "body_chars"})
_NOT_AN_INTEGER = -math.inf
_MESSAGE_ADDED = "message.added"


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    return value if isinstance(value, str) else str(value)


def _epoch_s(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _index(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return float(int(value.strip()))
    return _NOT_AN_INTEGER


def _attributes_error(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return "attributes is not an object"
    error = value.get(ATTRIBUTES_ERROR_KEY)
    return None if _blank(error) else str(error)


def blank_rows(
    records: Sequence[Mapping[str, Any]], columns: Mapping[str, Sequence[Any]], names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Per field of ``names``: which rows lack it (absent, null or empty). Text columns already say so (None)."""
    blank = {}
    for name in names:
        if name in TEXT_COLUMNS:  # already None when blank
            blank[name] = np.fromiter((v is None for v in columns[name]), dtype=bool, count=len(records))
        else:
            blank[name] = np.fromiter((_blank(r.get(name)) for r in records), dtype=bool, count=len(records))
    return blank


def missing_required(blank: Mapping[str, np.ndarray], required: Sequence[str], rows: int) -> list[str | None]:
    """Per row, the suite's required fields it lacks, comma-joined; None when complete."""
    column: list[str | None] = [None] * rows
    if not required:
        return column
    incomplete = np.logical_or.reduce([blank[name] for name in required])
    for row in np.flatnonzero(incomplete):
        column[row] = ",".join(sorted(name for name in required if blank[name][row]))
    return column


def build_columns(records: Sequence[Mapping[str, Any]], *, now: datetime) -> dict[str, list[Any]]:
    """The batch as plain columns (row ``i`` is ``records[i]``; column :data:`ROW` holds ``i``).

    Lists, not a dataframe: the runner scopes and blanks them per suite first and builds the one frame GX
    sees from the result, so no intermediate pandas frame is built and copied (see :mod:`.validate`).
    Numeric columns hold floats or None; the runner turns them into float64 (None → NaN).
    """
    now_s = now.timestamp()
    columns: dict[str, list[Any]] = {}
    for name in TEXT_COLUMNS:
        values = [r.get(name) for r in records]
        columns[name] = [v if v.__class__ is str and v else _text(v) for v in values]  # no call for the usual case
    epochs = [_epoch_s(r.get("occurred_at")) for r in records]
    indexes = [_index(r.get("index")) for r in records]
    columns.update(
        {
            ROW: list(range(len(records))),
            "schema_version": [r.get("schema_version") for r in records],
            "redacted": [
                r.get("redacted") if isinstance(r.get("redacted"), bool | None) else str(r.get("redacted"))
                for r in records
            ],
            "occurred_at_epoch_s": epochs,
            "occurred_at_lead_s": [None if e is None else e - now_s for e in epochs],
            "index_value": indexes,
            "body_chars": [float(len(b)) if isinstance(b := r.get("body"), str) else None for r in records],
            "attributes_error": [_attributes_error(r.get("attributes")) for r in records],
        }
    )
    return columns
