"""Suites as data: ``expectations/suites/<family>.v<schema_version>.json`` → Great Expectations suites.

A suite file is GX's own shape (``name``, ``meta``, ``expectations`` with ``type`` + ``kwargs``) plus what the
stream needs to route a failure: each expectation has a stable ``id`` (what ``dq_results`` and the DLQ name),
a machine ``reason`` and a human ``message`` that never quotes event values. ``meta.event_types`` says which
events the suite applies to (``"*"``: all of its schema version); ``meta.required`` lists the fields those
events cannot be without (checked through the derived ``missing_required`` column, see :mod:`.frame`).

Thresholds are not written into the files: a kwarg value ``"${name}"`` is replaced by the setting of that name
(:func:`suite_variables`), so operators tune ``[quality]`` in ``cxpulse.toml`` and the suites follow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cxpulse.settings import QualitySettings
from expectations.errors import SuiteError
from schemas.events import EventType

__all__ = ["ALL_EVENT_TYPES", "ExpectationSpec", "SuiteSpec", "load_suites", "suite_variables"]

#: ``meta.event_types`` value meaning "every event of this schema version".
ALL_EVENT_TYPES = "*"
_PLACEHOLDER = re.compile(r"^\$\{([a-z_]+)\}$")
_FILE = re.compile(r"^[a-z_]+\.v(\d+)\.json$")


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite, as written in its file (placeholders already resolved)."""

    id: str
    type: str
    kwargs: Mapping[str, Any]
    reason: str
    message: str


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file: which events it covers and what it expects of them."""

    name: str
    schema_version: int
    event_types: frozenset[str] | None  # None: every event type of the schema version
    required: tuple[str, ...]
    expectations: tuple[ExpectationSpec, ...]
    description: str = ""

    def applies_to(self, event_type: Any) -> bool:
        return self.event_types is None or event_type in self.event_types


def suite_variables(settings: QualitySettings) -> dict[str, Any]:
    """The values ``"${name}"`` placeholders resolve to."""
    return {
        "event_types": sorted(t.value for t in EventType),
        "channels": list(settings.channels),
        "states": list(settings.states),
        "max_clock_skew_s": settings.max_clock_skew_s,
        "max_body_chars": settings.max_body_chars,
    }


def _resolve(value: Any, variables: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str) and (match := _PLACEHOLDER.match(value)):
        name = match.group(1)
        if name not in variables:
            raise SuiteError(f"{where}: placeholder ${{{name}}} names no [quality] setting")
        return variables[name]
    return value


def _expectation(raw: Mapping[str, Any], variables: Mapping[str, Any], where: str) -> ExpectationSpec:
    try:
        exp_id, exp_type, kwargs = raw["id"], raw["type"], raw["kwargs"]
        reason, message = raw["reason"], raw["message"]
    except KeyError as exc:
        raise SuiteError(f"{where}: expectation lacks {exc.args[0]!r}") from exc
    if not isinstance(kwargs, Mapping):
        raise SuiteError(f"{where}: kwargs of {exp_id} must be an object")
    resolved = {key: _resolve(value, variables, f"{where}:{exp_id}.{key}") for key, value in kwargs.items()}
    return ExpectationSpec(id=exp_id, type=exp_type, kwargs=resolved, reason=reason, message=message)


def parse_suite(raw: Mapping[str, Any], variables: Mapping[str, Any], *, where: str = "suite") -> SuiteSpec:
    """One suite file's JSON → :class:`SuiteSpec`.

    :raises SuiteError: a missing key, duplicate expectation ids or an unresolvable placeholder.
    """
    try:
        name, meta, items = raw["name"], raw["meta"], raw["expectations"]
        schema_version = int(meta["schema_version"])
        event_types = meta["event_types"]
    except (KeyError, TypeError, ValueError) as exc:
        raise SuiteError(f"{where}: needs name, meta.schema_version, meta.event_types, expectations") from exc
    specs = tuple(_expectation(item, variables, f"{where}") for item in items)
    ids = [spec.id for spec in specs]
    if len(set(ids)) != len(ids):
        raise SuiteError(f"{where}: expectation ids must be unique, got {ids}")
    return SuiteSpec(
        name=name,
        schema_version=schema_version,
        event_types=None if event_types == ALL_EVENT_TYPES else frozenset(event_types),
        required=tuple(meta.get("required", ())),
        expectations=specs,
        description=str(meta.get("description", "")),
    )


def load_suites(settings: QualitySettings, *, files: Sequence[str] | None = None) -> list[SuiteSpec]:
    """Every suite shipped in ``expectations/suites`` (or the named ones), placeholders resolved.

    Suites covering every event type come first, so an event's first failure names the most basic problem.
    """
    folder = resources.files("expectations") / "suites"
    variables = suite_variables(settings)
    suites: list[SuiteSpec] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not _FILE.match(entry.name) or (files is not None and entry.name not in files):
            continue
        try:
            raw = json.loads(entry.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SuiteError(f"{entry.name} is not valid JSON: {exc}") from exc
        suites.append(parse_suite(raw, variables, where=entry.name))
    if not suites:
        raise SuiteError("no suite files found in expectations/suites")
    suites.sort(key=lambda s: (s.event_types is not None, s.name))
    return suites
