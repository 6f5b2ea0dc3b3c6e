"""Figure: k* against ρ = ε_m′/ε_π, the optimal branched rollout length of Theorem 4.3 (paper
Section 4.3; docs/theory.md, "k*")."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boundcheck.plots.style import new_figure, save_figure
from boundcheck.theory.bound_reports import KStarByRatio
from boundcheck.theory.optimal_k import k_star_from_ratio


def plot_k_star(by_ratio: KStarByRatio, path: Path,
                marker: tuple[float | None, int | None] | None = None,
                note: str | None = None,
                span: tuple[float, float] | None = None) -> Path:
    """Plot k*(ρ) for the γ of a :class:`KStarByRatio` from its closed form on a fine
    geometric grid (so the staircase is k*'s own, not the table's 0.01 steps); mark one
    (ρ, k*) point, shade a range of ρ (``span``: the inputs' intervals) and print ``note``
    (e.g. that the bound whose argmin this is, is vacuous)."""
    gamma = by_ratio.gamma
    low = min(r.ratio for r in by_ratio.rows if r.ratio > 0)
    ratios = np.geomspace(low, 1.0, 2000)
    ks = [k_star_from_ratio(gamma, float(r)) for r in ratios]
    fig, ax = new_figure()
    ax.step(ratios, ks, where="post", color="C0", label=f"gamma = {gamma}")
    if span is not None:
        ax.axvspan(max(span[0], low), min(span[1], 1.0), color="C3", alpha=0.12,
                   label="rho over the inputs' intervals")
    if marker is not None and marker[0] is not None and marker[1] is not None:
        ax.plot([min(marker[0], 1.0)], [marker[1]], "o", color="C3",
                label=f"rho = {marker[0]:.3g}, k* = {marker[1]}")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\rho = \epsilon_{m'} / \epsilon_\pi$")
    ax.set_ylabel(r"$k^*$ (Theorem 4.3)")
    ax.set_title(r"Optimal rollout length $k^* = \max(0, \lceil \ln\rho / \ln\gamma \rceil)$")
    if note:
        ax.text(0.98, 0.60, note.replace(": ", ":\n", 1), transform=ax.transAxes, fontsize=7,
                color="C3", va="top", ha="right")
    ax.legend(frameon=False, loc="upper right", fontsize=8)
    return save_figure(fig, path)
