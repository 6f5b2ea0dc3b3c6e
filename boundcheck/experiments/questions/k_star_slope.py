"""k* by the slope route (issue point "what the math says"; docs/results/rollout_length.md).

The paper's Theorem 4.3 takes ε_m′, the model's error under the new policy, which it
approximates as ε_m′ ≈ ε_m + ε_π · dε_m′/dε_π: ε_m measured at π_D and the slope from the
model-generalization experiment (``measure-generalization`` on the run's π_D, which continues
π_D with SAC and measures the TV of the model at each snapshot). That run writes the three
inputs as ``optimal_k_inputs`` (docs/generalization.md): ε_m (mean TV at π_D), the slope (the
local slope of the TV against the Pinsker TV) and ε_π (the Pinsker TV of the mean KL after
MBPO's updates between model retrains: a mean over states, not the max the theorem takes).

This module reads those inputs, kept beside a collected run as ``generalization.json``, and
gives k* = k*(γ, ε_π, ε_m + ε_π · slope) beside the direct route's k* from validate (ε_m′
measured at π itself, ε_π the max), for the runs that have both.

With ``--repetitions`` R ≥ 2 the inputs carry Student-t intervals over the R repetitions (each
a fresh model on fresh transitions of π_D and a fresh continuation of π_D), each at the
Bonferroni level that makes their box a joint 95% box; k*'s range over that box
(:func:`boundcheck.theory.k_interval.k_star_interval`) is the slope route's interval. With one
repetition there is none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundcheck.experiments.questions.rollout_length import (
    TV_SOURCES,
    KRun,
    k_star_of_pair,
)
from boundcheck.theory.k_interval import KStarInterval, k_star_interval
from boundcheck.theory.optimal_k import k_star_closed_form

#: The slope route's inputs beside a collected run's ``config.json``.
GENERALIZATION_FILE = "generalization.json"


@dataclass(frozen=True)
class SlopeKStar:
    """One run's k* both ways (``None``: unbounded; ``has_direct`` False: the direct route not
    measured as a TV), and the slope route's range over its inputs' joint box (``None``: one
    repetition, no interval)."""

    name: str
    k: int
    seed: int
    eps_policy: float
    eps_model: float
    slope: float
    eps_model_shifted: float
    point: int | None
    direct: int | None
    has_direct: bool = False
    interval: KStarInterval | None = None
    #: The joint level of the box ``interval`` spans (None with one repetition).
    level: float | None = None


def trimmed(results: dict[str, Any]) -> dict[str, Any]:
    """What ``generalization.json`` keeps of a ``results.json``: the epoch of π_D, the
    settings, ``optimal_k_inputs`` and the wall seconds it took (no paths)."""
    kept = {"epoch": results["source"]["epoch"], "settings": results["settings"],
            "optimal_k_inputs": results["optimal_k_inputs"]}
    if "timings" in results:
        kept["wall_seconds"] = results["timings"]["wall_seconds"]
    return kept


def slope_k_star(run: KRun, inputs: dict[str, Any], gamma: float) -> SlopeKStar:
    """k* from the slope route's ``optimal_k_inputs`` (ε_m′ clipped to [0, 1]), with its range
    where the inputs carry intervals (module doc)."""
    eps_pi, eps_m, slope = (float(inputs[key]) for key in ("eps_pi", "eps_m", "slope"))
    shifted = min(1.0, max(0.0, eps_m + eps_pi * slope))
    pair = run.pair
    has_direct = pair is not None and pair.inputs.eps_model_shifted_source in TV_SOURCES
    direct = k_star_of_pair(pair, gamma).point if pair is not None and has_direct else None
    box = [inputs.get(key) for key in ("eps_pi_interval", "eps_m_interval", "slope_interval")]
    interval = level = None
    if all(b is not None for b in box):
        ends = [(float(b[0]), float(b[1])) for b in box]  # type: ignore[index]
        interval = k_star_interval(gamma, ends[0], ends[1], ends[2])
        level = float(inputs["interval_level"])
    return SlopeKStar(name=run.name, k=run.k, seed=run.seed, eps_policy=eps_pi, eps_model=eps_m,
                      slope=slope, eps_model_shifted=shifted,
                      point=k_star_closed_form(gamma, eps_pi, shifted), direct=direct,
                      has_direct=has_direct, interval=interval, level=level)


def slope_route(data: Path, runs: list[KRun], gamma: float = 0.99) -> list[SlopeKStar]:
    """:func:`slope_k_star` for every run of ``runs`` with a ``generalization.json`` in
    ``data/<run>/``."""
    out = []
    for run in runs:
        path = data / run.name / GENERALIZATION_FILE
        if path.is_file():
            doc = json.loads(path.read_text(encoding="utf-8"))
            out.append(slope_k_star(run, doc["optimal_k_inputs"], gamma))
    return out


def slope_table(rows: list[SlopeKStar]) -> list[str]:
    """Markdown: per run k, seed, the three inputs, ε_m′ by the slope, and k* both ways (the
    slope route's with its range over the joint box, where it has one)."""
    lines = ["| k | seed | ε_π (mean KL, Pinsker) | ε_m at π_D | slope | ε_m′ ≈ ε_m + ε_π·slope "
             "| k* (slope route) | k* (direct, validate) |", "|" + " --- |" * 8]
    for r in sorted(rows, key=lambda r: (r.k, r.seed)):
        lines.append(f"| {r.k} | {r.seed} | {r.eps_policy:.3f} | {r.eps_model:.3f} | "
                     f"{r.slope:.3f} | {r.eps_model_shifted:.3f} | {_with_range(r)} | "
                     f"{_k(r.direct) if r.has_direct else 'not measured'} |")
    return lines


def _with_range(row: SlopeKStar) -> str:
    if row.interval is None:
        return _k(row.point)
    return f"{_k(row.point)} [{_k(row.interval.low)}, {_k(row.interval.high)}]"


def _k(value: int | None) -> str:
    return "unbounded" if value is None else str(value)
