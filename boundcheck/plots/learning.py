"""Figures: evaluation return against real env steps, per run or per group of seeds (the axes
of the paper's Section 6.1 learning curves; what ``boundcheck plot-runs`` draws)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from boundcheck.plots.style import new_figure, save_figure

#: The y-axis label of the default metric.
RETURN_LABEL = "evaluation return"


class EvaluationPoint(Protocol):
    """One evaluation of a run: real env steps, the metric's value and (if recorded) its std
    over the evaluation episodes."""

    @property
    def env_steps(self) -> int: ...

    @property
    def value(self) -> float: ...

    @property
    def std(self) -> float | None: ...


def plot_learning_curves(runs: Mapping[str, Sequence[EvaluationPoint]], path: Path, *,
                         title: str = "", ylabel: str = RETURN_LABEL) -> Path:
    """One line per run label: the metric against env steps (± std where every evaluation of
    the run recorded one)."""
    fig, ax = new_figure(5.0, 3.4)
    for i, (label, rows) in enumerate(runs.items()):
        steps = [r.env_steps for r in rows]
        mean = [r.value for r in rows]
        ax.plot(steps, mean, color=f"C{i}", label=label, marker="o", markersize=2.5)
        std = [r.std for r in rows]
        if rows and all(s is not None for s in std):
            lo = [m - s for m, s in zip(mean, std, strict=True) if s is not None]
            hi = [m + s for m, s in zip(mean, std, strict=True) if s is not None]
            ax.fill_between(steps, lo, hi, color=f"C{i}", alpha=0.2, linewidth=0)
    ax.set_xlabel("real environment steps (exploration included)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return save_figure(fig, path)


def plot_seed_groups(groups: Mapping[str, Sequence[Mapping[int, float]]], path: Path, *,
                     title: str = "", confidence: float = 0.95,
                     ylabel: str = RETURN_LABEL) -> Path:
    """One colour per group: each seed's curve thin, the across-seed mean bold with its t band.

    ``groups`` maps a label (e.g. "mbpo Hopper-v5") to per-seed curves {env steps: eval return};
    the mean and band are drawn at the steps every seed of the group has
    (``boundcheck.estimators.learning.curve_band``).
    """
    from boundcheck.estimators.learning import curve_band

    fig, ax = new_figure(5.0, 3.4)
    for i, (label, curves) in enumerate(groups.items()):
        for curve in curves:
            steps = sorted(curve)
            ax.plot(steps, [curve[s] for s in steps], color=f"C{i}", alpha=0.3, linewidth=0.8,
                    marker="o" if len(steps) == 1 else None, markersize=3)
        band = curve_band(curves, confidence)
        what = f"mean of {band.n} seeds" if band.n > 1 else "one seed, no interval"
        ax.plot(band.steps, band.mean, color=f"C{i}", linewidth=2.0, label=f"{label} ({what})",
                marker="o" if len(band.steps) == 1 else None, markersize=4)
        if band.n > 1:
            ax.fill_between(band.steps, band.ci_low, band.ci_high, color=f"C{i}", alpha=0.15,
                            linewidth=0, label=f"{confidence:.0%} t interval")
    ax.set_xlabel("real environment steps (exploration included)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=7)
    return save_figure(fig, path)
