"""Summaries of learning curves grouped by algorithm: what ``boundcheck plot-runs --group`` reports.

Input: ``groups`` maps a label (e.g. "mbpo Hopper-v5") to {seed: curve}, a curve being
{real env steps: evaluation return}. Output: a typed :class:`GroupsSummary` (its JSON, by
:mod:`boundcheck.codec`, is what ``plot-runs --group --json`` prints) with, per group,
the return at a given step and the mean of the last ``window`` evaluations up to it, each
summarised over seeds with a t interval; and, when exactly two groups were run on the same
seeds, the paired comparison of the first against the second (statistics in
:mod:`boundcheck.estimators.learning`). The paper's learning-curve claims are in Section 6.1
(comparative evaluation, Figure 2); these statistics answer "does MBPO beat SAC at N steps"
across seeds rather than from one mean curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from boundcheck.estimators.learning import (
    Curve,
    PairedComparison,
    SeedSummary,
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


@dataclass(frozen=True)
class SeedValues:
    """One statistic per seed (ascending seeds) and its summary over the seeds; JSON
    ``{per_seed: {seed: value}, summary: {mean, std, ci_low, ci_high, n, ...}}``."""

    per_seed: dict[int, float]
    summary: SeedSummary


@dataclass(frozen=True)
class GroupSummary:
    """One group's seeds and both per-run statistics: the return at the step and the mean of
    the last evaluations up to it."""

    seeds: tuple[int, ...]
    at_step: SeedValues
    window_mean: SeedValues


@dataclass(frozen=True)
class PairedGroups:
    """Group ``a`` against group ``b`` on the same seeds, for both statistics."""

    a: str
    b: str
    at_step: PairedComparison
    window_mean: PairedComparison


@dataclass(frozen=True)
class GroupsSummary:
    """Per-group summaries at ``step`` and the paired comparison (None unless two groups on
    the same seeds). Its JSON is the ``plot-runs --group --json`` document, without the
    figure."""

    step: int
    window: int
    confidence: float
    groups: dict[str, GroupSummary]
    paired: PairedGroups | None


def _group_summary(seeds: SeedCurves, step: int, window: int,
                   confidence: float) -> GroupSummary:
    ordered = sorted(seeds.items())
    at = {s: float(c[step]) for s, c in ordered}
    windowed = {s: window_mean(c, step, window) for s, c in ordered}
    return GroupSummary(
        seeds=tuple(sorted(seeds)),
        at_step=SeedValues(at, seed_summary(list(at.values()), confidence)),
        window_mean=SeedValues(windowed, seed_summary(list(windowed.values()), confidence)))


def summarize_groups(groups: Mapping[str, SeedCurves], step: int, window: int = 5,
                     confidence: float = 0.95) -> GroupsSummary:
    """Per-group summaries at ``step`` and, for two groups on the same seeds, the paired test.

    Raises ``ValueError`` when a run has no evaluation at ``step`` or a group is empty.
    """
    summaries: dict[str, GroupSummary] = {}
    for label, seeds in groups.items():
        if not seeds:
            raise ValueError(f"group {label!r} has no runs")
        missing = [s for s, c in seeds.items() if step not in c]
        if missing:
            raise ValueError(f"{label}: seed(s) {missing} have no evaluation at step {step}")
        summaries[label] = _group_summary(seeds, step, window, confidence)
    labels = list(groups)
    paired = None
    if len(labels) == 2 and set(groups[labels[0]]) == set(groups[labels[1]]):
        a, b = (summaries[label] for label in labels)
        paired = PairedGroups(
            labels[0], labels[1],
            at_step=paired_comparison(list(a.at_step.per_seed.values()),
                                      list(b.at_step.per_seed.values()), confidence),
            window_mean=paired_comparison(list(a.window_mean.per_seed.values()),
                                          list(b.window_mean.per_seed.values()), confidence))
    return GroupsSummary(step, window, confidence, summaries, paired)
