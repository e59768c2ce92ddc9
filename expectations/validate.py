"""The micro-batch runner: decoded events in, a typed verdict out (passed events; failed events + reasons;
per-expectation statistics). The stream agent (:mod:`streams.quality`) only routes what this returns.

Cost is what shapes it. Great Expectations costs a few milliseconds per expectation per validation, nearly
independent of the row count, so:

* the GX context, datasource, asset and suites are built once per process (:class:`Validator`), and GX is
  imported there, at worker start (≈ 2 s), never per batch;
* each suite validates the whole micro-batch (or its event family's rows) in one go with the fast
  ``result_format`` (``BOOLEAN_ONLY``); only when that fails does a second pass, restricted to the failing
  expectations, ask for ``COMPLETE`` results with the failing rows named by ``_row`` and ``event_id``.

Every input gets exactly one verdict: a record that is not a JSON object, names a schema version no suite
covers, fails an expectation, or passes every suite yet is rejected by :class:`ConversationEvent` fails with a
reason; nothing is dropped and one bad event never holds back the rest of its batch.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import ValidationError

from cxpulse.settings import QualitySettings
from expectations.errors import SuiteError
from expectations.frame import ROW, build_frame, missing_fields, missing_required
from expectations.suites import ExpectationSpec, SuiteSpec, load_suites
from schemas.events import ConversationEvent

__all__ = [
    "CANONICAL_SUITE",
    "BatchResult",
    "ExpectationStat",
    "FailedEvent",
    "Failure",
    "PassedEvent",
    "Validator",
    "decode",
]

log = logging.getLogger(__name__)

#: The checks made in code around the GX suites (decoding, suite routing, the canonical model).
CANONICAL_SUITE = "canonical"
_DECODABLE = ExpectationSpec("decodable", "cxpulse.json_object", {}, "undecodable",
                             "the record is not a JSON object")
_VERSION = ExpectationSpec("schema_version_supported", "cxpulse.suite_route", {}, "unsupported_schema_version",
                           "no suite covers the event's schema_version")
_MODEL = ExpectationSpec("model_valid", "cxpulse.conversation_event", {}, "schema_violation",
                         "the event passed the suites but is not a valid ConversationEvent")
_VALIDATION_ERROR = "validation_error"
#: Expectations for which a null is a failure, not "no opinion": they cannot be scoped by blanking rows.
_NULL_SENSITIVE = frozenset({"expect_column_values_to_not_be_null"})
_DETAIL_INDEX_COLUMNS = [ROW, "event_id"]
_MS = 1000.0


@dataclass(frozen=True)
class Failure:
    """Why an event failed: which suite and expectation, the stable reason code and a text-free message."""

    suite: str
    expectation: str
    reason: str
    message: str


@dataclass(frozen=True)
class PassedEvent:
    position: int
    event: ConversationEvent


@dataclass(frozen=True)
class FailedEvent:
    """An event (or an undecodable record) that goes to the DLQ; ``failures[0]`` is its primary reason."""

    position: int
    failures: tuple[Failure, ...]
    record: Mapping[str, Any] | None

    @property
    def primary(self) -> Failure:
        return self.failures[0]

    def field(self, name: str) -> Any:
        return None if self.record is None else self.record.get(name)


@dataclass(frozen=True)
class ExpectationStat:
    """One row of ``dq_results``: one expectation evaluated on one micro-batch."""

    suite: str
    expectation: str
    expectation_type: str
    success: bool
    evaluated: int
    unexpected_count: int
    sample_event_ids: tuple[str, ...]
    duration_ms: float


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    passed: tuple[PassedEvent, ...]
    failed: tuple[FailedEvent, ...]
    stats: tuple[ExpectationStat, ...]
    duration_s: float

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)


def decode(value: bytes | None) -> dict[str, Any] | None:
    """A record value → its JSON object, or None when it is not one (the runner then fails it)."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except (UnicodeDecodeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _class_name(expectation_type: str) -> str:
    return "".join(part.capitalize() for part in expectation_type.split("_"))


@dataclass
class _Collector:
    """Failures per row and statistics per expectation while one batch is validated."""

    sample_size: int
    failures: dict[int, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    stats: list[ExpectationStat] = field(default_factory=list)

    def record(
        self, suite: str, spec: ExpectationSpec, rows: Sequence[int], evaluated: int, event_ids: Sequence[Any],
        duration_ms: float, *, reason: str | None = None,
    ) -> None:
        failure = Failure(suite, spec.id, reason or spec.reason, spec.message)
        for row in rows:
            self.failures[row].append(failure)
        samples = tuple(str(e) for e in event_ids if e is not None)[: self.sample_size]
        self.stats.append(
            ExpectationStat(suite, spec.id, spec.type, not rows, evaluated, len(rows), samples, duration_ms)
        )


class Validator:
    """Great Expectations, built once: validate micro-batches of decoded canonical events.

    The suites stay separate as data, but run as **one** GX validation per batch: GX's cost is per
    expectation *and* per validation, so each suite's columns are scoped (``message__index_value``) and
    blanked (null) outside the rows the suite applies to. Column-map expectations ignore nulls, so a family
    suite only judges its own events; ``expect_column_values_to_not_be_null`` would not, and is therefore only
    allowed in suites that cover every event (family suites list required fields in ``meta.required``).

    :param settings: the ``[quality]`` section (thresholds resolve the suites' placeholders).
    :param suites: the suites to run (default: every file in ``expectations/suites``).
    """

    def __init__(self, settings: QualitySettings, *, suites: Sequence[SuiteSpec] | None = None) -> None:
        import great_expectations as gx  # ≈ 2 s: once per process, here

        started = time.perf_counter()
        self._gx = gx
        self._settings = settings
        self._specs = list(suites) if suites is not None else load_suites(settings)
        for spec in self._specs:
            for item in spec.expectations:
                if spec.event_types is not None and item.type in _NULL_SENSITIVE:
                    raise SuiteError(f"{spec.name}: {item.id} uses {item.type}, which cannot be scoped to an "
                                     "event family; list the field in meta.required instead")
                if "column" not in item.kwargs:
                    raise SuiteError(f"{spec.name}: {item.id} must be a single-column expectation")
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = {"globally": False}
        asset = self._context.data_sources.add_pandas("cxpulse_stream").add_dataframe_asset("micro_batch")
        self._batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")
        self._items = {_key(spec, item): (spec, item) for spec in self._specs for item in spec.expectations}
        self._suite = self._build(list(self._items))
        self._versions = {spec.schema_version for spec in self._specs}
        self._required_names = sorted({name for spec in self._specs for name in spec.required})
        log.info("data-quality suites ready suites=%s expectations=%d build_s=%.2f",
                 ",".join(s.name for s in self._specs), len(self._items), time.perf_counter() - started)

    @property
    def suites(self) -> list[SuiteSpec]:
        return list(self._specs)

    def _build(self, keys: Sequence[str]) -> Any:
        """One GX suite of the given expectations, each on its suite-scoped column."""
        built = []
        for key in keys:
            spec, item = self._items[key]
            cls = getattr(self._gx.expectations, _class_name(item.type), None)
            if cls is None:
                raise SuiteError(f"{spec.name}: {item.id} names an unknown expectation type {item.type}")
            kwargs = {**item.kwargs, "column": _scoped(spec, item.kwargs["column"])}
            try:
                built.append(cls(**kwargs, meta={"key": key}))
            except Exception as exc:  # noqa: BLE001 - GX raises pydantic errors for bad kwargs
                raise SuiteError(f"{spec.name}: {item.id} has invalid kwargs: {exc}") from exc
        return self._gx.ExpectationSuite(name="cxpulse_stream", expectations=built)

    def _run(self, suite: Any, frame: pd.DataFrame, result_format: Any) -> Any:
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(suite, result_format=result_format)

    def _scoped_frame(
        self, frame: pd.DataFrame, missing: Sequence[frozenset[str]]
    ) -> tuple[pd.DataFrame, dict[str, int]]:
        """The GX frame (scoped columns + ``_row`` + ``event_id``) and how many rows each suite covers."""
        columns: dict[str, Any] = {ROW: frame[ROW], "event_id": frame["event_id"]}
        covered: dict[str, int] = {}
        for spec in self._specs:
            mask = frame["schema_version"] == spec.schema_version
            if spec.event_types is not None:
                mask &= frame["event_type"].isin(spec.event_types)
            covered[spec.name] = int(mask.sum())
            source = frame
            if spec.required:
                source = frame.assign(missing_required=missing_required(missing, spec.required))
            for item in spec.expectations:
                column = item.kwargs["column"]
                if column not in source.columns:
                    raise SuiteError(f"{spec.name}: {item.id} checks {column!r}, which the frame does not have")
                values = source[column]
                columns[_scoped(spec, column)] = values.where(mask, None) if values.dtype == object else \
                    values.where(mask)
        return pd.DataFrame(columns), covered

    def _validate_frame(self, frame: pd.DataFrame, missing: Sequence[frozenset[str]], out: _Collector) -> None:
        scoped, covered = self._scoped_frame(frame, missing)
        started = time.perf_counter()
        fast = self._run(self._suite, scoped, self._settings.result_format)
        failing = [r.expectation_config.meta["key"] for r in fast.results if not r.success]
        detail: dict[str, Any] = {}
        if failing:
            result = self._run(
                self._build(failing),
                scoped,
                {"result_format": "COMPLETE", "unexpected_index_column_names": _DETAIL_INDEX_COLUMNS,
                 "return_unexpected_index_query": False},
            )
            detail = {r.expectation_config.meta["key"]: r for r in result.results}
        duration_ms = (time.perf_counter() - started) * _MS
        for key, (spec, item) in self._items.items():
            evaluated = covered[spec.name]
            if not evaluated:
                continue
            result = detail.get(key)
            if result is None:
                out.record(spec.name, item, (), evaluated, (), duration_ms)
                continue
            info = result.exception_info or {}
            if info.get("raised_exception"):
                # GX could not evaluate it: the suite's rows are held back with that reason (never passed on).
                log.error("expectation raised suite=%s expectation=%s error=%s", spec.name, item.id,
                          str(info.get("exception_message", ""))[:200])
                in_scope = scoped[_scoped(spec, item.kwargs["column"])].notna() | (covered[spec.name] > 0)
                rows = [int(r) for r in scoped.loc[in_scope, ROW]]
                out.record(spec.name, item, rows, evaluated, list(scoped.loc[in_scope, "event_id"]), duration_ms,
                           reason=_VALIDATION_ERROR)
                continue
            unexpected = result.result.get("unexpected_index_list") or []
            rows = [int(entry[ROW]) for entry in unexpected]
            out.record(spec.name, item, rows, evaluated, [entry.get("event_id") for entry in unexpected],
                       duration_ms)

    def validate(self, records: Sequence[Mapping[str, Any] | None], *, now: datetime,
                 batch_id: str | None = None) -> BatchResult:
        """Validate one micro-batch.

        :param records: decoded record values in offset order (None for a value that was not a JSON object).
        :param now: the worker's clock, for the future-timestamp check.
        :param batch_id: a stable id for the batch (the agent derives it from the offsets); default random.
        """
        started = time.perf_counter()
        out = _Collector(self._settings.sample_event_ids)
        batch_id = batch_id or uuid.uuid4().hex
        decoded = [(i, r) for i, r in enumerate(records) if isinstance(r, Mapping)]
        undecodable = [i for i, r in enumerate(records) if not isinstance(r, Mapping)]
        out.record(CANONICAL_SUITE, _DECODABLE, undecodable, len(records), (), 0.0)
        routed = [(i, r) for i, r in decoded if r.get("schema_version") in self._versions]
        unrouted = [(i, r) for i, r in decoded if r.get("schema_version") not in self._versions]
        out.record(CANONICAL_SUITE, _VERSION, [i for i, _ in unrouted], len(decoded),
                   [r.get("event_id") for _, r in unrouted], 0.0)

        if routed:
            frame = build_frame([r for _, r in routed], now=now)
            frame[ROW] = [i for i, _ in routed]
            self._validate_frame(frame, [missing_fields(r, self._required_names) for _, r in routed], out)

        passed: list[PassedEvent] = []
        model_failed: list[tuple[int, Mapping[str, Any]]] = []
        for position, record in routed:
            if position in out.failures:
                continue
            try:
                passed.append(PassedEvent(position, ConversationEvent.model_validate(record)))
            except ValidationError as exc:
                model_failed.append((position, record))
                first = exc.errors()[0]
                log.warning("event passed the suites but not the model event_id=%s field=%s error=%s",
                            record.get("event_id"), ".".join(str(p) for p in first["loc"]), first["type"])
        out.record(CANONICAL_SUITE, _MODEL, [i for i, _ in model_failed], len(passed) + len(model_failed),
                   [r.get("event_id") for _, r in model_failed], 0.0)

        failed = tuple(
            FailedEvent(position, tuple(failures), records[position])
            for position, failures in sorted(out.failures.items())
        )
        return BatchResult(batch_id, tuple(passed), failed, tuple(out.stats), time.perf_counter() - started)


def _key(spec: SuiteSpec, item: ExpectationSpec) -> str:
    return f"{spec.name}/{item.id}"


def _scoped(spec: SuiteSpec, column: str) -> str:
    """A suite's private copy of a column (``message.v1`` + ``index_value`` → ``message_v1__index_value``)."""
    return f"{spec.name.replace('.', '_')}__{column}"
