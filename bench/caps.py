"""Benchmark: what the original code's two model-training caps do at 50k real transitions.

``ensemble.max_epochs`` and ``ensemble.max_model_t`` (docs/trainer.md) are off in the paper's
runs; the original's README offers ``max_model_t`` for speed. Here, at a Hopper-v5 buffer of
``size`` transitions of the shipped reference policy (stochastic actions):

1. one model is brought up to the ``size`` rows untimed, as :mod:`bench.growth` does: warm
   fits on prefixes of 5k, 10k, 20k, ... rows and then all of them, each with the paper's
   rule capped at ``warmup_max_epochs`` epochs (their stop reasons reported);
2. each variant starts from a copy of that model, its Adam state and its random stream, and
   does the ``retrains`` warm retrains of one 1,000-step epoch (every 250 steps, on all data
   so far: ``size + 250 r`` rows), interleaved variant by variant so the machine's drift hits
   all alike;
3. each variant reports its model-training seconds per 1,000 steps, epochs per retrain, stop
   reasons, its last retrain's own holdout MSE of the elites (the original's ``val_loss``), and
   the elites' MSE and NLL on one fixed test set of fresh transitions (the same for every
   variant, never trained on), so the losses compare.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.growth import warmup_stages
from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import collect
from boundcheck.experiments.common.measure import make_generator
from boundcheck.experiments.generalization.source import (
    DETERMINISTIC_REFERENCE,
    reference_dir,
    resolve_source,
)
from boundcheck.models import GaussianEnsemble, make_optimizer, make_train_step, train_ensemble
from boundcheck.models.losses import holdout_mse, holdout_nll

VARIANTS: dict[str, dict[str, Any]] = {
    "paper (no cap)": {},
    "max_epochs=10": {"max_epochs": 10},
    "max_model_t=20s": {"max_model_t": 20.0},
}


def run(size: int = 50_000, retrains: int = 4, warmup_max_epochs: int = 100,
        test_rows: int = 5000, variants: dict[str, dict[str, Any]] | None = None,
        seed: int = 0) -> dict[str, Any]:
    """The table above for each of ``variants`` (name -> ensemble config fields)."""
    variants = VARIANTS if variants is None else variants
    dev = torch.device("cpu")
    source = resolve_source(None, None, runs_root=Path("/nonexistent"),
                            reference_dir=reference_dir(DETERMINISTIC_REFERENCE))
    spec, base = get_spec(source.config.env), source.config.ensemble
    base = dataclasses.replace(base, backend="compile")
    env = make_env(spec, unit_actions=True)
    actor = [p.to(dev) for p in source.policy_state["actor"]]
    data = collect(env, actor, size + 250 * retrains, env_seed=seed,
                   generator=make_generator(dev, seed))
    test = collect(env, actor, test_rows, env_seed=seed + 1,
                   generator=make_generator(dev, seed + 1))
    env.close()
    obs, act, y = data.model_targets()
    x = torch.cat([obs, act], dim=-1)
    t_obs, t_act, t_y = test.model_targets()
    t_x = torch.cat([t_obs, t_act], dim=-1)

    gen = make_generator(dev, seed)
    model = GaussianEnsemble(spec.obs_dim, spec.act_dim, base, generator=gen)
    opt, step = make_optimizer(model, base), make_train_step("compile")
    warmup = []
    for rows in warmup_stages(5000, size):
        start = time.perf_counter()
        warm = train_ensemble(model, x[:rows], y[:rows],
                              dataclasses.replace(base, max_epochs=warmup_max_epochs), gen,
                              optimizer=opt, step=step)
        warmup.append({"rows": rows, "seconds": time.perf_counter() - start,
                       "epochs": warm["epochs"], "stop": warm["stop"]})

    arms: dict[str, dict[str, Any]] = {}
    for name, fields in variants.items():
        m = copy.deepcopy(model)
        o = make_optimizer(m, base)
        o.load_state_dict(copy.deepcopy(opt.state_dict()))
        g = torch.Generator()
        g.set_state(gen.get_state())
        arms[name] = {"model": m, "opt": o, "gen": g, "fits": [],
                      "config": dataclasses.replace(base, **fields)}
    for r in range(1, retrains + 1):
        rows = size + 250 * r
        for arm in arms.values():
            arm["fits"].append(train_ensemble(arm["model"], x[:rows], y[:rows], arm["config"],
                                              arm["gen"], optimizer=arm["opt"], step=step))
    out = {name: _report(arm, t_x, t_y) for name, arm in arms.items()}
    paper = out[next(iter(out))]
    for rep in out.values():
        rep["model_seconds_ratio_to_paper"] = (rep["model_train_seconds_per_1000_steps"]
                                               / paper["model_train_seconds_per_1000_steps"])
    return {"env": spec.name, "real_transitions": size, "retrains": retrains,
            "test_rows": test_rows, "warmup": warmup, "torch_threads": torch.get_num_threads(),
            "variants": out}


def _report(arm: dict[str, Any], t_x: torch.Tensor, t_y: torch.Tensor) -> dict[str, Any]:
    model, fits = arm["model"], arm["fits"]
    elites = model.elites
    nx = model.normalizer(t_x.to(model.dtype))
    test_mse = holdout_mse(model, nx, t_y.to(model.dtype))[elites]
    test_nll = holdout_nll(model, nx, t_y.to(model.dtype))[elites]
    seconds = sum(f["seconds"] for f in fits)
    return {
        "model_train_seconds_per_1000_steps": seconds * 1000 / (250 * len(fits)),
        "epochs_per_retrain": [f["epochs"] for f in fits],
        "stops": [f["stop"] for f in fits],
        "last_holdout_mse_elites": fits[-1]["holdout_mse"],
        "test_mse_elites": float(test_mse.mean()),
        "test_nll_elites": float(test_nll.mean()),
        "test_mse_per_elite": [float(v) for v in np.asarray(test_mse)],
    }


if __name__ == "__main__":
    print(json.dumps(run(size=8000, retrains=2, warmup_max_epochs=5, test_rows=1000), indent=2))
