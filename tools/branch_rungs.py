"""Rungs 2a, 2b and 2c of the bound ladder measured on runs with checkpoints and known noise
(docs/results/bound_ladder.md, "Rung 2 measured")::

    python tools/branch_rungs.py measure data/reference-noise \\
        sweeps/k-ip/InvertedPendulum-v5_mbpo_seed4_rollout.fixed_length=* \\
        --out docs/results/data/bound_ladder/branch_rungs.json
    python tools/branch_rungs.py table docs/results/data/bound_ladder/branch_rungs.json

``measure`` takes each run's newest epoch pair (or ``--data-epoch``/``--epoch``), names each run
by its folder's name, keeps the other runs of an ``--out`` measured with the same settings (so
runs can be added as they finish) and lists runs that lack what the rungs need under
``skipped`` with the reason. ``table`` prints the page's tables from the file. Library:
:mod:`boundcheck.experiments.validate.branch_rungs_run`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from boundcheck.codec import encode
from boundcheck.experiments.validate.branch_rungs_estimate import RUNGS
from boundcheck.experiments.validate.branch_rungs_run import BranchSettings, measure_branch_run
from boundcheck.experiments.validate.ladder_measured import branch_json
from boundcheck.experiments.validate.pair_files import add_pair_arguments, run_pair_tool
from boundcheck.experiments.validate.source import ValidationSource
from boundcheck.theory.ladder import sup_model_fraction

#: The rungs and the two what-ifs, in table order.
KEYS = (*RUNGS, "2c_model_only", "2c_policy_only")


def short(name: str) -> str:
    """A run's label in the tables: its task, seed and k."""
    task = "Hopper" if name.startswith("Hopper") or name == "reference-noise" else "IP"
    if name == "reference-noise":
        return "Hopper reference (schedule k)"
    seed = name.split("_seed")[1].split("_")[0] if "_seed" in name else "?"
    return f"{task} seed{seed}"


#: Where the committed validations of the measured runs live (docs/results/rollout_length.md).
VALIDATIONS = (Path("docs/results/data/rollout_length_ip"),
               Path("docs/results/data/rollout_length_hopper"))


def validate_2a(run: dict[str, Any], gamma: float, root: Path = Path(".")) -> float | None:
    """Rung 2a as validate reports it, relaxed to t·ε_m′ (ε_m′ its sup over time's upper
    end), from the run's committed validation of the same pair; None without one."""
    for folder in VALIDATIONS:
        path = root / folder / run["run"] / "validation.json"
        if path.is_file():
            doc = json.loads(path.read_text(encoding="utf-8"))
            for pair in doc["pairs"]:
                if (pair["data_epoch"], pair["epoch"]) == (run["data_epoch"], run["epoch"]):
                    eps = min(1.0, max(0.0, pair["inputs"]["eps_model_shifted"]))
                    return sup_model_fraction(gamma, eps)
    return None


def _f(fr: dict[str, float]) -> str:
    return f"{fr['point']:.3f} [{fr['low']:.3f}, {fr['high']:.3f}]"


def _g(value: float | None) -> str:
    return "none" if value is None else f"{value:.3f}"


def tables(doc: dict[str, Any], gamma: float = 0.99, root: Path = Path(".")) -> list[str]:
    """Two markdown tables: per run the per-step means, the largest γ below which each rung
    (and each what-if) stays at most half the range and the diagnostics; per run at ``gamma``
    the rungs, the
    what-ifs, validate's relaxed rung 2a and rung 2c against the returns (``root``: the
    repository, for the committed validations)."""
    runs = sorted(doc["runs"], key=lambda r: (short(r["run"]), r["k"]))
    out = ["| run | pair | k | m at π's states | τ at π's | τ at π_D's | m per branch step "
           "| γ below which at most half: 2a | 2b | 2c | 2c model only | 2c policy only "
           "| branches diverged | real states at a velocity clip |", "| --- " * 14 + "|"]
    for r in runs:
        p, h = r["per_step"], r["gamma_at_half"]
        out.append(f"| {short(r['run'])} | {r['data_epoch']}→{r['epoch']} | {r['k']} "
                   f"| {p['m_at_pi']:.3f} | {p['tau_at_pi']:.3f} | {p['tau_at_pi_d']:.3f} "
                   f"| {p['m_per_branch_step']:.3f} | "
                   + " | ".join(_g(h[key]) for key in KEYS)
                   + f" | {p['diverged_branches']:.3f} | {p['share_at_clip']:.3f} |")
    out += ["", f"At γ = {gamma:g} (fractions of the range, 95% bootstrap intervals over "
            "episodes; returns are means over the episodes):", "",
            "| run | k | 2a | 2b | 2c | 2c model only | 2c policy only | validate's 2a (t·ε_m′) "
            "| η | η^db | η − η^db | η[π_D] | 2c | 2c certifies |", "| --- " * 14 + "|"]
    for r in runs:
        row = next(x for x in r["gammas"] if x["gamma"] == gamma)
        out.append(f"| {short(r['run'])} | {r['k']} | "
                   + " | ".join(_f(row["rung_" + key]) for key in KEYS)
                   + f" | {_g(validate_2a(r, gamma, root))} | {row['eta']['mean']:.1f} "
                   f"| {row['eta_data_branch']['mean']:.1f} | {row['gap']['mean']:.2f} "
                   f"[{row['gap']['ci_low']:.2f}, {row['gap']['ci_high']:.2f}] "
                   f"| {row['eta_pi_d']['mean']:.1f} | {row['holds_2c']} "
                   f"| {'yes' if row['certifies_2c'] else 'no'} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    add_pair_arguments(m)
    for field in ("episodes", "stride", "tv_samples", "policy_samples", "resamples", "seed"):
        m.add_argument(f"--{field.replace('_', '-')}", type=int,
                       default=getattr(BranchSettings, field))
    t = sub.add_parser("table")
    t.add_argument("file", type=Path)
    t.add_argument("--gamma", type=float, default=0.99)
    args = parser.parse_args()
    if args.command == "table":
        print("\n".join(tables(json.loads(args.file.read_text(encoding="utf-8")), args.gamma)))
        return
    for name in ("episodes", "stride", "tv_samples", "policy_samples", "resamples"):
        if getattr(args, name) < 1:
            parser.exit(2, f"--{name.replace('_', '-')}: must be ≥ 1, got "
                        f"{getattr(args, name)}\n")
    settings = BranchSettings(episodes=args.episodes, stride=args.stride,
                              tv_samples=args.tv_samples, policy_samples=args.policy_samples,
                              resamples=args.resamples, seed=args.seed)

    def measure(source: ValidationSource, name: str,
                device: torch.device) -> tuple[dict[str, Any], str]:
        run = measure_branch_run(source, source.pairs[-1], settings, device, name)
        first = run.rows[0]
        return branch_json(run), (f"k={run.k} γ={first.gamma:g}: " + ", ".join(
            f"{rung} {getattr(first, 'rung_' + rung).point:.3f}" for rung in RUNGS)
            + f"; γ at half {run.gamma_at_half}")

    run_pair_tool(parser, args, encode(settings), measure)


if __name__ == "__main__":
    main()
