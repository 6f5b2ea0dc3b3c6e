"""Figures of ``boundcheck validate``: the returns and the theorems' lower bounds.

One pair: η, η̂ and η^branch with their intervals and the three lower bounds η_ref − C, at the
run's γ. Several pairs (``--all-epochs``): the same series against the epoch of π. The y axis is
symmetric-log because the penalties C often exceed the returns by orders of magnitude; the
trivial range ±r_max/(1−γ) is shaded so a vacuous bound is visible as one below it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from boundcheck.plots.style import new_figure, save_figure

_RETURNS = (("eta", r"$\eta[\pi]$ (real)"), ("eta_model", r"$\hat\eta[\pi]$ (model)"),
            ("eta_branch", r"$\eta^{branch}[\pi]$"))
_BOUNDS = (("4.1", r"Thm 4.1 bound $\hat\eta - C$"), ("4.2", r"Thm 4.2 bound $\eta^{b} - C$"),
           ("4.3", r"Thm 4.3 bound $\eta^{b} - C$"))


def _err(est: dict[str, Any]) -> tuple[float, float]:
    low, high, mean = est["ci_low"], est["ci_high"], est["mean"]
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 0.0
    return mean - low, high - mean


def _series(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for pair in doc["pairs"]:
        block = pair["by_gamma"][0]
        for key, _ in _RETURNS:
            out.setdefault(key, []).append(block["returns"][key])
        for key, _ in _BOUNDS:
            out.setdefault(key, []).append(block["theorems"][key]["lower_bound"])
    return out


def plot_validation(doc: dict[str, Any], path: Path) -> Path:
    """The validation figure (see the module docstring)."""
    pairs = doc["pairs"]
    first = pairs[0]["by_gamma"][0]
    gamma = first["gamma"]
    half_range = first["theorems"]["4.1"]["trivial_range"] / 2.0
    series = _series(doc)
    fig, ax = new_figure(5.6, 3.6)
    many = len(pairs) > 1
    xs = [p["epoch"] for p in pairs] if many else [0]
    for c, (key, label) in enumerate((*_RETURNS, *_BOUNDS)):
        ests = series[key]
        errs = list(zip(*(_err(e) for e in ests), strict=True))
        offset = 0.0 if many else (c - 2.5) * 0.12
        ax.errorbar([x + offset for x in xs], [e["mean"] for e in ests], yerr=errs,
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
    if many:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(r"epoch of $\pi$ ($\pi_D$, model: the epoch before)")
    else:
        ax.set_xticks([])
        first_pair = pairs[0]
        ax.set_xlabel(f"epochs {first_pair['data_epoch']} ($\\pi_D$, model) -> "
                      f"{first_pair['epoch']} ($\\pi$)")
    ax.set_ylabel(f"discounted return ($\\gamma$ = {gamma:g})")
    settings = doc["settings"]
    ax.set_title(f"{doc['source']['env']}: MBPO lower bounds vs measured returns "
                 f"({settings['episodes']} episodes, {settings['confidence']:.0%} CI)",
                 fontsize=8)
    ax.legend(frameon=False, fontsize=6, loc="best", ncol=2)
    return save_figure(fig, path)
