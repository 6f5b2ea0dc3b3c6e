"""``validate --ladder``: the bound ladder's measured rungs beside Theorems 4.1–4.3 on a run's
newest pair (docs/validate.md, "The bound ladder"; docs/ladder.md).

Rung 2a relaxed to t·ε_m′ is part of every validation. ``--ladder`` adds what needs the
simulator at states the model produced, so more time: rungs 2a–2c from per-step expected TVs
(:mod:`~boundcheck.experiments.validate.branch_rungs_run`) and rung 5, the value-aware model
error (:mod:`~boundcheck.experiments.validate.value_aware_run`). A rung the run cannot give
(no known noise, an oracle run) is reported as not measurable, with the reason. The JSON of
each measurement is the one ``tools/branch_rungs.py`` and ``tools/value_aware.py`` write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from boundcheck.codec import encode
from boundcheck.experiments.validate.branch_rungs_run import (
    BranchRun,
    BranchSettings,
    measure_branch_run,
)
from boundcheck.experiments.validate.settings import LadderChoice
from boundcheck.experiments.validate.source import EpochPair, ValidationSource
from boundcheck.experiments.validate.value_aware_run import (
    ValueAwareRun,
    ValueAwareSettings,
    measure_run,
)
from boundcheck.inputs import InputError


@dataclass(frozen=True)
class LadderMeasured:
    """The measured rungs on ``pair``; ``not_measurable`` maps a rung to the reason."""

    pair: EpochPair
    branch: BranchRun | None = None
    value_aware: ValueAwareRun | None = None
    not_measurable: dict[str, str] = field(default_factory=dict)


def branch_json(run: BranchRun) -> dict[str, Any]:
    """Rungs 2a–2c of one pair: epochs, k, r_max, the reward bound, the per-step means and
    diagnostics, the largest γ below which each stays at most half the range, and per γ the
    rows."""
    return {"run": run.run, "data_epoch": run.pair.data_epoch, "epoch": run.pair.epoch,
            "k": run.k, "r_max": run.r_max, "reward_bound": run.reward_bound,
            "per_step": run.per_step, "gamma_at_half": run.gamma_at_half,
            "gammas": [{**encode(row), "certifies_2c": row.certifies_2c} for row in run.rows]}


def value_aware_json(run: ValueAwareRun) -> dict[str, Any]:
    """Rung 5 of one pair: epochs, r_max, and per γ the returns, S, B and the verdicts."""
    return {"run": run.run, "data_epoch": run.pair.data_epoch, "epoch": run.pair.epoch,
            "r_max": run.r_max, "gammas": [
                {**encode(row), "fraction": row.fraction,
                 "identity_consistent": row.identity_consistent, "certifies": row.certifies}
                for row in run.rows]}


def ladder_json(m: LadderMeasured) -> dict[str, Any]:
    """``validation.json``'s ``ladder_measured``."""
    return {"data_epoch": m.pair.data_epoch, "epoch": m.pair.epoch,
            "rung_2": None if m.branch is None else branch_json(m.branch),
            "rung_5": None if m.value_aware is None else value_aware_json(m.value_aware),
            "not_measurable": dict(m.not_measurable)}


def measure_ladder(source: ValidationSource, choice: LadderChoice, episodes: int,
                   gammas: tuple[float, ...], seed: int, device: torch.device) -> LadderMeasured:
    """The rungs ``choice`` names on ``source``'s newest pair, at ``gammas``."""
    pair = source.pairs[-1]
    name = source.run.path.name
    branch = value_aware = None
    reasons: dict[str, str] = {}
    if choice in (LadderChoice.EXPECTED_TV, LadderChoice.ALL):
        try:
            branch = measure_branch_run(source, pair, BranchSettings(
                episodes=episodes, seed=seed, gammas=gammas), device, name)
        except InputError as exc:
            reasons["rung_2"] = exc.detail
    if choice in (LadderChoice.VALUE_AWARE, LadderChoice.ALL):
        if source.config.model != "ensemble":
            reasons["rung_5"] = (f"{name}: the run's model is {source.config.model!r}: rung 5 "
                                 "measures a learned model's one-step value error")
        else:
            try:
                value_aware = measure_run(source, pair, ValueAwareSettings(
                    episodes=episodes, seed=seed, gammas=gammas), device, name)
            except InputError as exc:
                reasons["rung_5"] = exc.detail
    return LadderMeasured(pair=pair, branch=branch, value_aware=value_aware,
                          not_measurable=reasons)
