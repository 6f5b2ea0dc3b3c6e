"""Figures of the model-generalization experiment in the paper's form (Section 4.3, Figure 1).

Both read a ``measure-generalization`` result document (docs/measure-generalization.md). The
model-error measure is the document's ``model_error.primary``: the TV where the true law is
known, else the NLL proxy (the paper's "validation loss"), labelled as such.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from boundcheck.plots.style import new_figure, save_figure

_Y_LABEL = {"tv": "model error: TV to the true law (Monte Carlo)",
            "nll": "model error proxy: NLL (nats / transition)"}


def _num(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.nan


def plot_error_vs_kl(doc: dict[str, Any], path: Path) -> Path:
    """Model error against mean KL(π ‖ π_D), one colour per training-set size (a line per seed),
    with the standard error over π's transitions as error bars."""
    y = doc["model_error"]["primary"]
    fig, ax = new_figure(5.0, 3.4)
    for c, size in enumerate(doc["sizes"]):
        for j, rec in enumerate(size["seeds"]):
            pts = sorted(rec["points"], key=lambda p: _num(p["kl_mean"]))
            yerr = [0.0 if math.isnan(_num(p[f"{y}_stderr"])) else p[f"{y}_stderr"]
                    for p in pts]
            ax.errorbar([_num(p["kl_mean"]) for p in pts], [_num(p[f"{y}_mean"]) for p in pts],
                        yerr=yerr, color=f"C{c}", marker="o", markersize=3, linewidth=1,
                        capsize=2, alpha=0.9 if j == 0 else 0.5,
                        label=f"N = {size['train_size']:,}" if j == 0 else None)
    ax.set_xlabel(r"policy shift: mean $\mathrm{KL}(\pi \,\|\, \pi_D)$ over $\pi$'s states (nats)")
    ax.set_ylabel(_Y_LABEL[y])
    ax.set_title(f"{doc['source']['env']}: model error as the policy moves from $\\pi_D$",
                 fontsize=9)
    ax.legend(frameon=False, title="training set")
    return save_figure(fig, path)


def _slope_series(size: dict[str, Any], y: str, kind: str) -> tuple[float, float]:
    summary = size["slopes"][y]["pinsker_tv"][kind]
    if summary is None:
        return math.nan, math.nan
    if summary["n"] >= 2:
        return summary["mean"], _num(summary["std"])
    fit = size["seeds"][0]["fits"][y]["pinsker_tv"][kind]
    return summary["mean"], _num(fit.get("slope_stderr"))


def plot_slope_vs_size(doc: dict[str, Any], path: Path) -> Path:
    """dε_m′/dε_π (against the Pinsker TV) at ε_π → 0 (local) and over all points, against the
    training-set size. Error bars: std over seeds with ≥ 2 seeds, else the fit's standard
    error (absent when the fit has fewer than 3 points)."""
    y = doc["model_error"]["primary"]
    sizes = [s["train_size"] for s in doc["sizes"]]
    fig, ax = new_figure(5.0, 3.4)
    for c, (kind, label, marker) in enumerate((
            ("local", "local slope at $\\epsilon_\\pi \\to 0$", "o"),
            ("linear", "all-points fit", "s"))):
        series = [_slope_series(s, y, kind) for s in doc["sizes"]]
        yerr = [0.0 if math.isnan(e) else e for _, e in series]
        ax.errorbar(sizes, [m for m, _ in series], yerr=yerr, color=f"C{c}", marker=marker,
                    markersize=6 - 2 * c, linewidth=1, capsize=3, label=label,
                    linestyle="-" if c == 0 else "--")
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.set_xlabel("training-set size N (transitions)")
    unit = "TV" if y == "tv" else "NLL proxy"
    ax.set_ylabel(f"d(model error, {unit}) / d(Pinsker TV)")
    seeds = doc["settings"]["seeds"]
    ax.set_title(f"{doc['source']['env']}: generalization slope ({seeds} seed"
                 f"{'s' if seeds != 1 else ''}; bars: {'std' if seeds > 1 else 'fit s.e.'})",
                 fontsize=9)
    ax.legend(frameon=False)
    return save_figure(fig, path)
