"""Figures of the model-generalization experiment in the paper's form (Section 4.3, Figure 1).

Both draw a :class:`GeneralizationFigure`, what the figures show of a ``measure-generalization``
result (docs/measure-generalization.md), made from the typed result document by
:func:`boundcheck.experiments.generalization.outputs.figure_data`. The model-error measure is
the document's primary one: the TV where the true law is known, else the NLL proxy (the paper's
"validation loss"), labelled as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundcheck.plots.style import new_figure, save_figure

_Y_LABEL = {"tv": "model error: TV to the true law",
            "nll": "model error proxy: NLL (nats / transition)"}


@dataclass(frozen=True)
class ErrorPoint:
    """One policy of a curve: its mean KL(π ‖ π_D) and the Pinsker TV of it (the policy shift
    the slopes are fitted against), the model error and the error bar (the standard error over
    π's episodes, 0 where it is undefined); NaN where not measured."""

    kl: float
    error: float
    stderr: float
    pinsker: float = math.nan


@dataclass(frozen=True)
class SlopePoint:
    """One fit kind's slope at one size: the mean over seeds and its error bar (the std over
    seeds with two or more, else the fit's standard error; NaN: none)."""

    mean: float
    error: float


@dataclass(frozen=True)
class SizeSeries:
    """One training-set size: each seed's curve (points by ascending KL) and the local and
    all-points (``linear``) slopes against the Pinsker TV."""

    train_size: int
    curves: tuple[tuple[ErrorPoint, ...], ...]
    local: SlopePoint
    linear: SlopePoint
    #: Per seed, the all-points fit against the Pinsker TV as (intercept, slope); None where
    #: none could be made.
    lines: tuple[tuple[float, float] | None, ...] = ()
    #: Theorem 4.3's k* from this size's inputs (NaN: none) and its range over the inputs'
    #: intervals (NaN ends: not estimable; inf: unbounded above).
    k_star: float = math.nan
    k_low: float = math.nan
    k_high: float = math.nan


@dataclass(frozen=True)
class GeneralizationFigure:
    """What the figures show: the task, the primary measure (``"tv"`` or ``"nll"``), the
    repetitions and one series per size (ascending)."""

    env: str
    measure: str
    repetitions: int
    sizes: tuple[SizeSeries, ...]
    #: The discount k* is computed at (the slope figure's second panel).
    k_star_gamma: float = 0.99


def plot_error_vs_kl(figure: GeneralizationFigure, path: Path) -> Path:
    """Model error against the policy shift the slopes are fitted on, the Pinsker TV of the
    mean KL(π ‖ π_D): one colour per training-set size, a line of points per seed with the
    standard error over π's episodes as error bars, and each seed's all-points fit (dashed),
    whose slope is the one reported."""
    fig, ax = new_figure(5.0, 3.4)
    for c, size in enumerate(figure.sizes):
        for j, pts in enumerate(size.curves):
            ax.errorbar([p.pinsker for p in pts], [p.error for p in pts],
                        yerr=[p.stderr for p in pts], color=f"C{c}", marker="o", markersize=3,
                        linewidth=0, elinewidth=1, capsize=2, alpha=0.9 if j == 0 else 0.5,
                        label=f"N = {size.train_size:,}" if j == 0 else None)
            line = size.lines[j] if j < len(size.lines) else None
            xs = [p.pinsker for p in pts if math.isfinite(p.pinsker)]
            if line is not None and xs:
                lo, hi = min(xs), max(xs)
                ax.plot([lo, hi], [line[0] + line[1] * lo, line[0] + line[1] * hi],
                        color=f"C{c}", linestyle="--", linewidth=1,
                        alpha=0.9 if j == 0 else 0.5)
    ax.set_xlabel(r"policy shift: Pinsker TV $\sqrt{\mathrm{KL}(\pi\,\|\,\pi_D)/2}$ "
                  "(mean KL over $\\pi$'s states)")
    ax.set_ylabel(_Y_LABEL[figure.measure])
    ax.set_title(f"{figure.env}: error vs shift from $\\pi_D$ (dashed: all-points fits)",
                 fontsize=9)
    ax.legend(frameon=False, title="training set", fontsize=7, title_fontsize=7, loc="best")
    return save_figure(fig, path)


def plot_slope_vs_size(figure: GeneralizationFigure, path: Path) -> Path:
    """dε_m′/dε_π (against the Pinsker TV) at ε_π → 0 (local) and over all points, against the
    training-set size. Error bars: std over seeds with ≥ 2 seeds, else the fit's standard
    error (absent when the fit has fewer than 3 points)."""
    y = figure.measure
    sizes = [s.train_size for s in figure.sizes]
    with_k = any(math.isfinite(s.k_star) for s in figure.sizes)
    fig, axes = new_figure(9.0 if with_k else 5.0, 3.4, columns=2 if with_k else 1)
    ax = axes[0] if with_k else axes
    for c, (kind, label, marker) in enumerate((
            ("local", "local slope at $\\epsilon_\\pi \\to 0$", "o"),
            ("linear", "all-points fit", "s"))):
        series: list[SlopePoint] = [getattr(s, kind) for s in figure.sizes]
        yerr = [0.0 if math.isnan(p.error) else p.error for p in series]
        ax.errorbar(sizes, [p.mean for p in series], yerr=yerr, color=f"C{c}", marker=marker,
                    markersize=6 - 2 * c, linewidth=1, capsize=3, label=label,
                    linestyle="-" if c == 0 else "--")
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.set_xlabel("training-set size N (transitions)")
    unit = "TV" if y == "tv" else "NLL proxy"
    ax.set_ylabel(f"d(model error, {unit}) / d(Pinsker TV)")
    seeds = figure.repetitions
    ax.set_title(f"{figure.env}: generalization slope ({seeds} seed"
                 f"{'s' if seeds != 1 else ''}; bars: {'std' if seeds > 1 else 'fit s.e.'})",
                 fontsize=9)
    ax.legend(frameon=False)
    if with_k:
        _k_star_panel(axes[1], figure)
    return save_figure(fig, path)


def _k_star_panel(ax: Any, figure: GeneralizationFigure) -> None:
    """k* against the training-set size with its range over the inputs' intervals (an
    unbounded upper end drawn as an arrow to the top of the panel)."""
    from matplotlib.ticker import NullFormatter

    rows = [s for s in figure.sizes if math.isfinite(s.k_star)]
    xs = [s.train_size for s in rows]
    ax.plot(xs, [s.k_star for s in rows], "o-", color="C2", label="k* (mean inputs)")
    top = max([s.k_high for s in rows if math.isfinite(s.k_high)] + [s.k_star for s in rows])
    for s in rows:
        if math.isnan(s.k_low):
            continue
        high = s.k_high if math.isfinite(s.k_high) else 1.1 * top
        ax.vlines(s.train_size, s.k_low, high, color="C2", alpha=0.5, linewidth=6)
        if not math.isfinite(s.k_high):
            ax.annotate("", (s.train_size, high), (s.train_size, top),
                        arrowprops={"arrowstyle": "->", "color": "C2"})
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(xs, [f"{n:,}" for n in xs])
    ax.set_xlabel("training-set size N (transitions)")
    ax.set_ylabel(f"k* at $\\gamma$ = {figure.k_star_gamma}")
    ax.set_title("k* of Theorem 4.3 (bars: 95% range over seeds)", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")
