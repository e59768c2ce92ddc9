"""A prepared Great Expectations validation plan: GX's metric graph built once, resolved per micro-batch.

Why: profiling ``Batch.validate`` on a 1,000-event batch with 24 expectations showed that more than half of
GX's ≈ 170 ms went into *planning*, not computing. Per validation GX rebuilds every expectation from its
configuration, asks it for its metric dependencies (``Expectation.configuration`` re-serialises the pydantic
model dozens of times per expectation) and builds the metric dependency graph, then does the same again while
formatting results. None of that depends on the data: for a fixed suite, result format and batch id, the graph
is identical for every micro-batch. So, like a prepared SQL statement:

* **once** (:meth:`PreparedPlan.__init__`): each GX expectation declares its metric dependencies for the
  result format, and GX's :class:`MetricsCalculator` expands them into the dependency graph;
* **per batch** (:meth:`PreparedPlan.run`): the frame is loaded into a fresh GX ``PandasExecutionEngine``
  (:func:`new_engine`, so nothing of the previous batch survives), GX's :class:`ValidationGraph` resolves
  every metric (GX's own metric providers: regex, set membership, bounds, nulls), and each expectation's own
  ``_validate`` turns its metrics into success and the unexpected rows, exactly as ``Expectation.metrics_validate``
  does after its (repeated) dependency lookup.

GX still evaluates every expectation; only the per-run re-planning is skipped. This leans on GX internals
(``ValidationGraph``, ``MetricsCalculator``, ``Expectation._validate``) that ``great-expectations>=1.24,<2``
provides; ``tests/unit/expectations/test_plan.py`` checks the plan against GX's public ``Batch.validate`` on
the contract batch, and :class:`expectations.validate.Validator` falls back to ``Batch.validate`` if a plan
cannot be built.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["BATCH_ID", "Outcome", "PreparedPlan", "new_engine"]

log = logging.getLogger(__name__)

#: The one batch id the plan's engine holds; every micro-batch replaces its data.
BATCH_ID = "cxpulse_micro_batch"


@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict on one batch: GX's success flag and result dict, or why GX could not decide."""

    success: bool
    result: Mapping[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class _Step:
    key: str
    expectation: Any  # a GX Expectation
    metric_ids: Mapping[str, Any]  # the name _validate looks a metric up by -> its MetricConfiguration id
    graph_ids: frozenset[Any]  # every metric id its dependency graph needs (to attribute aborted metrics)
    result_format: Mapping[str, Any]


class PreparedPlan:
    """GX expectations for one result format, planned once and resolved on any number of frames.

    :param expectations: (key, GX Expectation) pairs; keys name the outcomes of :meth:`run`.
    :param result_format: a GX result format (``"BOOLEAN_ONLY"`` or a ``COMPLETE`` dict).
    """

    def __init__(self, expectations: Sequence[tuple[str, Any]], result_format: Any) -> None:
        from great_expectations.validator.metrics_calculator import MetricsCalculator

        engine = new_engine(None)
        self._runtime = {"result_format": copy.deepcopy(result_format)}
        calculator = MetricsCalculator(execution_engine=engine, show_progress_bars=False)
        self._steps: dict[str, _Step] = {}
        self._edges: dict[str, list[Any]] = {}
        for key, expectation in expectations:
            dependencies = expectation.get_validation_dependencies(
                execution_engine=engine, runtime_configuration=copy.deepcopy(self._runtime)
            )
            graph = calculator.build_metric_dependency_graph(
                metric_configurations=dependencies.get_metric_configurations(),
                runtime_configuration=self._runtime,
            )
            ids = {edge.left.id for edge in graph.edges} | {edge.right.id for edge in graph.edges if edge.right}
            self._steps[key] = _Step(
                key=key,
                expectation=expectation,
                metric_ids={name: metric.id for name, metric in dependencies.metric_configurations.items()},
                graph_ids=frozenset(ids),
                result_format=dependencies.result_format,
            )
            self._edges[key] = list(graph.edges)

    @property
    def keys(self) -> list[str]:
        return list(self._steps)

    def run(
        self, engine: Any, keys: Sequence[str] | None = None, *, known: Mapping[Any, Any] | None = None
    ) -> tuple[dict[str, Outcome], dict[Any, Any]]:
        """Resolve the plan (or the named part of it) on the batch ``engine`` holds (see :func:`new_engine`).

        :param known: metrics already resolved on this engine's batch (another plan's run on the same frame):
            the detailed pass reuses the fast pass's conditions and counts instead of computing them again.
        :returns: one :class:`Outcome` per expectation, and every metric now resolved (``known`` included).
        """
        from great_expectations.validator.validation_graph import MetricEdge, ValidationGraph

        known = dict(known or {})
        steps = [self._steps[k] for k in (keys if keys is not None else self._steps)]
        edges = []
        for edge in (edge for step in steps for edge in self._edges[step.key]):
            if edge.left.id in known:
                continue  # resolved by the earlier pass on this engine
            if edge.right is not None and edge.right.id in known:
                edge = MetricEdge(edge.left)  # its dependency is ready: the engine's metric cache holds it
            edges.append(edge)
        graph = ValidationGraph(execution_engine=engine, edges=edges)
        resolved, aborted = graph.resolve(runtime_configuration=self._runtime, show_progress_bars=False)
        resolved = {**known, **resolved}
        outcomes: dict[str, Outcome] = {}
        for step in steps:
            failed = [aborted[i] for i in step.graph_ids if i in aborted]
            if failed or any(i not in resolved for i in step.metric_ids.values()):
                info = failed[0].get("exception_info") if failed else None
                message = getattr(info, "exception_message", None) or "a metric could not be resolved"
                outcomes[step.key] = Outcome(False, {}, str(message))
                continue
            try:
                raw = step.expectation._validate(  # noqa: SLF001 - GX's own verdict on the resolved metrics
                    metrics={name: resolved[i] for name, i in step.metric_ids.items()},
                    runtime_configuration={"result_format": copy.deepcopy(step.result_format)},
                    execution_engine=engine,
                )
            except Exception as exc:  # noqa: BLE001 - one expectation's failure must not sink the batch
                outcomes[step.key] = Outcome(False, {}, f"{type(exc).__name__}: {exc}")
                continue
            if isinstance(raw, Mapping):
                outcomes[step.key] = Outcome(bool(raw["success"]), raw.get("result") or {})
            else:  # an ExpectationValidationResult
                outcomes[step.key] = Outcome(bool(raw.success), raw.result or {})
        return outcomes, resolved


def new_engine(frame: pd.DataFrame | None) -> Any:
    """A GX ``PandasExecutionEngine`` holding ``frame`` as its one batch.

    One engine per micro-batch (≈ 10 µs): its metric cache then serves the fast and the detailed pass of that
    batch, and nothing computed on one batch can ever answer for the next.
    """
    from great_expectations.execution_engine import PandasExecutionEngine

    engine = PandasExecutionEngine()
    if frame is not None:
        engine.load_batch_data(BATCH_ID, frame)
    return engine
