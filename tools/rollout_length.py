"""Does the math pick k? The fixed-k grid against Theorem 4.3's k* (docs/results/rollout_length.md).

Two steps. ``collect`` copies what the page needs from a finished (or part-finished) sweep
trained with ``--set rollout.fixed_length=K,...`` and ``--then validate``: per cell its
``config.json``, ``metrics.jsonl``, ``timings.jsonl`` and ``validate/validation.json`` (never
checkpoints), into ``DATA/<cell>/``; cells still training are skipped::

    python tools/rollout_length.py collect sweeps/k-ip --to docs/results/data/rollout_length_ip

``summarize`` reads such a folder and writes the study (``boundcheck.experiments.questions.
rollout_length``) as JSON and one figure: the mean final return against k with its 95% t
band over seeds, each run's k* range shaded, the paper's hand-picked k marked::

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
from boundcheck.experiments.learning.curves import load_run_curves, plot_seed_groups
from boundcheck.experiments.questions.rollout_length import (
    KRun,
    RolloutLengthStudy,
    rollout_length_study,
)
from boundcheck.experiments.validate.document import read_validation
from boundcheck.runs.atomic import atomic_write_json

FILES = ("config.json", "metrics.jsonl", "timings.jsonl")
VALIDATION = Path("validate") / "validation.json"


def collect(sweep: Path, to: Path) -> list[str]:
    """Copy every validated cell's files (module doc); the cells copied."""
    done = []
    for cell in sorted(p for p in sweep.iterdir() if (p / VALIDATION).is_file()):
        dest = to / cell.name
        dest.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(cell / name, dest / name)
        shutil.copyfile(cell / VALIDATION, dest / "validation.json")
        done.append(cell.name)
    return done


def _fixed_k(run: Path) -> int:
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))["config"]
    k = config["rollout"].get("fixed_length")
    if k is None:
        raise SystemExit(f"{run}: not a fixed-k run (rollout.fixed_length unset)")
    return int(k)


def load_k_runs(data: Path) -> list[KRun]:
    """The runs of a collected folder, each with its k, curve and newest validated pair."""
    dirs = sorted(p for p in data.iterdir() if (p / "config.json").is_file())
    curves = load_run_curves(dirs)
    runs = []
    for path, curve in zip(dirs, curves, strict=True):
        validation = path / "validation.json"
        pair = read_validation(validation).pairs[-1] if validation.is_file() else None
        runs.append(KRun(name=path.name, k=_fixed_k(path), seed=curve.seed,
                         curve=curve.curve(), pair=pair))
    return runs


def cpu_hours(data: Path) -> float:
    """The epochs' wall seconds (``timings.jsonl``'s ``epoch``) summed over the runs, in hours:
    CPU hours, as each run had one thread (validation not included)."""
    total = 0.0
    for path in sorted(data.glob("*/timings.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                total += float(json.loads(line)["epoch"])
    return total / 3600.0


def plot(study: RolloutLengthStudy, path: Path, title: str, paper_k: int | None) -> None:
    """Final return against k (band: 95% t interval over seeds; dots: runs), k* ranges."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ks = [g.k for g in study.groups]
    mean = [g.final_return.mean for g in study.groups]
    low = [g.final_return.ci_low for g in study.groups]
    high = [g.final_return.ci_high for g in study.groups]
    line, = ax.plot(ks, mean, marker="o", label=f"mean of the last {study.window} evaluations")
    ax.fill_between(ks, low, high, color=line.get_color(), alpha=0.2, linewidth=0,
                    label="95% t interval over seeds")
    for g in study.groups:
        ax.scatter([g.k] * len(g.final_return.values), g.final_return.values, s=10,
                   color=line.get_color(), alpha=0.6)
    if study.k_star_low is not None:
        top = study.k_star_high if study.k_star_high is not None else max(ks) * 4
        ax.axvspan(max(study.k_star_low, 0.8), top, color="tab:orange", alpha=0.12,
                   label=f"k* ranges of the runs ({study.k_star_low}–"
                         f"{study.k_star_high if study.k_star_high is not None else '∞'})")
    if paper_k is not None:
        ax.axvline(paper_k, color="black", linestyle="--", label=f"the paper's k ({paper_k})")
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set(xlabel="rollout length k (fixed from the start)", ylabel="undiscounted return",
           title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summarize(data: Path, out: Path, figure: Path | None, paper_k: int | None,
              gamma: float, curves: Path | None = None) -> dict[str, Any]:
    runs = load_k_runs(data)
    study = rollout_length_study(runs, gamma=gamma)
    doc = {"data": data.name, "task": json.loads(
        (data / runs[0].name / "config.json").read_text(encoding="utf-8"))["config"]["env"],
           "paper_k": paper_k, "cpu_hours": cpu_hours(data),
           "runs": [{"name": r.name, "k": r.k, "seed": r.seed, "validated": r.pair is not None}
                    for r in runs],
           "study": encode(study)}
    atomic_write_json(out, doc)
    if figure is not None:
        plot(study, figure, f"{doc['task']}: return against a fixed rollout length k", paper_k)
    if curves is not None:  # plot-runs --group: one seed group per k
        plot_seed_groups(sorted(p for p in data.iterdir() if (p / "config.json").is_file()),
                         curves, title=f"{doc['task']}: learning curves per fixed k")
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    c = sub.add_parser("collect")
    c.add_argument("sweep", type=Path)
    c.add_argument("--to", type=Path, required=True)
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
        print("\n".join(collect(args.sweep, args.to)))
    else:
        doc = summarize(args.data, args.out, args.figure, args.paper_k, args.gamma, args.curves)
        print(json.dumps(doc["study"], indent=1)[:3000])


if __name__ == "__main__":
    main()
