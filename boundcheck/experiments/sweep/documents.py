"""The ``--json`` documents of the sweep commands: one JSON value each, the typed parts encoded
by :mod:`boundcheck.codec` (the terminal views of the same results are in
:mod:`boundcheck.render.sweep`)."""

from __future__ import annotations

from typing import Any

from boundcheck.codec import encode
from boundcheck.experiments.sweep.analyses import RunsAnalysis, analyses_json
from boundcheck.experiments.sweep.followons import AnalysisResult
from boundcheck.experiments.sweep.run import SweepResult
from boundcheck.experiments.sweep.summary import SweepReport


def sweep_document(result: SweepResult, report: SweepReport | None) -> dict[str, Any]:
    """``sweep train|file --json``: the sweep's folder and wall time, every cell's outcome, the
    follow-on analyses, what failed, and the report (None when it was not made)."""
    doc: dict[str, Any] = encode({
        "out": result.out, "wall_seconds": result.wall_seconds, "cells": result.cells,
        "analyses": [_analysis("cell", a) for a in result.analyses],
        "failed": [c.name for c in result.failed]
        + [f"{a.name} (analysis)" for a in result.failed_analyses],
        "report": report})
    return doc


def runs_analysis_document(result: RunsAnalysis) -> dict[str, Any]:
    """``sweep validate|measure-generalization --runs ... --json``: each run's analyses, the
    summaries per task and algorithm, and the runs whose analysis failed."""
    doc: dict[str, Any] = encode({
        "runs": [_analysis("run", a) for a in result.outcomes],
        "groups": [{"group": g.label, "runs": g.runs, **analyses_json(g.verdicts, list(g.slopes))}
                   for g in result.groups],
        "failed": [a.name for a in result.failed]})
    return doc


def _analysis(key: str, outcome: AnalysisResult) -> dict[str, Any]:
    """One cell's (``key`` "cell") or run's (``key`` "run") follow-on analyses."""
    return {key: outcome.name, "done": outcome.done, "error": outcome.error}
