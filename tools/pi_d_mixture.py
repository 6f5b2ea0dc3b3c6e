"""What is π_D? ε_π against the last epoch's policy and against the buffer's mixture, on trained
runs (docs/results/questions.md, question 2; boundcheck.experiments.questions.pi_d).

    python tools/pi_d_mixture.py RUN [RUN ...] --epochs 2,5,8 \\
        --out docs/results/data/questions_pi_d.json

Writes one JSON document: per run (named as given) and data epoch E_D, the mixture's weights
and, for each reading of π_D, the per-state Monte Carlo TV's mean, max, p95 and p99 with
episode-bootstrap 95% intervals.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from boundcheck.codec import encode
from boundcheck.experiments.questions.pi_d import compare_pi_d
from boundcheck.runs import RunDir
from boundcheck.runs.atomic import atomic_write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--epochs", required=True, help="data epochs E_D, comma-separated")
    parser.add_argument("--states", type=int, default=2000)
    parser.add_argument("--n-mc", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    epochs = [int(e) for e in args.epochs.split(",") if e]
    doc = {"format": "boundcheck-pi-d-mixture", "states": args.states, "n_mc": args.n_mc,
           "seed": args.seed, "runs": []}
    for path in args.runs:
        run = RunDir(path)
        for epoch in epochs:
            found = compare_pi_d(run, epoch, states=args.states, n_mc=args.n_mc, seed=args.seed)
            doc["runs"].append({"run": str(path), **encode(found)})
            last, mix = found.against_last, found.against_mixture
            print(f"{path} E_D={epoch}: last mean {last['mean']['value']:.3f} max "
                  f"{last['max']['value']:.3f}; mixture mean {mix['mean']['value']:.3f} max "
                  f"{mix['max']['value']:.3f}", flush=True)
    atomic_write_json(args.out, doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
