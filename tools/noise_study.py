"""The known-noise study across σ (docs/results/noise_study.md): one table and one figure.

Each argument is a sweep directory trained at one noise level σ = σ_r (``boundcheck sweep train
... --set transition_noise=S --set reward_noise=S --then validate``). For each, the sweep's own
report is rebuilt (``boundcheck sweep report``: learning curves and the validate block with the
measured ε's over the runs, Student-t intervals), then this tool lines the σ's up:

    python tools/noise_study.py sweeps/noise-ip/sigma=* --out docs/results/data/noise_ip \\
        --figure docs/results/noise_ip.png

Or, for runs trained one by one (the Hopper part), ``--runs SIGMA=RUN,RUN,...`` per σ, each
run validated into ``RUN/validate/`` (``boundcheck validate --run RUN --all-epochs --out
RUN/validate``); the same summaries are computed from the runs directly.

Writes ``OUT.json`` (per σ: the return summaries, every measured quantity's mean, interval and
per-run values, and per run the returns and lower bounds at each γ) and ``OUT.csv`` (one row
per σ and quantity). The figure: (a) ε_m, ε_m′ (TV) and ε_π (max and mean over states)
against σ; (b) the mean of the last evaluations; (c) the largest γ at which each theorem would
be informative (dashed: the what-if with ε_π's mean over states in place of its max); (d) η and
the three lower bounds at γ = 0.9 on a symmetric-log axis.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from boundcheck.codec import encode
from boundcheck.experiments.learning.curves import load_run_curves
from boundcheck.experiments.learning.summary import last_common_step, summarize_groups
from boundcheck.experiments.sweep.analyses import verdict_counts
from boundcheck.experiments.sweep.followons import VALIDATE_DIR, VALIDATE_FILE
from boundcheck.experiments.sweep.run import read_recorded_grid
from boundcheck.experiments.sweep.summary import report_sweep
from boundcheck.experiments.validate.document import read_validation
from boundcheck.runs import RunDir
from boundcheck.runs.atomic import atomic_write_json, atomic_write_text
from boundcheck.runs.saved_config import read_saved_run

BOUND_GAMMA = 0.9


def _sigma(sweep: Path) -> float:
    grid = read_recorded_grid(sweep)
    if grid is None:
        raise SystemExit(f"{sweep}: no sweep.json")
    fixed = dict(grid.fixed)
    s, r = float(fixed.get("transition_noise", 0)), float(fixed.get("reward_noise", 0))
    if s != r:
        raise SystemExit(f"{sweep}: transition_noise {s} != reward_noise {r}")
    return s


def _per_run(paths: list[Path]) -> list[dict[str, Any]]:
    """Per validation file (``RUN/validate/validation.json``): its newest pair's η and bounds."""
    rows = []
    for path in (p for p in paths if p.is_file()):  # as the summaries, skip unvalidated runs
        pair = read_validation(path).pairs[-1]
        blocks = {}
        for block in pair.by_gamma:
            blocks[f"{block.gamma:g}"] = {
                "eta": block.returns.eta.mean,
                **{f"bound_{t}": c.lower_bound.mean for t, c in block.theorems.items()},
                **{f"informative_{t}": c.informative for t, c in block.theorems.items()}}
        rows.append({"run": path.parent.parent.name, "data_epoch": pair.data_epoch,
                     "epoch": pair.epoch, "k": pair.k, "by_gamma": blocks})
    return rows


def study(sweeps: list[Path]) -> list[dict[str, Any]]:
    """One record per σ, ascending."""
    records = []
    for sweep in sweeps:
        report = report_sweep(sweep)
        task = report.tasks[0]
        (label, group), = task.summary.groups.items()
        counts = task.verdicts.get(label)
        records.append({
            "sigma": _sigma(sweep), "sweep": _named(sweep), "task": task.task,
            "step": task.summary.step, "window": task.summary.window,
            "return_at_step": _summary(group.at_step.summary),
            "return_window_mean": _summary(group.window_mean.summary),
            "validated_runs": 0 if counts is None else counts.runs,
            "measured": {} if counts is None else {k: _summary(s)
                                                   for k, s in counts.measured.items()},
            "runs": _per_run(sorted(sweep.glob(f"*/{VALIDATE_DIR}/{VALIDATE_FILE}")))})
    return sorted(records, key=lambda r: r["sigma"])


def _named(path: Path) -> str:
    """A run or sweep as given if relative, else by its folder and the folder's parent
    (``hopper/noise0.01-s0``): committed files never carry a machine's absolute paths."""
    return str(path) if not path.is_absolute() else f"{path.parent.name}/{path.name}"


def study_runs(groups: list[str], window: int = 5) -> list[dict[str, Any]]:
    """The same records from plain run directories, ``SIGMA=RUN,RUN,...`` per σ (runs trained
    one by one, each validated into ``RUN/validate/``): the return at the runs' last common
    evaluation step and the mean of the last ``window`` evaluations, the measured ε's of each
    run's newest validated pair."""
    records = []
    for group in groups:
        sigma_text, _, dirs = group.partition("=")
        paths = [Path(d) for d in dirs.split(",") if d]
        runs = load_run_curves(paths)
        noise = {(c.transition_noise, c.reward_noise) for c in (
            read_saved_run(RunDir.open(p), check_env=False).config for p in paths)}
        if noise != {(float(sigma_text), float(sigma_text))}:
            raise SystemExit(f"{group}: the runs' noise is {sorted(noise)}, not σ = σ_r = "
                             f"{sigma_text}")
        seeds = [r.seed for r in runs]
        if len(set(seeds)) != len(seeds):
            raise SystemExit(f"{group}: two runs share a seed ({sorted(seeds)})")
        curves = {"runs": {r.seed: r.curve() for r in runs}}
        step = last_common_step(curves)
        summary = summarize_groups(curves, step, window).groups["runs"]
        counts = verdict_counts(paths)
        records.append({
            "sigma": float(sigma_text), "runs_dirs": [_named(p) for p in paths],
            "task": runs[0].env, "step": step, "window": window,
            "return_at_step": _summary(summary.at_step.summary),
            "return_window_mean": _summary(summary.window_mean.summary),
            "validated_runs": 0 if counts is None else counts.runs,
            "measured": {} if counts is None else {k: _summary(v)
                                                   for k, v in counts.measured.items()},
            "runs": _per_run([p / VALIDATE_DIR / VALIDATE_FILE for p in paths])})
    return sorted(records, key=lambda r: r["sigma"])


def _summary(s: Any) -> dict[str, Any]:
    return encode(s.interval())


def to_csv(records: list[dict[str, Any]]) -> str:
    """One row per σ and quantity: mean, interval, n and the per-run values."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["sigma", "quantity", "mean", "ci_low", "ci_high", "n", "values"])
    for r in records:
        rows = {"return_at_step": r["return_at_step"],
                "return_window_mean": r["return_window_mean"], **r["measured"]}
        for name, s in rows.items():
            out.writerow([r["sigma"], name, s["mean"], s["ci_low"], s["ci_high"], s["n"],
                          " ".join(f"{v:.6g}" for v in s["values"])])
    return buf.getvalue()


Series = list[tuple[float, dict[str, Any]]]


def _band(ax: Any, series: Series, label: str, style: str = "-",
          clip: tuple[float, float] | None = None) -> None:
    """Mean against σ with its interval as a band (cut to ``clip``, the quantity's range:
    a 3-seed t interval can leave it) and each run as a dot."""
    if not series:
        return
    xs = [x for x, _ in series]
    mean = [s["mean"] for _, s in series]
    low = [s["mean"] if s.get("ci_low") is None else s["ci_low"] for _, s in series]
    high = [s["mean"] if s.get("ci_high") is None else s["ci_high"] for _, s in series]
    if clip is not None:
        low = [min(max(v, clip[0]), clip[1]) for v in low]
        high = [min(max(v, clip[0]), clip[1]) for v in high]
    line, = ax.plot(xs, mean, marker="o", linestyle=style, label=label)
    ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    for x, s in series:
        ax.scatter([x] * len(s["values"]), s["values"], color=line.get_color(), s=8, alpha=0.6)


def _measured(records: list[dict[str, Any]], key: str) -> Series:
    return [(r["sigma"], r["measured"][key]) for r in records if key in r["measured"]]


def _bound_series(records: list[dict[str, Any]], gamma: str, name: str) -> Series:
    out = []
    for r in records:
        vals = [run["by_gamma"][gamma][name] for run in r["runs"] if gamma in run["by_gamma"]]
        if vals:
            out.append((r["sigma"], {"mean": sum(vals) / len(vals), "values": vals}))
    return out


def plot(records: list[dict[str, Any]], path: Path) -> None:
    """The four panels of the module docstring."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    (a, b), (c, d) = axes
    for key, label in (("eps_m", "ε_m (TV, under π_D)"),
                       ("eps_model_shifted", "ε_m′ (TV, under π)"),
                       ("eps_pi", "ε_π (max over states)"),
                       ("eps_pi_mean", "ε_π (mean over states, not the theorem's)")):
        _band(a, _measured(records, key), label, clip=(0.0, 1.0))
    a.set(title="(a) measured ε (newest epoch pair per run)", ylabel="TV", ylim=(0, 1.05))
    _band(b, [(r["sigma"], r["return_window_mean"]) for r in records],
          f"mean of the last {records[0]['window']} evaluations")
    b.set(title="(b) return: is the task still learned?", ylabel="undiscounted return")
    for t in ("4.1", "4.2", "4.3"):
        _band(c, _measured(records, f"gamma_star_{t}"), f"Theorem {t} (ε_π: max, the theorem's)",
              clip=(0.0, 1.0))
    for t in ("4.1", "4.2", "4.3"):
        _band(c, _measured(records, f"gamma_star_{t}_if_eps_pi_mean"),
              f"Theorem {t} if ε_π were its mean (what-if)", "--", (0.0, 1.0))
    c.set(title="(c) largest γ at which each bound is informative", ylabel="γ*", ylim=(0, 1))
    gamma = f"{BOUND_GAMMA:g}"
    for name, label in (("eta", "η (measured)"), ("bound_4.1", "η̂ − C (4.1)"),
                        ("bound_4.2", "η^branch − C (4.2)"),
                        ("bound_4.3", "η^branch − C (4.3)")):
        _band(d, _bound_series(records, gamma, name), label)
    d.set_yscale("symlog", linthresh=10)
    d.set(title=f"(d) η and the lower bounds at γ = {gamma} (mean; dots: runs)",
          ylabel="discounted return")
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("σ = σ_r (known Gaussian noise per coordinate)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{records[0]['task']}: the known-noise study (bands: 95% t interval over "
                 "seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="*", type=Path)
    parser.add_argument("--runs", action="append", default=[], metavar="SIGMA=RUN,RUN,...",
                        help="plain run directories at one σ instead of a sweep (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="OUT.json and OUT.csv")
    parser.add_argument("--figure", type=Path, required=True)
    args = parser.parse_args()
    if bool(args.sweeps) == bool(args.runs):
        parser.error("give sweep directories or --runs groups (one of the two)")
    records = study(args.sweeps) if args.sweeps else study_runs(args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out.with_suffix(".json"), {"format": "boundcheck-noise-study",
                                                      "sigmas": records})
    atomic_write_text(args.out.with_suffix(".csv"), to_csv(records))
    plot(records, args.figure)
    print(f"wrote {args.out.with_suffix('.json')}, {args.out.with_suffix('.csv')}, "
          f"{args.figure}")


if __name__ == "__main__":
    main()
