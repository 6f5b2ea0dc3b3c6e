"""Trace of one cold model fit on N transitions of a policy: why a fit takes as long as it does.

The paper's rule (docs/trainer.md) stops a fit after 6 epochs in a row in which no member of
the ensemble improved its holdout MSE by more than 1%. This records, epoch by epoch, every
member's holdout MSE and how many members improved, on the data set that
``measure-generalization`` would train its size-N model on for repetition 0 (the same seeds:
π_D acting stochastically with ``SeedSequence([seed, 0])``, the model with
``SeedSequence([seed, 0, N])``), with an epoch cap so that a fit that never stops still ends.

``python -m bench.fit_trace --run data/reference --size 60000 --max-epochs 60``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import collect
from boundcheck.experiments.common.measure import make_generator
from boundcheck.experiments.generalization.experiment import seed_words
from boundcheck.experiments.generalization.source import (
    DETERMINISTIC_REFERENCE,
    reference_dir,
    resolve_source,
)
from boundcheck.mbpo.state import Streams
from boundcheck.models import GaussianEnsemble, make_train_step, train_ensemble


def run(run_dir: str | None = None, size: int = 60_000, max_epochs: int = 60,
        seed: int = 0) -> dict[str, Any]:
    """Per-epoch holdout MSE of every member, members improving, and how the fit stopped."""
    dev = torch.device("cpu")
    ref = Path(run_dir) if run_dir else reference_dir(DETERMINISTIC_REFERENCE)
    source = resolve_source(ref, None, runs_root=Path("/nonexistent"), reference_dir=ref)
    spec = get_spec(source.config.env)
    env = make_env(spec, transition_noise=source.config.transition_noise,
                   reward_noise=source.config.reward_noise, unit_actions=True)
    w = seed_words(seed, 0)
    data = collect(env, [p.to(dev) for p in source.policy_state["actor"]], size,
                   env_seed=w[0], generator=make_generator(dev, w[1]))
    env.close()
    obs, act, y = data.model_targets()
    streams = Streams.from_seed(seed_words(seed, 0, size)[0], dev)
    config = dataclasses.replace(source.config.ensemble, max_epochs=max_epochs)
    model = GaussianEnsemble(spec.obs_dim, spec.act_dim, config,
                             generator=streams.torch_model, device=dev)
    epochs: list[dict[str, Any]] = []
    start = time.perf_counter()
    fit = train_ensemble(
        model, torch.cat([obs, act], dim=-1), y, config, streams.torch_model,
        step=make_train_step(config.step_backend(dev.type, size)),
        on_epoch=lambda e: epochs.append({**e, "seconds": time.perf_counter() - start}))
    returns = data.episode_returns
    return {"run": str(ref), "epoch": source.epoch, "size": size, "max_epochs": max_epochs,
            "episodes": len(returns), "episode_return_mean": float(np.mean(returns)),
            "stop": fit["stop"], "epochs_run": fit["epochs"], "best_epoch": fit["best_epoch"],
            "holdout_mse": fit["holdout_mse"], "trace": epochs}


def main() -> None:
    """Command-line entry: print :func:`run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="run directory of pi_D (default: reference)")
    parser.add_argument("--size", type=int, default=60_000)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(run(args.run, args.size, args.max_epochs, args.seed), indent=1))


if __name__ == "__main__":
    main()
