"""The bound ladder's page data (docs/results/bound_ladder.md).

``summarize`` reads the exact checks (``verify-tabular --mdps`` and ``--search tight`` JSON files
under ``docs/results/data/bound_ladder``) and every committed validation with a measured TV (the
noise studies and the rollout-length grid), and writes one summary JSON and the figure::

    python tools/bound_ladder.py summarize --out docs/results/data/bound_ladder.json \\
        --figure docs/results/bound_ladder.png

It prints the page's tables. The measured part is
:mod:`boundcheck.experiments.questions.bound_ladder`.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from boundcheck.codec import encode
from boundcheck.experiments.generalization.results import read_results
from boundcheck.experiments.questions.bound_ladder import (
    MeasuredRun,
    SmallStep,
    at_gamma,
    measure_files,
    small_steps,
)
from boundcheck.runs.atomic import atomic_write_json

DATA = Path("docs/results/data")
EXACT = DATA / "bound_ladder"
#: The groups of committed validations: (label, glob under DATA).
GROUPS = (
    ("InvertedPendulum, noise grid", "noise_ip_s*_seed*_validation.json"),
    ("InvertedPendulum, k grid (sigma 0.03)", "rollout_length_ip/*/validation.json"),
    ("Hopper, sigma 0.01", "noise_hopper_s0.01_seed*_validate_all_epochs.json"),
    ("Hopper, sigma 0.03", "noise_hopper_s0.03_seed*_validate_all_epochs.json"),
    ("Hopper, k grid (sigma 0.03)", "rollout_length_hopper/*/validation.json"),
)
GAMMAS = (0.99, 0.9)
#: Rungs 2a–2c measured per step on runs with checkpoints (tools/branch_rungs.py), and the
#: group of GROUPS each task's runs belong to.
BRANCH = EXACT / "branch_rungs.json"
BRANCH_GROUPS = {"InvertedPendulum": "InvertedPendulum, k grid (sigma 0.03)",
                 "Hopper": "Hopper, k grid (sigma 0.03)"}


def measured(data: Path = DATA) -> dict[str, list[MeasuredRun]]:
    """Per group, every run measured on its newest pair (named by its path under ``data``);
    groups without a committed run are left out."""
    out = {label: measure_files([(str(p.relative_to(data)), p)
                                 for p in sorted(data.glob(pattern))])
           for label, pattern in GROUPS}
    return {label: runs for label, runs in out.items() if runs}


def exact(folder: Path = EXACT) -> dict[str, Any]:
    """The random check's counts and tightest values, and each search's tightness per bound."""
    random = json.loads((folder / "random_check.json").read_text(encoding="utf-8"))
    searches = {}
    for path in sorted(folder.glob("search_g*_k*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        searches[path.stem] = {"gamma": doc["gamma"], "k": doc["k"], "tightness": {
            name: found["tightness"] for name, found in doc["theorems"].items()}}
    return {"instances": random["instances"], "violations": random["violations"],
            "checks": random["checks"], "total_violations": random["total_violations"],
            "tightest": {name: t["tightness"] for name, t in random["tightest"].items()},
            "searches": searches}


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": float(np.median(values)), "min": min(values), "max": max(values)}


def group_summary(runs: list[MeasuredRun]) -> dict[str, Any]:
    """Per γ the spread over runs of the three fractions, and the counts."""
    out: dict[str, Any] = {"runs": len(runs), "eps_model_shifted": _spread(
        [r.eps_model_shifted for r in runs]), "gamma_at_half": _spread(
        [r.gamma_at_half or 0.0 for r in runs]), "tv_mean": _spread([r.tv_mean for r in runs])}
    for g in GAMMAS:
        rows = [at_gamma(r, g) for r in runs]
        out[f"gamma={g}"] = {
            "rung_2a": _spread([x.fraction for x in rows]),
            "theorem_4_1": _spread([x.fraction_4_1 for x in rows]),
            "theorem_4_3": _spread([x.fraction_4_3 for x in rows]),
            "inside": sum(x.inside for x in rows), "certifies": sum(x.certifies for x in rows),
            "cpo_threshold": rows[0].cpo_threshold,
            "cpo_ruled_out": sum(x.cpo_ruled_out for x in rows)}
    return out


RUNG_ORDER = ("theorem_4_1", "theorem_4_2", "theorem_4_3", "expected_tv_model",
              "expected_tv_branch", "expected_tv_data_branch", "coupling", "cpo",
              "cpo_saturated", "value_aware_model", "value_aware_true")


def exact_table(ex: dict[str, Any]) -> list[str]:
    """Markdown: per bound, the checks and violations on the random instances, the tightest
    random instance and the search's tightness per (γ, k)."""
    searches = sorted(ex["searches"].values(), key=lambda s: (s["gamma"], s["k"]))
    head = ["bound", "checks", "violations", "tightest random"] + [
        f"search γ={s['gamma']:g} k={s['k']}" for s in searches]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in RUNG_ORDER:
        cells = [f"`{name}`", f"{ex['checks'][name]:,}", str(ex["violations"][name]),
                 _three(ex["tightest"][name])]
        cells += [_three(s["tightness"].get(name)) for s in searches]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _three(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def measured_table(summary: dict[str, Any]) -> list[str]:
    """Markdown: per group of runs, ε_m′ and per γ the three fractions (median [min, max]),
    the runs whose η lies in rung 2a's interval, the certifications, and the γ at half."""
    lines = ["| runs | n | ε_m′ | γ | rung 2a | Theorem 4.1 | Theorem 4.3 | η inside | certifies "
             "| largest γ with rung 2a ≤ ½ range | mean TV(π, π_D) | rung 4 ruled out |",
             "|" + " --- |" * 12]
    for label, g in summary.items():
        for gamma in GAMMAS:
            row = g[f"gamma={gamma}"]
            lines.append("| " + " | ".join([
                label, str(g["runs"]), _spread_text(g["eps_model_shifted"]), f"{gamma:g}",
                _spread_text(row["rung_2a"]), _spread_text(row["theorem_4_1"], 1),
                _spread_text(row["theorem_4_3"], 1), f"{row['inside']}/{g['runs']}",
                f"{row['certifies']}/{g['runs']}", _spread_text(g["gamma_at_half"]),
                _spread_text(g["tv_mean"], 3),
                f"{row['cpo_ruled_out']}/{g['runs']} (≥ {row['cpo_threshold']:.3f})"]) + " |")
    return lines


def _spread_text(s: dict[str, float], digits: int = 2) -> str:
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f}, {s['max']:.{digits}f}]"


#: Rung 5 measured on runs with checkpoints (tools/value_aware.py), per group of runs.
VALUE_AWARE = {"InvertedPendulum, k grid (sigma 0.03)": EXACT / "value_aware_ip.json",
               "Hopper, k grid (sigma 0.03)": EXACT / "value_aware_hopper.json"}
#: The continuation whose snapshots give the small-step pairs (Hopper, σ = 0.03, 6 seeds).
SMALL_STEPS = DATA / "noise_hopper_generalization_results.json"


def small_step_rows(path: Path = SMALL_STEPS) -> list[SmallStep]:
    """Every snapshot of the continuation as a small-step pair, at :data:`GAMMAS`."""
    return small_steps(read_results(path), GAMMAS)


def small_step_table(rows: list[SmallStep]) -> list[str]:
    """Markdown: per training size its smallest and largest step: KL, ε_π, ε_m′ and per γ
    the fractions of the range of rung 2a and Theorem 4.3."""
    head = ["training size", "snapshot", "KL(π‖π_D), nats", "ε_π (max Pinsker)",
            "ε_m′ (mean TV)"] + [f"rung 2a γ={g:g}" for g in GAMMAS] + [
            f"Theorem 4.3 γ={g:g}" for g in GAMMAS]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for size in sorted({r.train_size for r in rows}):
        mine = [r for r in rows if r.train_size == size]
        for r in (min(mine, key=lambda x: x.index), max(mine, key=lambda x: x.index)):
            lines.append("| " + " | ".join(
                [f"{size:,}", str(r.index), f"{r.kl_mean:.3f}", f"{r.eps_policy:.2f}",
                 f"{r.eps_model_shifted:.2f}"]
                + [f"{f:.2f}" for _, f in r.fraction_2a]
                + [f"{f:.1f}" for _, f in r.fraction_4_3]) + " |")
    return lines


def value_aware_table(doc: dict[str, Any]) -> list[str]:
    """Markdown: per run and γ, B over the range (point [interval]), S against η − η̂, and the
    verdicts; then per γ the spread over runs."""
    lines = ["| run | pair | γ | B / range | noise floor / range | S | η − η̂ | identity "
             "residual | certifies |", "|" + " --- |" * 9]
    for run in doc["runs"]:
        for g in run["gammas"]:
            rung, scale = g["rung"], g["range"]
            lines.append("| " + " | ".join([
                re.sub(r"^[A-Za-z]+-v\d+_mbpo_", "", run["run"]).replace(
                    "_rollout.fixed_length=", " k="),
                f"{run['data_epoch']}→{run['epoch']}", f"{g['gamma']:g}",
                f"{g['fraction']:.3f} [{rung['bound_low'] / scale:.3f}, "
                f"{rung['bound_high'] / scale:.3f}]",
                f"{rung['noise_floor'] / scale:.3f}",
                f"{rung['signed']:.2f} [{rung['signed_low']:.2f}, {rung['signed_high']:.2f}]",
                f"{g['eta']['mean'] - g['eta_model']['mean']:.2f}",
                f"{g['identity']['mean']:.2f} [{g['identity']['ci_low']:.2f}, "
                f"{g['identity']['ci_high']:.2f}]", _yes(g["certifies"])]) + " |")
    return lines


def value_aware_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """Per γ: the spread over runs (each at its newest pair) of B/range and its noise floor, and
    the counts of the verdicts."""
    newest: dict[str, dict[str, Any]] = {}
    for run in doc["runs"]:  # each run's newest pair (an earlier one is in the table only)
        if run["run"] not in newest or run["epoch"] > newest[run["run"]]["epoch"]:
            newest[run["run"]] = run
    runs = list(newest.values())
    out: dict[str, Any] = {"runs": len(runs)}
    gammas = [g["gamma"] for g in runs[0]["gammas"]] if runs else []
    for gamma in gammas:
        rows = [next(g for g in r["gammas"] if g["gamma"] == gamma) for r in runs]
        out[f"gamma={gamma}"] = {
            "fraction": _spread([g["fraction"] for g in rows]),
            "fraction_high": _spread([g["rung"]["bound_high"] / g["range"] for g in rows]),
            "noise_floor": _spread([g["rung"]["noise_floor"] / g["range"] for g in rows]),
            "identity_consistent": sum(g["identity_consistent"] for g in rows),
            "certifies": sum(g["certifies"] for g in rows)}
    return out


def value_aware_summary_table(summary: dict[str, Any]) -> list[str]:
    """Markdown: per γ, over the runs at their newest pair, B/range, its upper end and the noise
    floor (median [min, max]), the identity checks that hold 0 and the certifications."""
    n = summary["runs"]
    lines = ["| γ | B / range | B's 95% upper end / range | noise floor / range | identity holds 0 "
             "| certifies |", "|" + " --- |" * 6]
    for key, row in summary.items():
        if not key.startswith("gamma="):
            continue
        lines.append(f"| {key[6:]} | {_spread_text(row['fraction'])} | "
                     f"{_spread_text(row['fraction_high'])} | {_spread_text(row['noise_floor'])} "
                     f"| {row['identity_consistent']}/{n} | {row['certifies']}/{n} |")
    return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def branch_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """Rung 2c measured per step (tools/branch_rungs.py), per group of :data:`GROUPS` by task:
    per γ the spread over runs of its fraction of the range."""
    out: dict[str, Any] = {}
    for task, label in BRANCH_GROUPS.items():
        runs = [r for r in doc["runs"] if r["run"].startswith(task)]
        if not runs:
            continue
        out[label] = {"runs": len(runs)}
        for g in GAMMAS:
            rows = [next(x for x in r["gammas"] if x["gamma"] == g) for r in runs]
            out[label][f"gamma={g}"] = {"rung_2c": _spread([x["rung_2c"]["point"]
                                                            for x in rows])}
    return out


def figure(summary: dict[str, Any], value_aware: dict[str, Any], branch: dict[str, Any],
           path: Path) -> None:
    """Per group and γ: the fraction of the range of rung 2a against Theorems 4.1 and 4.3, and
    rungs 2c (per step) and 5 where they were measured (median, bar from min to max over runs),
    log scale, the range (1) dashed."""
    fig, axes = plt.subplots(1, len(GAMMAS), figsize=(11, 4.2), sharey=True)
    labels = list(summary)
    for ax, g in zip(axes, GAMMAS, strict=True):
        for j, (key, colour, label) in enumerate((
                ("rung_2a", "C0", "rung 2a (expected TV, from ε_m′)"),
                ("theorem_4_1", "C3", "Theorem 4.1"), ("theorem_4_3", "C1", "Theorem 4.3"),
                ("rung_2c", "C4", "rung 2c (expected TV per step, runs with checkpoints)"),
                ("rung_5", "C2", "rung 5 (value-aware, runs with checkpoints)"))):
            source = {"rung_5": value_aware, "rung_2c": branch}.get(key, summary)
            field = "fraction" if key == "rung_5" else key
            pos = [i for i, lab in enumerate(labels) if f"gamma={g}" in source.get(lab, {})]
            if not pos:
                continue
            x = np.array(pos) + (j - 2) * 0.16
            s = [source[labels[i]][f"gamma={g}"][field] for i in pos]
            med = np.array([v["median"] for v in s])
            err = np.array([[m - v["min"] for m, v in zip(med, s, strict=True)],
                            [v["max"] - m for m, v in zip(med, s, strict=True)]])
            ax.errorbar(x, med, yerr=err, fmt="o", color=colour, capsize=3, label=label)
        ax.axhline(1.0, ls="--", color="grey", lw=1)
        ax.set_yscale("log")
        ax.set_xticks(np.arange(len(labels)), [lab.replace(", ", "\n") for lab in labels],
                      fontsize=7)
        ax.set_title(f"γ = {g}: median, min–max over runs")
    axes[0].set_ylabel("bound / return range")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--figure", type=Path, required=True)
    args = parser.parse_args()
    runs = measured()
    summary = {label: group_summary(rs) for label, rs in runs.items()}
    doc = {"exact": exact(), "measured": summary,
           "runs": {label: encode(rs) for label, rs in runs.items()}}
    va = {label: json.loads(path.read_text(encoding="utf-8"))
          for label, path in VALUE_AWARE.items() if path.is_file()}
    doc["value_aware"] = {label: value_aware_summary(d) for label, d in va.items()}
    steps = small_step_rows()
    doc["small_steps"] = {"source": str(SMALL_STEPS.relative_to(DATA)), "rows": encode(steps)}
    if BRANCH.is_file():
        doc["branch_rungs"] = branch_summary(json.loads(BRANCH.read_text(encoding="utf-8")))
    atomic_write_json(args.out, doc)
    figure(summary, doc["value_aware"], doc.get("branch_rungs", {}), args.figure)
    print("\n".join(exact_table(doc["exact"])))
    print()
    print("\n".join(measured_table(summary)))
    print()
    print("\n".join(small_step_table(steps)))
    for label, d in va.items():
        print(f"\n{label}\n")
        print("\n".join(value_aware_summary_table(doc["value_aware"][label])))
        print()
        print("\n".join(value_aware_table(d)))


if __name__ == "__main__":
    main()
