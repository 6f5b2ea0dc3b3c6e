"""Does the math pick k? Theorem 4.3's k* against the rollout length that trains best
(docs/results/rollout_length.md).

Input: runs trained with a fixed rollout length k (``--set rollout.fixed_length=K``, one run per
k and seed), each with its evaluation curve and, where validated, the newest epoch pair of its
``validate`` result. Per k, over the seeds (Student-t intervals):

- **what trains best**: the mean of each run's last ``window`` evaluations up to the last step
  every run reached (so runs of different lengths are compared at the same step);
- **model exploitation**: η̂[π] − η[π] (the full-model return against the true one) and
  η^branch[π] − η[π] (the branched return the theorems bound) at ``gamma``, per run from its
  newest pair;
- **what the math says**: k* of Theorem 4.3 from each run's own measured ratio ε_m′/ε_π
  (the values its checks used: ε_π the max over states of the per-state Pinsker bound, ε_m′
  the selection-aware upper bound on the sup over time of the TV), with the range k* takes
  when ε_π ranges over the bootstrap interval of its statistic (widened to include the point)
  and ε_m′ from the point value of its sup to that upper bound
  (:func:`boundcheck.theory.k_interval.k_star_interval`, slope 0: ε_m′ is measured at π
  itself); and, labelled a what-if, k* were ε_π the mean over states. The range is a
  sensitivity range over the measured uncertainty, not a confidence interval: the bootstrap of
  a max does not reach above the observed max. Only runs whose ε_m′ is a measured TV get a k*
  (without known noise ε_m′ = 1 and k* = 0 by construction).

The answer compares the best k (highest mean final return) with the k* ranges: the union over
every run and, per run, whether its own range holds the best k. Every other k is paired against
the best on the seeds they share; the best was picked on the same data, so those differences
lean towards it (no correction for the selection or for the several comparisons).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from boundcheck.estimators.learning import (
    Curve,
    PairedComparison,
    SeedSummary,
    paired_comparison,
    seed_summary,
    window_mean,
)
from boundcheck.experiments.learning.curves import load_run_curves
from boundcheck.experiments.learning.summary import last_common_step
from boundcheck.experiments.validate.document import PairRecord, read_validation
from boundcheck.experiments.validate.results import EpsSource
from boundcheck.theory.k_interval import k_star_interval
from boundcheck.theory.optimal_k import k_star_closed_form


@dataclass(frozen=True)
class KRun:
    """One fixed-k run: its name, k, seed, evaluation curve {env steps: return} and newest
    validated epoch pair (None if not validated)."""

    name: str
    k: int
    seed: int
    curve: Curve
    pair: PairRecord | None


@dataclass(frozen=True)
class KStarOfRun:
    """Theorem 4.3's k* from one run's newest pair at one γ (``None``: unbounded, ε_m′ = 0).

    ``point`` from the ε's the run's checks used; [``low``, ``high``] its range over the ε's
    intervals (None: unbounded, at ε_m′ = 0); ``if_eps_pi_mean``: the what-if with ε_π the mean
    over states of the Pinsker bound (not what the theorem takes).
    """

    point: int | None
    low: int | None
    high: int | None
    if_eps_pi_mean: int | None
    eps_policy: float
    eps_model_shifted: float


@dataclass(frozen=True)
class KGroup:
    """Everything measured for one k over its seeds."""

    k: int
    seeds: tuple[int, ...]
    final_return: SeedSummary
    model_gap: SeedSummary | None
    branch_gap: SeedSummary | None
    eps_policy: SeedSummary | None
    eps_model_shifted: SeedSummary | None
    k_star: dict[int, KStarOfRun]


@dataclass(frozen=True)
class RolloutLengthStudy:
    """Per k (ascending), the best k, each other k paired against it, and the k* ranges over
    every validated run (``k_star_low``/``k_star_high``: the smallest low and the largest high;
    ``k_star_high`` None when some run's range is unbounded); ``step``: the env step at which
    the final returns are read."""

    gamma: float
    window: int
    step: int
    groups: tuple[KGroup, ...]
    best_k: int
    against_best: dict[int, PairedComparison]
    k_star_low: int | None
    k_star_high: int | None
    k_star_points: tuple[int | None, ...]
    best_in_k_star_range: bool | None
    #: Validated runs (all k) whose own k* range holds the best k, and how many have a range.
    runs_holding_best_k: int
    runs_with_k_star: int


#: Where ε_m′ is a measured TV (k* means something); the upper bound has a point value below it.
TV_SOURCES = (EpsSource.TV_SUP_OVER_TIME_UPPER, EpsSource.TV_SUP_OVER_TIME, EpsSource.TV_MEAN)


def _policy_range(pair: PairRecord) -> tuple[float, float]:
    """ε_π's range: the bootstrap interval of the statistic the checks used (max unless
    validate was told otherwise), widened to include its value, capped at 1."""
    s = pair.policy_shift.stats["pinsker_min"][pair.inputs.eps_pi_stat.value]
    ends = [v for v in (s.value, s.ci_low, s.ci_high) if not math.isnan(v)]
    return min(1.0, min(ends)), min(1.0, max(ends))


def _model_low(pair: PairRecord) -> float:
    """ε_m′'s low end: the sup's point value under its upper bound, else ε_m′ itself."""
    eps_mp, sup = pair.inputs.eps_model_shifted, pair.model_error.pi.sup_over_time
    if (pair.inputs.eps_model_shifted_source is EpsSource.TV_SUP_OVER_TIME_UPPER
            and sup is not None and sup.measure == "tv" and not math.isnan(sup.sup_mean)):
        return min(eps_mp, max(0.0, sup.sup_mean))
    return eps_mp


def k_star_of_pair(pair: PairRecord, gamma: float) -> KStarOfRun:
    """k*, its range and the mean-shift what-if from one validated pair (module doc)."""
    eps_pi, eps_mp = pair.inputs.eps_policy, pair.inputs.eps_model_shifted
    interval = k_star_interval(gamma, _policy_range(pair), (_model_low(pair), eps_mp),
                               (0.0, 0.0))
    return KStarOfRun(
        point=k_star_closed_form(gamma, eps_pi, eps_mp), low=interval.low, high=interval.high,
        if_eps_pi_mean=k_star_closed_form(gamma, min(1.0, pair.policy_shift.pinsker_mean),
                                          eps_mp),
        eps_policy=eps_pi, eps_model_shifted=eps_mp)


def _gaps(runs: Sequence[KRun], gamma: float) -> tuple[list[float], list[float]]:
    model, branch = [], []
    for run in runs:
        if run.pair is None:
            continue
        block = next((b for b in run.pair.by_gamma if math.isclose(b.gamma, gamma)), None)
        if block is None:
            raise ValueError(f"{run.name}: validated without gamma {gamma:g} (validate "
                             f"--gamma)")
        r = block.returns
        model.append(r.eta_model.mean - r.eta.mean)
        branch.append(r.eta_branch.mean - r.eta.mean)
    return model, branch


def _maybe(values: Sequence[float], confidence: float) -> SeedSummary | None:
    return seed_summary(list(values), confidence) if values else None


def _group(k: int, runs: Sequence[KRun], gamma: float, step: int, window: int,
           confidence: float) -> KGroup:
    runs = sorted(runs, key=lambda r: r.seed)
    finals = [window_mean(r.curve, step, window) for r in runs]
    model, branch = _gaps(runs, gamma)
    pairs = {r.seed: r.pair for r in runs if r.pair is not None}
    return KGroup(
        k=k, seeds=tuple(r.seed for r in runs),
        final_return=seed_summary(finals, confidence),
        model_gap=_maybe(model, confidence), branch_gap=_maybe(branch, confidence),
        eps_policy=_maybe([p.inputs.eps_policy for p in pairs.values()], confidence),
        eps_model_shifted=_maybe([p.inputs.eps_model_shifted for p in pairs.values()],
                                 confidence),
        k_star={seed: k_star_of_pair(p, gamma) for seed, p in pairs.items()
                if p.inputs.eps_model_shifted_source in TV_SOURCES})


def _final_by_seed(group: KGroup) -> Mapping[int, float]:
    return dict(zip(group.seeds, group.final_return.values, strict=True))


def _in_range(low: int | None, high: int | None, k: int) -> bool:
    """Whether k lies in [low, high] (None: unbounded that way)."""
    return (low is None or low <= k) and (high is None or k <= high)


def rollout_length_study(runs: Sequence[KRun], *, gamma: float = 0.99, window: int = 5,
                         confidence: float = 0.95) -> RolloutLengthStudy:
    """The study of the module doc over ``runs`` (at least one per k; seeds unique per k)."""
    by_k: dict[int, list[KRun]] = {}
    for run in runs:
        if not run.curve:
            raise ValueError(f"{run.name}: no evaluation recorded")
        if run.pair is not None and run.pair.k != run.k:
            raise ValueError(f"{run.name}: trained with k = {run.k}, validated at k = "
                             f"{run.pair.k}")
        by_k.setdefault(run.k, []).append(run)
    if not by_k:
        raise ValueError("no runs")
    for k, group in by_k.items():
        seeds = [r.seed for r in group]
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"k = {k}: two runs share a seed ({sorted(seeds)})")
    step = last_common_step({run.name: {0: run.curve} for run in runs})
    groups = tuple(_group(k, by_k[k], gamma, step, window, confidence) for k in sorted(by_k))
    best = max(groups, key=lambda g: g.final_return.mean)
    best_final = _final_by_seed(best)
    against: dict[int, PairedComparison] = {}
    for g in groups:
        other = _final_by_seed(g)
        shared = sorted(set(best_final) & set(other))
        if g.k != best.k and len(shared) >= 2:
            against[g.k] = paired_comparison([best_final[s] for s in shared],
                                             [other[s] for s in shared], confidence)
    stars = [s for g in groups for s in g.k_star.values()]
    lows = [s.low for s in stars]
    low = None if not stars or None in lows else min(v for v in lows if v is not None)
    high = None if not stars or any(s.high is None for s in stars) else \
        max(s.high for s in stars if s.high is not None)
    return RolloutLengthStudy(
        gamma=gamma, window=window, step=step, groups=groups, best_k=best.k,
        against_best=against, k_star_low=low, k_star_high=high,
        k_star_points=tuple(s.point for s in stars),
        best_in_k_star_range=_in_range(low, high, best.k) if stars else None,
        runs_holding_best_k=sum(_in_range(s.low, s.high, best.k) for s in stars),
        runs_with_k_star=len(stars))


#: A collected run's validation, beside its ``config.json`` and ``metrics.jsonl``.
VALIDATION_FILE = "validation.json"


def load_k_runs(data: Path) -> list[KRun]:
    """The fixed-k runs of a folder of run folders (each with ``config.json``,
    ``metrics.jsonl`` and, if validated, ``validation.json``): k from the config, the curve,
    the newest validated pair. A run without a fixed rollout length is refused."""
    from boundcheck.runs import RunDir
    from boundcheck.runs.saved_config import read_saved_run

    dirs = sorted(p for p in data.iterdir() if (p / "config.json").is_file())
    runs = []
    for path, curve in zip(dirs, load_run_curves(dirs), strict=True):
        k = read_saved_run(RunDir.open(path), check_env=False).config.rollout.fixed_length
        if k is None:
            raise ValueError(f"{path}: not a fixed-k run (rollout.fixed_length unset)")
        validation = path / VALIDATION_FILE
        pairs = read_validation(validation).pairs if validation.is_file() else ()
        runs.append(KRun(name=path.name, k=k, seed=curve.seed, curve=curve.curve(),
                         pair=pairs[-1] if pairs else None))
    return runs
