"""Critic bias per epoch (docs/results/questions.md, "What is overfitting in RL?"): the critic's
Q at the state-actions its policy visits against the soft Monte-Carlo return from them
(:mod:`boundcheck.experiments.questions.q_bias`).

``measure`` takes run folders (e.g. a sweep's cells) and adds them to a JSON file, one entry per
run, named by its folder (no machine's path), labelled by algorithm and update ratio::

    python tools/q_bias.py measure sweeps/overfit-ip/* --out docs/results/data/q_bias_ip.json

An existing ``--out`` measured with the same settings keeps its other runs, so runs can be added
as they finish. ``summarize`` gives, per label and epoch, the normalised bias (mean over seeds,
95% t interval over seeds) and the return, as a table and a figure::

    python tools/q_bias.py summarize docs/results/data/q_bias_ip.json --figure q_bias_ip.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from boundcheck.codec import encode
from boundcheck.experiments.common.source import run_config
from boundcheck.experiments.questions.q_bias import QBiasSettings, measure_run
from boundcheck.inputs import InputError
from boundcheck.runs import RunDir
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.runs.errors import RunError
from boundcheck.theory.verdict import mean_estimate


def label(run: Path) -> str:
    """"SAC G=1", "MBPO G=20", ... from the run's saved config; a SAC baseline given a target
    entropy other than its own −|A| (e.g. MBPO's, to separate the model data from the entropy
    target) adds it: "SAC G=20 H=-1"."""
    cfg, _, _ = run_config(RunDir.open(run))
    name = f"{cfg.algo.upper()} G={cfg.updates_per_step}"
    if cfg.algo == "sac" and cfg.sac.target_entropy is not None:
        name += f" H={cfg.sac.target_entropy:g}"
    return name


def measure(runs: list[Path], out: Path, settings: QBiasSettings) -> list[str]:
    """Measure every epoch of each run and merge into ``out``; returns the names measured."""
    doc: dict[str, Any] = {"settings": encode(settings), "runs": []}
    if out.is_file():
        earlier = json.loads(out.read_text(encoding="utf-8"))
        if earlier["settings"] != doc["settings"]:
            raise InputError("out", f"{out} was measured with other settings "
                             f"({earlier['settings']})")
        doc["runs"] = [r for r in earlier["runs"] if r["run"] not in {p.name for p in runs}]
    for path in runs:
        cfg, seed, _ = run_config(RunDir.open(path))
        epochs = measure_run(str(path), None, settings, torch.device("cpu"))
        doc["runs"].append({"run": path.name, "label": label(path), "seed": seed,
                            "gamma": cfg.sac.gamma, "epochs": encode(epochs)})
        doc["runs"].sort(key=lambda r: (r["label"], r["seed"]))
        atomic_write_json(out, doc)
        print(f"{path.name}: {len(epochs)} epochs, last normalised bias "
              f"{epochs[-1].q_min.normalised:.3f}", flush=True)
    return [p.name for p in runs]


def summary(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per label and step reached by every seed of it: the normalised bias of the twin minimum
    and the return, each the mean over seeds with a 95% t interval over seeds."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted({r["label"] for r in doc["runs"]}):
        runs = [r for r in doc["runs"] if r["label"] == name]
        steps = sorted(set.intersection(*({e["step"] for e in r["epochs"]} for r in runs)))
        rows = []
        for step in steps:
            at = [next(e for e in r["epochs"] if e["step"] == step) for r in runs]
            row: dict[str, Any] = {"step": step, "seeds": len(at)}
            for key, values in (("normalised_bias", [e["q_min"]["normalised"] for e in at]),
                                ("return", [e["episode_return"] for e in at])):
                row[key] = encode(mean_estimate(np.array(values))) if len(at) > 1 else {
                    "mean": values[0]}
            rows.append(row)
        out[name] = rows
    return out


#: The late-training window of :func:`late`: the last epochs every run of a label reached.
LATE = 5
#: An epoch "at the top": its return at least this share of the best return of any epoch.
TOP = 0.9


def late(doc: dict[str, Any], last: int = LATE) -> dict[str, Any]:
    """Per label, each seed's normalised bias over its last ``last`` epochs (their median: one
    epoch of a collapsing policy, whose small return makes the ratio explode, does not decide
    it), their mean with a 95% t interval over seeds; the epochs (of all, every seed) whose
    interval over episodes lies above 0 (significant over-estimation), and the largest
    normalised bias with the step and return where it happened; and for each pair of labels
    the paired difference over the seeds both have (mean, t interval, and on how many seeds
    the first is higher). ``over_at_top`` counts the over-estimating epochs whose return was
    at the top (:data:`TOP`): a critic above the returns of a policy that is doing well."""
    per: dict[str, dict[int, float]] = {}
    over: dict[str, list[int]] = {}
    worst: dict[str, dict[str, Any]] = {}
    top_return = max(e["episode_return"] for r in doc["runs"] for e in r["epochs"])
    for r in doc["runs"]:
        values = [e["q_min"]["normalised"] for e in r["epochs"][-last:]]
        per.setdefault(r["label"], {})[int(r["seed"])] = float(np.median(values))
        counts = over.setdefault(r["label"], [0, 0, 0])
        high = [e for e in r["epochs"] if e["q_min"]["normalised_low"] > 0]
        counts[0] += len(high)
        counts[1] += len(r["epochs"])
        counts[2] += sum(e["episode_return"] >= TOP * top_return for e in high)
        top = max(r["epochs"], key=lambda e: e["q_min"]["normalised"])
        if r["label"] not in worst or top["q_min"]["normalised"] > worst[r["label"]]["value"]:
            worst[r["label"]] = {"value": top["q_min"]["normalised"], "seed": int(r["seed"]),
                                 "step": top["step"], "return": top["episode_return"]}
    out: dict[str, Any] = {"last_epochs": last, "labels": {}, "pairs": []}
    for name, seeds in sorted(per.items()):
        out["labels"][name] = {"seeds": sorted(seeds), "per_seed": [seeds[k] for k in
                                                                     sorted(seeds)],
                               "over_epochs": over[name][0], "epochs": over[name][1],
                               "over_at_top": over[name][2],
                               "largest": worst[name],
                               **encode(mean_estimate(np.array(list(seeds.values()))))}
    names = sorted(per)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = sorted(set(per[a]) & set(per[b]))
            if len(common) < 2:
                continue
            diff = np.array([per[a][k] - per[b][k] for k in common])
            out["pairs"].append({"first": a, "second": b, "seeds": common,
                                 "first_higher": int((diff > 0).sum()),
                                 **encode(mean_estimate(diff))})
    return out


def late_table(summary: dict[str, Any]) -> list[str]:
    """Markdown: the late-training bias per label, then the paired differences."""
    n = summary["last_epochs"]
    lines = [f"| run | seeds | normalised bias, median of the last {n} epochs (mean over seeds) "
             "| epochs over-estimating (of them at the top return) "
             "| largest (seed, step, return) |",
             "| --- | --- | --- | --- | --- |"]
    for name, row in summary["labels"].items():
        w = row["largest"]
        lines.append(f"| {name} | {len(row['seeds'])} | {_cell(row)} | {row['over_epochs']} of "
                     f"{row['epochs']} ({row['over_at_top']}) | {w['value']:.2f} (seed "
                     f"{w['seed']}, step {w['step']}, "
                     f"return {w['return']:.0f}) |")
    lines += ["", "| first − second | seeds | difference | first higher on |",
              "| --- | --- | --- | --- |"]
    for row in summary["pairs"]:
        lines.append(f"| {row['first']} − {row['second']} | {len(row['seeds'])} | {_cell(row)}"
                     f" | {row['first_higher']}/{len(row['seeds'])} |")
    return lines


def table(s: dict[str, list[dict[str, Any]]], every: int = 4) -> list[str]:
    """Markdown: per label, every ``every``-th step and the last: bias and return."""
    lines = ["| run | step | seeds | normalised bias (Q − G)/|G| | return |", "|" + " --- |" * 5]
    for name, rows in s.items():
        picked = [r for i, r in enumerate(rows) if i % every == every - 1 or i == len(rows) - 1]
        for r in picked:
            lines.append(f"| {name} | {r['step']} | {r['seeds']} | {_cell(r['normalised_bias'])}"
                         f" | {_cell(r['return'], 0)} |")
    return lines


def _cell(e: dict[str, Any], digits: int = 3) -> str:
    if e.get("ci_low") is None or e.get("ci_high") is None:
        return f"{e['mean']:.{digits}f}"
    return f"{e['mean']:.{digits}f} [{e['ci_low']:.{digits}f}, {e['ci_high']:.{digits}f}]"


def figure(s: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Normalised bias and return against real steps, mean and 95% band over seeds."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, rows in s.items():
        x = [r["step"] for r in rows]
        for ax, key in zip(axes, ("normalised_bias", "return"), strict=True):
            mean = [r[key]["mean"] for r in rows]
            line = ax.plot(x, mean, label=name)[0]
            if all("ci_low" in r[key] for r in rows):
                ax.fill_between(x, [r[key]["ci_low"] for r in rows],
                                [r[key]["ci_high"] for r in rows], alpha=0.2,
                                color=line.get_color())
    axes[0].axhline(0.0, ls="--", color="grey", lw=1)
    axes[0].set_yscale("symlog", linthresh=1.0)  # a collapse's ratio is 100x a healthy one's
    axes[0].set_ylabel("(Q − G) / |G|, twin minimum (symlog)")
    axes[1].set_ylabel("undiscounted return (stochastic policy)")
    for ax in axes:
        ax.set_xlabel("real steps")
    axes[0].legend(fontsize=8)
    axes[0].set_title("critic bias: mean, 95% t band over seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("runs", type=Path, nargs="+")
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--episodes", type=int, default=QBiasSettings.episodes)
    m.add_argument("--tail", type=float, default=QBiasSettings.tail)
    m.add_argument("--seed", type=int, default=QBiasSettings.seed)
    m.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("summarize")
    s.add_argument("file", type=Path)
    s.add_argument("--figure", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "measure":
            torch.set_num_threads(args.threads)
            settings = QBiasSettings(episodes=args.episodes, tail=args.tail, seed=args.seed)
            measure(args.runs, args.out, settings)
            return 0
        doc = json.loads(args.file.read_text(encoding="utf-8"))
        s_ = summary(doc)
        print("\n".join(table(s_)))
        print()
        print("\n".join(late_table(late(doc))))
        if args.figure is not None:
            figure(s_, args.figure)
        return 0
    except InputError as exc:
        print(f"error: --{exc.where.replace('_', '-')}: {exc.detail}", file=sys.stderr)
    except (RunError, OSError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
