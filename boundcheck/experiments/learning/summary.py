"""Summaries of learning curves grouped by algorithm: what ``boundcheck plot-runs --group`` reports.

Input: ``groups`` maps a label (e.g. "mbpo Hopper-v5") to {seed: curve}, a curve being
{real env steps: evaluation return}. Output: one JSON-ready document with, per group, the return
at a given step and the mean of the last ``window`` evaluations up to it, each summarised over
seeds with a t interval; and, when exactly two groups were run on the same seeds, the paired
comparison of the first against the second (``boundcheck.estimators.learning``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from boundcheck.estimators.learning import (
    Curve,
    common_steps,
    paired_comparison,
    seed_summary,
    window_mean,
)

SeedCurves = Mapping[int, Curve]


def last_common_step(groups: Mapping[str, SeedCurves]) -> int:
    """The largest env-step count at which every run of every group was evaluated."""
    steps = common_steps([c for seeds in groups.values() for c in seeds.values()])
    if not steps:
        raise ValueError("the runs share no evaluated step")
    return steps[-1]


def _per_seed(seeds: SeedCurves, step: int, window: int) -> dict[str, dict[int, float]]:
    return {"at_step": {s: float(c[step]) for s, c in sorted(seeds.items())},
            "window_mean": {s: window_mean(c, step, window) for s, c in sorted(seeds.items())}}


def summarize_groups(groups: Mapping[str, SeedCurves], step: int, window: int = 5,
                     confidence: float = 0.95) -> dict[str, Any]:
    """Per-group summaries at ``step`` and, for two groups on the same seeds, the paired test.

    Raises ``ValueError`` when a run has no evaluation at ``step`` or a group is empty.
    """
    doc: dict[str, Any] = {"step": step, "window": window, "confidence": confidence,
                           "groups": {}, "paired": None}
    per_seed: dict[str, dict[str, dict[int, float]]] = {}
    for label, seeds in groups.items():
        if not seeds:
            raise ValueError(f"group {label!r} has no runs")
        missing = [s for s, c in seeds.items() if step not in c]
        if missing:
            raise ValueError(f"{label}: seed(s) {missing} have no evaluation at step {step}")
        per_seed[label] = _per_seed(seeds, step, window)
        doc["groups"][label] = {
            "seeds": sorted(seeds),
            **{key: {"per_seed": vals,
                     "summary": asdict(seed_summary(list(vals.values()), confidence))}
               for key, vals in per_seed[label].items()}}
    labels = list(groups)
    if len(labels) == 2 and set(groups[labels[0]]) == set(groups[labels[1]]):
        a, b = (per_seed[label] for label in labels)
        doc["paired"] = {"a": labels[0], "b": labels[1], **{
            key: asdict(paired_comparison(list(a[key].values()), list(b[key].values()),
                                          confidence))
            for key in ("at_step", "window_mean")}}
    return doc
