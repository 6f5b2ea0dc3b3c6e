"""What a long run costs here, and what the paper's length would cost at that pace
(docs/results/questions.md, "What does MBPO do on Humanoid?").

``collect`` copies a run's ``config.json``, ``metrics.jsonl`` and ``timings.jsonl`` (never
checkpoints) into a data folder; ``summarize`` reads such a folder and writes the evaluation
returns per epoch, the seconds per 1,000 real steps per phase and the projection to
``--total-steps`` (:mod:`boundcheck.experiments.questions.run_cost`)::

    python tools/run_cost.py collect runs/humanoid-s0 --to docs/results/data/humanoid_seed0
    python tools/run_cost.py summarize docs/results/data/humanoid_seed0 --total-steps 300000 \\
        --out docs/results/data/humanoid_seed0_cost.json

Bad input (a folder without a run's files, a non-positive --total-steps) exits 2 with one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from boundcheck.codec import encode
from boundcheck.config.sections import RolloutSchedule
from boundcheck.experiments.questions.run_cost import FitShape, phase_costs, project
from boundcheck.runs.atomic import atomic_write_json

FILES = ("config.json", "metrics.jsonl", "timings.jsonl")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def summary(folder: Path, total_steps: int) -> dict[str, Any]:
    """The folder's run: its task and settings, returns per epoch, cost and projection."""
    cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))["config"]
    metrics, timings = _jsonl(folder / "metrics.jsonl"), _jsonl(folder / "timings.jsonl")
    names = {f.name for f in dataclasses.fields(RolloutSchedule)}
    schedule = RolloutSchedule(**{k: v for k, v in cfg["rollout"].items() if k in names})
    cost = phase_costs(timings, int(cfg["epoch_length"]))
    ens = cfg["ensemble"]
    fit = FitShape(train_every=int(cfg["model_train_freq"]), batch_size=int(ens["batch_size"]),
                   holdout_ratio=float(ens["holdout_ratio"]), max_holdout=int(ens["max_holdout"]))
    projection = project(timings, metrics, schedule, fit, epoch_length=int(cfg["epoch_length"]),
                         init_steps=int(cfg["init_exploration_steps"]), total_steps=total_steps)
    return {
        "env": cfg["env"], "algo": cfg["algo"], "seed": cfg["seed"],
        "updates_per_step": cfg["updates_per_step"], "torch_threads": cfg["torch_threads"],
        "device": cfg["device"],
        "epochs": [{"epoch": int(m["epoch"]), "env_steps": int(m["env_steps"]),
                    "eval_return": m.get("eval/return_mean"), "k": m.get("rollout/k"),
                    "model_epochs": m.get("model/epochs")} for m in metrics],
        "cost": {**encode(cost), "total_per_1000": cost.total_per_1000},
        "projection": {**encode(projection), "total_hours": projection.total_hours},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("run", type=Path)
    c.add_argument("--to", type=Path, required=True)
    s = sub.add_parser("summarize")
    s.add_argument("data", type=Path)
    s.add_argument("--total-steps", type=int, required=True)
    s.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    source = args.run if args.command == "collect" else args.data
    missing = [f for f in FILES if not (source / f).is_file()]
    if missing:
        print(f"error: {source}: not a run's folder (no {', '.join(missing)})", file=sys.stderr)
        raise SystemExit(2)
    if args.command == "collect":
        args.to.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copy2(source / name, args.to / name)
        print(f"copied {', '.join(FILES)} to {args.to}")
        return
    if args.total_steps <= 0:
        print("error: --total-steps must be a positive number of real steps", file=sys.stderr)
        raise SystemExit(2)
    doc = summary(args.data, args.total_steps)
    atomic_write_json(args.out, doc)
    print(json.dumps({k: doc[k] for k in ("cost", "projection")}, indent=1))
    for e in doc["epochs"]:
        print(f"epoch {e['epoch']}: {e['env_steps']} steps, eval return {e['eval_return']}")


if __name__ == "__main__":
    main()
