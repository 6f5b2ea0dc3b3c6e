"""Does the math pick k? The fixed-k grid against Theorem 4.3's k* (docs/results/rollout_length.md).

Two steps. ``collect`` copies what the page needs from a finished (or part-finished) sweep
trained with ``--set rollout.fixed_length=K,...`` and ``--then validate``: per cell its
``config.json``, ``metrics.jsonl``, ``timings.jsonl`` and ``validate/validation.json`` where
it exists (never checkpoints), into ``DATA/<cell>/``; cells still training are skipped, and a
finished cell without a validation is copied all the same (its return counts; it has no k*)::

    python tools/rollout_length.py collect sweeps/k-ip --to docs/results/data/rollout_length_ip

``restore`` does the reverse on a fresh machine: it copies the collected runs back into a sweep
folder (validation under ``validate/``), so that running the sweep's command again finds them
finished and validated and trains only the cells that are missing::

    python tools/rollout_length.py restore docs/results/data/rollout_length_ip --to sweeps/k-ip

``slope`` adds the slope route: from a ``measure-generalization --run <cell> --epoch <E_D>``
result it keeps π_D's epoch, the settings and ``optimal_k_inputs`` as ``DATA/<cell>/
generalization.json`` (``boundcheck.experiments.questions.k_star_slope``)::

    python tools/rollout_length.py slope gen/s3k2/results.json \
        --to docs/results/data/rollout_length_ip

``summarize`` reads such a folder and writes the study (``boundcheck.experiments.questions.
rollout_length``) as JSON and figures: the mean final return against k with its 95% t band
over seeds, the union of the runs' k* ranges shaded and the paper's hand-picked k marked; and
the learning curves per k (``plot-runs --group``)::

    python tools/rollout_length.py summarize docs/results/data/rollout_length_ip \\
        --out docs/results/data/rollout_length_ip.json \\
        --figure docs/results/rollout_length_ip.png --paper-k 1 \\
        --curves docs/results/rollout_length_ip_curves.png
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from boundcheck.codec import encode
from boundcheck.experiments.learning.curves import plot_seed_groups
from boundcheck.experiments.questions.k_star_slope import (
    GENERALIZATION_FILE,
    slope_route,
    slope_table,
    trimmed,
)
from boundcheck.experiments.questions.rollout_length import (
    VALIDATION_FILE,
    RolloutLengthStudy,
    load_k_runs,
    rollout_length_study,
)
from boundcheck.render.rollout_length import table_markdown
from boundcheck.runs.atomic import atomic_write_json

FILES = ("config.json", "metrics.jsonl", "timings.jsonl")
VALIDATION = Path("validate") / "validation.json"


def _finished(cell: Path) -> bool:
    """Whether the cell's run reached its total steps (its last metrics record)."""
    if not (cell / "config.json").is_file() or not (cell / "metrics.jsonl").is_file():
        return False
    total = json.loads((cell / "config.json").read_text(encoding="utf-8"))["config"][
        "total_steps"]
    lines = [ln for ln in (cell / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
             if ln.strip()]
    return bool(lines) and int(json.loads(lines[-1]).get("env_steps", 0)) >= int(total)


def collect(sweep: Path, to: Path) -> tuple[list[str], list[str]]:
    """Copy every finished cell's files (module doc); the cells copied, and those skipped."""
    done, skipped = [], []
    for cell in sorted(p for p in sweep.iterdir() if p.is_dir()):
        if not _finished(cell):
            skipped.append(cell.name)
            continue
        dest = to / cell.name
        dest.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(cell / name, dest / name)
        if (cell / VALIDATION).is_file():
            doc = _relative(json.loads((cell / VALIDATION).read_text(encoding="utf-8")),
                            str(sweep.resolve()), sweep.name)
            (dest / VALIDATION_FILE).write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n",
                                                encoding="utf-8")
        done.append(cell.name)
    return done, skipped


def slope(results: list[Path], data: Path) -> list[str]:
    """Keep each result's slope-route inputs beside its collected run (module doc)."""
    done = []
    for path in results:
        doc = json.loads(path.read_text(encoding="utf-8"))
        cell = Path(doc["source"]["run"]).name
        if not (data / cell / "config.json").is_file():
            raise SystemExit(f"{path}: its run {cell} is not collected in {data}")
        atomic_write_json(data / cell / GENERALIZATION_FILE, trimmed(doc))
        done.append(cell)
    return done


def restore(data: Path, sweep: Path) -> tuple[list[str], list[str]]:
    """Copy every collected run of ``data`` into ``sweep`` (module doc); the cells restored,
    and those left alone because the sweep already holds a run of that name."""
    done, kept = [], []
    for cell in sorted(p for p in data.iterdir() if (p / "config.json").is_file()):
        dest = sweep / cell.name
        if dest.exists():
            kept.append(cell.name)
            continue
        (dest / VALIDATION.parent).mkdir(parents=True)
        for name in FILES:
            shutil.copyfile(cell / name, dest / name)
        if (cell / VALIDATION_FILE).is_file():
            shutil.copyfile(cell / VALIDATION_FILE, dest / VALIDATION)
        done.append(cell.name)
    return done, kept


def _relative(value: Any, root: str, name: str) -> Any:
    """``value`` with every string under the sweep's absolute path ``root`` named from the
    sweep's folder ``name`` instead (committed files name no machine's paths)."""
    if isinstance(value, str):
        return name + value[len(root):] if value.startswith(root) else value
    if isinstance(value, dict):
        return {k: _relative(v, root, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, root, name) for v in value]
    return value


def cpu_hours(data: Path) -> float:
    """The epochs' wall seconds summed over the runs, in hours: CPU hours, as each run had one
    thread (validation not included). ``timings.jsonl`` holds each epoch's wall seconds per
    phase and in all, the latter under ``epoch``."""
    total = 0.0
    for path in sorted(data.glob("*/timings.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                total += float(json.loads(line)["epoch"])
    return total / 3600.0


def plot(study: RolloutLengthStudy, path: Path, title: str, paper_k: int | None) -> None:
    """Top: the final return against k (band: 95% t interval over seeds; dots: runs). Bottom:
    each validated run's k* (dot) and its range (bar), one row per run, coloured by the k it
    trained with. Both share a symmetric-log k axis (k* can be 0)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 7), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    ks = [g.k for g in study.groups]
    mean = [g.final_return.mean for g in study.groups]
    low = [g.final_return.ci_low for g in study.groups]
    high = [g.final_return.ci_high for g in study.groups]
    line, = top.plot(ks, mean, marker="o",
                     label=f"mean of the last {study.window} evaluations")
    top.fill_between(ks, low, high, color=line.get_color(), alpha=0.2, linewidth=0,
                     label="95% t interval over seeds")
    for g in study.groups:
        top.scatter([g.k] * len(g.final_return.values), g.final_return.values, s=10,
                    color=line.get_color(), alpha=0.6)
    top.set(ylabel="undiscounted return", title=title)
    colours = plt.get_cmap("viridis")
    row, far = 0, 250
    for i, g in enumerate(study.groups):
        colour = colours(i / max(1, len(study.groups) - 1))
        for seed, star in sorted(g.k_star.items()):
            a = 0 if star.low is None else star.low
            b = far if star.high is None else star.high
            bottom.plot([a, b], [row, row], color=colour, linewidth=2, alpha=0.7)
            if star.point is not None:
                bottom.scatter([star.point], [row], color=colour, s=18, zorder=3,
                               label=f"trained with k = {g.k}" if seed == min(g.k_star) else None)
            row += 1
    bottom.set(ylabel="validated runs", yticks=[],
               xlabel="rollout length k (fixed from the start) / Theorem 4.3's k*")
    bottom.set_title(f"k* per run at γ = {study.gamma:g} (dot) and its range (bar)", fontsize=10)
    for ax in (top, bottom):
        ax.axvline(study.best_k, color="tab:green", linestyle=":",
                   label=f"best k ({study.best_k})")
        if paper_k is not None:
            ax.axvline(paper_k, color="black", linestyle="--", label=f"the paper's k ({paper_k})")
        ax.set_xscale("symlog", linthresh=1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    ticks = sorted({0, *ks, 25, 50, 100, 200})
    bottom.set_xticks(ticks, [str(t) for t in ticks])
    bottom.set_xlim(-0.4, 250)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summarize(data: Path, out: Path, figure: Path | None, paper_k: int | None,
              gamma: float, curves: Path | None = None) -> RolloutLengthStudy:
    runs = load_k_runs(data)
    study = rollout_length_study(runs, gamma=gamma)
    doc = {"data": data.name, "task": json.loads(
        (data / runs[0].name / "config.json").read_text(encoding="utf-8"))["config"]["env"],
           "paper_k": paper_k, "cpu_hours": cpu_hours(data),
           "runs": [{"name": r.name, "k": r.k, "seed": r.seed, "validated": r.pair is not None}
                    for r in runs],
           "study": encode(study), "slope_route": encode(slope_route(data, runs, gamma))}
    atomic_write_json(out, doc)
    if figure is not None:
        plot(study, figure, f"{doc['task']}: return against a fixed rollout length k", paper_k)
    if curves is not None:  # plot-runs --group: one seed group per k
        plot_seed_groups(sorted(p for p in data.iterdir() if (p / "config.json").is_file()),
                         curves, title=f"{doc['task']}: learning curves per fixed k")
    return study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    c = sub.add_parser("collect")
    c.add_argument("sweep", type=Path)
    c.add_argument("--to", type=Path, required=True)
    g = sub.add_parser("slope")
    g.add_argument("results", type=Path, nargs="+")
    g.add_argument("--to", type=Path, required=True)
    r = sub.add_parser("restore")
    r.add_argument("data", type=Path)
    r.add_argument("--to", type=Path, required=True)
    s = sub.add_parser("summarize")
    s.add_argument("data", type=Path)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--figure", type=Path)
    s.add_argument("--paper-k", type=int)
    s.add_argument("--gamma", type=float, default=0.99)
    s.add_argument("--curves", type=Path, help="also the learning curves per k (plot-runs "
                   "--group)")
    args = parser.parse_args()
    if args.step == "collect":
        done, skipped = collect(args.sweep, args.to)
        print("\n".join(f"copied {c}" for c in done))
        print("\n".join(f"skipped (still training) {c}" for c in skipped))
    elif args.step == "slope":
        print("\n".join(f"kept the slope route of {c}" for c in slope(args.results, args.to)))
    elif args.step == "restore":
        done, kept = restore(args.data, args.to)
        print("\n".join(f"restored {c}" for c in done))
        print("\n".join(f"left alone (already in the sweep) {c}" for c in kept))
    else:
        study = summarize(args.data, args.out, args.figure, args.paper_k, args.gamma,
                          args.curves)
        print("\n".join(table_markdown(study)))
        print()
        print("\n".join(slope_table(slope_route(args.data, load_k_runs(args.data),
                                                 args.gamma))))


if __name__ == "__main__":
    main()
