"""Rung 5 of the bound ladder measured on runs with checkpoints (docs/results/bound_ladder.md,
"Rung 5 measured"): the value-aware model error with π's true occupancy, on each run's newest
epoch pair, beside η, η̂ and η[π_D]::

    python tools/value_aware.py sweeps/k-ip/InvertedPendulum-v5_mbpo_seed3_rollout.fixed_length=* \\
        --out docs/results/data/bound_ladder/value_aware_ip.json

Each run is named in the file by its folder's name (no machine's path). An existing ``--out``
measured with the same settings keeps its other runs (and other pairs of the same run, when
``--data-epoch``/``--epoch`` pick one), so runs can be added as they finish. A run that lacks what
the rung needs (no probabilistic model, no checkpoint pair) is listed under ``skipped`` with the
reason. Library: :mod:`boundcheck.experiments.validate.value_aware_run`.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from boundcheck.codec import encode
from boundcheck.experiments.validate.ladder_measured import value_aware_json
from boundcheck.experiments.validate.pair_files import add_pair_arguments, run_pair_tool
from boundcheck.experiments.validate.source import ValidationSource
from boundcheck.experiments.validate.value_aware_run import ValueAwareSettings, measure_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_pair_arguments(parser)
    parser.add_argument("--episodes", type=int, default=ValueAwareSettings.episodes)
    parser.add_argument("--states", type=int, default=ValueAwareSettings.states)
    parser.add_argument("--next-samples", type=int, default=ValueAwareSettings.next_samples)
    parser.add_argument("--seed", type=int, default=ValueAwareSettings.seed)
    args = parser.parse_args()
    settings = ValueAwareSettings(episodes=args.episodes, states=args.states,
                                  next_samples=args.next_samples, seed=args.seed)

    def measure(source: ValidationSource, name: str,
                device: torch.device) -> tuple[dict[str, Any], str]:
        result = measure_run(source, source.pairs[-1], settings, device, name)
        return value_aware_json(result), ", ".join(
            f"γ={r.gamma:g} B/range {r.fraction:.3f} (S {r.rung.signed:.2f} vs η−η̂ "
            f"{r.eta.mean - r.eta_model.mean:.2f})" for r in result.rows)

    run_pair_tool(parser, args, encode(settings), measure)


if __name__ == "__main__":
    main()
