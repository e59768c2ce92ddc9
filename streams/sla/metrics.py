"""Aggregate SLA metrics over response facts: one definition shared by windows, tests and docs/sla.md."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from streams.sla.facts import ABANDONED, ANSWERED, ResponseFact

__all__ = ["percentile", "service_level_pct"]


def service_level_pct(facts: Iterable[ResponseFact]) -> float | None:
    """Answered within threshold ÷ (answered + abandoned waits longer than the threshold), as a percentage.

    Short abandons never count; abandons under the threshold neither help nor hurt. None when nothing counts.
    """
    within = counted = 0
    for fact in facts:
        if fact.retracted:
            continue
        if fact.outcome == ANSWERED:
            counted += 1
            within += not fact.breached
        elif fact.outcome == ABANDONED and fact.breached and not fact.short_abandon:
            counted += 1
    return None if counted == 0 else round(100.0 * within / counted, 2)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]
