"""Figures of ``boundcheck validate``: the returns and the theorems' lower bounds.

One pair: η, η̂ and η^branch with their intervals and the three lower bounds η_ref − C, at the
run's γ. Several pairs (``--all-epochs``): the same series against the epoch of π. The y axis is
symmetric-log because the penalties C often exceed the returns by orders of magnitude; the
trivial range ±r_max/(1−γ) is shaded so a vacuous bound is visible as one below it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from boundcheck.plots.style import new_figure, save_figure
from boundcheck.theory.verdict import Estimate

_RETURNS = (r"$\eta[\pi]$ (real)", r"$\hat\eta[\pi]$ (model)", r"$\eta^{branch}[\pi]$")
_BOUNDS = (r"Thm 4.1 bound $\hat\eta - C$", r"Thm 4.2 bound $\eta^{b} - C$",
           r"Thm 4.3 bound $\eta^{b} - C$")
#: The x labels of a single pair's six series (returns, then the theorems' bounds).
_SHORT = (r"$\eta$", r"$\hat\eta$", r"$\eta^{b}$", "4.1", "4.2", "4.3")


@dataclass(frozen=True)
class PairPoint:
    """One epoch pair at the figure's γ: η, η̂, η^branch and the lower bounds of Theorems
    4.1, 4.2, 4.3 (η̂ − C, η^branch − C, η^branch − C), each with its interval."""

    data_epoch: int
    epoch: int
    returns: tuple[Estimate, Estimate, Estimate]
    lower_bounds: tuple[Estimate, Estimate, Estimate]


@dataclass(frozen=True)
class ValidationFigure:
    """What the figure shows: the task, γ, the trivial range 2·r_max/(1−γ), the sample size
    and confidence of the intervals, and one point per pair."""

    env: str
    gamma: float
    trivial_range: float
    episodes: int
    confidence: float
    pairs: tuple[PairPoint, ...]


def _err(est: Estimate) -> tuple[float, float]:
    if not (math.isfinite(est.low) and math.isfinite(est.high)):
        return 0.0, 0.0
    return est.mean - est.low, est.high - est.mean


def plot_validation(figure: ValidationFigure, path: Path) -> Path:
    """The validation figure (see the module docstring)."""
    pairs = figure.pairs
    gamma = figure.gamma
    half_range = figure.trivial_range / 2.0
    fig, ax = new_figure(5.6, 3.6)
    many = len(pairs) > 1
    xs = [p.epoch for p in pairs] if many else [0]
    for c, label in enumerate((*_RETURNS, *_BOUNDS)):
        ests = [(*p.returns, *p.lower_bounds)[c] for p in pairs]
        errs = list(zip(*(_err(e) for e in ests), strict=True))
        offset = 0.0 if many else (c - 2.5) * 0.12
        ax.errorbar([x + offset for x in xs], [e.mean for e in ests], yerr=errs,
                    color=f"C{c}", marker="o" if c < 3 else "v", markersize=4, capsize=3,
                    linewidth=1 if many else 0, linestyle="-" if c < 3 else "--", label=label)
    ax.axhspan(-half_range, half_range, color="0.85", alpha=0.4, zorder=0,
               label=r"trivial range $\pm r_{max}/(1-\gamma)$")
    linthresh = max(1.0, half_range / 10.0)
    ax.set_yscale("symlog", linthresh=linthresh)
    lo, hi = ax.get_ylim()
    first = math.ceil(math.log10(linthresh))
    ticks = [0.0] + [s * 10.0**d for d in range(first, 1 + math.ceil(math.log10(
        max(abs(lo), abs(hi), 10.0 * linthresh)))) for s in (1.0, -1.0)
        if (lo <= s * 10.0**d <= hi)]
    ax.set_yticks(sorted(ticks))
    from matplotlib.ticker import NullLocator

    ax.yaxis.set_minor_locator(NullLocator())  # symlog's minor ticks crowd around 0
    if many:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(r"epoch of $\pi$ ($\pi_D$, model: the epoch before)")
    else:
        ax.set_xticks([(c - 2.5) * 0.12 for c in range(6)], _SHORT, fontsize=7)
        first_pair = pairs[0]
        ax.set_xlabel(f"epochs {first_pair.data_epoch} ($\\pi_D$, model) -> "
                      f"{first_pair.epoch} ($\\pi$)")
    ax.set_ylabel(f"discounted return ($\\gamma$ = {gamma:g})")
    ax.set_title(f"{figure.env}: MBPO lower bounds vs measured returns "
                 f"({figure.episodes} episodes, {figure.confidence:.0%} CI)",
                 fontsize=8)
    ax.legend(frameon=False, fontsize=6, loc="best", ncol=2)
    return save_figure(fig, path)
