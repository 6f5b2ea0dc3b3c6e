"""Figure: k* against ρ = ε_m′/ε_π, the optimal branched rollout length of Theorem 4.3 (paper
Section 4.3; docs/theory.md, "k*")."""

from __future__ import annotations

from pathlib import Path

from boundcheck.plots.style import new_figure, save_figure
from boundcheck.theory.bound_reports import KStarByRatio


def plot_k_star(by_ratio: KStarByRatio, path: Path,
                marker: tuple[float | None, int | None] | None = None) -> Path:
    """Plot k* over the ratio grid of a :class:`KStarByRatio`; mark one (ρ, k*) point."""
    rows = [r for r in by_ratio.rows if r.k_star is not None]
    fig, ax = new_figure()
    ax.step([r.ratio for r in rows], [r.k_star for r in rows], where="post",
            color="C0", label=f"gamma = {by_ratio.gamma}")
    if marker is not None and marker[0] is not None and marker[1] is not None:
        ax.plot([min(marker[0], 1.0)], [marker[1]], "o", color="C3",
                label=f"rho = {marker[0]:.3g}, k* = {marker[1]}")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\rho = \epsilon_{m'} / \epsilon_\pi$")
    ax.set_ylabel(r"$k^*$ (Theorem 4.3)")
    ax.set_title(r"Optimal rollout length $k^* = \max(0, \lceil \ln\rho / \ln\gamma \rceil)$")
    ax.legend(frameon=False)
    return save_figure(fig, path)
