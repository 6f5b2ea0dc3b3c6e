"""Benchmark: how a Hopper-v5 run's cost grows as the real buffer fills (seconds per 1,000 steps).

``bench/loop.py`` times the first epoch after exploration (~6k real transitions). The paper's
rule retrains the model every 250 steps on *all* real data until its holdout loss stops
improving, so model training grows with the buffer, and the rollout length k grows with the
epoch (1 -> 15 over epochs 20 -> 100 on Hopper). This benchmark times one epoch at paper
settings at several buffer sizes N without running the loop up to them:

1. the real buffer is filled with N transitions of the shipped reference policy acting
   stochastically (``data/reference``; the first 5,000 labelled as exploration, the rest with
   the epoch a run would have collected them in; smaller sizes are prefixes of the larger), and
   SAC starts from the reference's state;
2. the model is brought up to N untimed, as a run grows it but in coarser steps: warm fits on
   prefixes of 5k, 10k, 20k, ... rows and then all N, each with the paper's stop rule capped
   at ``warmup_max_epochs``; each size starts from the previous size's model (one model grows
   through the table, as in one run). A cold fit of 100k rows would not meet the stop rule in
   any affordable time on a deterministic simulator (docs/results/benchmarks.md);
3. one epoch runs at the epoch index a run would be in at N (so k follows the schedule), with
   every phase timed: env steps, model training (its retrains with the paper's rule, uncapped
   unless ``retrain_max_epochs`` is set, as ``--quick`` does), rollouts, SAC, evaluation and
   the checkpoint (the model buffer included). ``seconds_per_model_epoch`` lets a reader
   rescale model training to any number of epochs per retrain.

The projection for a full run integrates the measured per-phase costs over the run's epochs:
piecewise linear in N between measured sizes (extrapolated from the last two beyond them), the
rollout phase scaled by k(epoch) / k(measured epoch). ``epoch_steps`` < 1,000 times only part of
an epoch (``--quick``) and scales it to 1,000 steps.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boundcheck.buffers import ReplayBuffer
from boundcheck.config import TrainConfig
from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import Transitions, collect
from boundcheck.experiments.common.measure import make_generator
from boundcheck.experiments.generalization.source import (
    DETERMINISTIC_REFERENCE,
    reference_dir,
    resolve_source,
)
from boundcheck.mbpo import steps
from boundcheck.mbpo.loop import run_config_doc, run_epoch, save_epoch
from boundcheck.mbpo.setup import resolve_config
from boundcheck.mbpo.state import EXPLORATION_EPOCH, TrainState, build_state
from boundcheck.models import train_ensemble
from boundcheck.runs import Retention, RunDir
from boundcheck.runs.atomic import read_jsonl

PHASES = ("env", "model_train", "rollout", "sac", "eval", "checkpoint")


def run(sizes: tuple[int, ...] = (10_000, 50_000, 100_000), warmup_max_epochs: int = 100,
        retrain_max_epochs: int = 0, epoch_steps: int = 1000, total_steps: int = 125_000,
        seed: int = 0, device: str = "cpu") -> dict[str, Any]:
    """Time one epoch at each real-buffer size in ``sizes``; returns the table and projection.

    ``retrain_max_epochs`` > 0 caps the timed retrains (``--quick`` only; 0 is the paper's rule).
    """
    dev = torch.device(device)
    source = resolve_source(None, None, runs_root=Path("/nonexistent"),
                            reference_dir=reference_dir(DETERMINISTIC_REFERENCE))
    sizes = tuple(sorted(sizes))
    env = make_env(get_spec(source.config.env), unit_actions=True)
    start = time.perf_counter()
    data = collect(env, [p.to(dev) for p in source.policy_state["actor"]], sizes[-1],
                   env_seed=seed, generator=make_generator(dev, seed))
    env.close()
    _say(f"collected {sizes[-1]} transitions in {time.perf_counter() - start:.0f} s")
    rows, carry = [], None
    for n in sizes:
        row, carry = _one_size(data.head(n), carry, source, warmup_max_epochs,
                               retrain_max_epochs, epoch_steps, total_steps, seed, dev)
        rows.append(row)
        _say(f"N={n}: {json.dumps(row)}")
    cfg = _config(sizes[-1], epoch_steps, total_steps, device)
    full, real = _config(125_000, 1000, total_steps, device), real_run_retrain_epochs()
    return {
        "env": cfg.env, "device": device, "torch_threads": torch.get_num_threads(),
        "epoch_steps_timed": epoch_steps, "warmup_max_epochs": warmup_max_epochs,
        "retrain_max_epochs": retrain_max_epochs,
        "policy": f"{source.kind} {source.run.path} epoch {source.epoch} (stochastic)",
        "sizes": rows,
        "projection": project(rows, full),
        # A weak warm-up leaves the timed retrains longer than a real run's: these use the
        # epochs per retrain that real runs showed (where they reached) instead.
        "real_run_retrain_epochs": real,
        "projection_at_real_run_retrains": {
            key: project(rows, full, real[key]) for key in ("q1", "median", "q3") if key in real},
    }


def _config(n: int, epoch_steps: int, total_steps: int, device: str) -> TrainConfig:
    backend = "compile" if device == "cpu" else "auto"
    overrides: dict[str, Any] = {"total_steps": max(total_steps, n + 2 * epoch_steps),
                                 "sac.backend": backend, "ensemble.backend": backend}
    if epoch_steps != 1000:
        overrides["epoch_length"] = epoch_steps
    return resolve_config("Hopper-v5", overrides=overrides)


def _fill(state: TrainState, data: Transitions) -> None:
    """Put ``data`` in the real buffer as a run would have collected it, and set the counters."""
    n, explore = len(data), state.config.init_exploration_steps
    epochs = np.where(np.arange(n) < explore, EXPLORATION_EPOCH,
                      (np.arange(n) - explore) // 1000)
    state.real.add_batch(data.obs, data.act, data.reward, data.next_obs,
                         data.terminated.astype(np.float32), epoch=epochs)
    state.env_steps = n
    state.epoch = max(0, (n - explore) // 1000)


def warmup_stages(start: int, n: int) -> list[int]:
    """Data sizes of the warm-up fits: doubling from ``start`` (>= 5,000), ending at ``n``."""
    stages, rows = [], max(start, 5000)
    while rows < n:
        stages.append(rows)
        rows *= 2
    return [*stages, n]


def _warm_up(state: TrainState, data: Transitions, start: int, cap: int) -> list[dict[str, Any]]:
    """Warm fits on a growing prefix of the data (a coarse version of a run's 250-row steps)."""
    assert state.model is not None
    obs, act, targets = data.model_targets()
    inputs = torch.cat([obs, act], dim=-1)
    config = dataclasses.replace(state.config.ensemble, max_epochs=cap)
    fits = []
    for rows in warmup_stages(start, len(data)):
        begin = time.perf_counter()
        fit = train_ensemble(state.model, inputs[:rows], targets[:rows], config,
                             state.streams.torch_model, optimizer=state.model_optimizer,
                             step=state.model_step)
        fits.append({"rows": rows, "epochs": fit["epochs"], "stop": fit["stop"],
                     "seconds": time.perf_counter() - begin})
        _say(f"warm-up fit on {rows} rows: {fit['epochs']} epochs ({fit['stop']})")
    return fits


Carry = tuple[dict[str, Any], dict[str, Any], int]


def _one_size(data: Transitions, carry: Carry | None, source: Any, warmup_max_epochs: int,
              retrain_max_epochs: int, epoch_steps: int, total_steps: int, seed: int,
              dev: torch.device) -> tuple[dict[str, Any], Carry]:
    n = len(data)
    cfg = _config(n, epoch_steps, total_steps, dev.type)
    state = build_state(cfg, seed=seed, device=dev)
    assert state.model is not None and state.model_optimizer is not None
    _fill(state, data)
    # Compile the SAC update outside the timed epoch (two updates on real data), then start
    # from the reference's state; the model's step compiles during the warm-up fits.
    state.model_buffer = ReplayBuffer(state.spec.obs_dim, state.spec.act_dim, 1)
    steps.policy_updates(state, 2)
    state.agent.load_state_dict(source.policy_state)
    if carry is not None:  # the previous size's model goes on learning, as in one run
        state.model.load_state_dict(carry[0])
        state.model_optimizer.load_state_dict(carry[1])
    warm = _warm_up(state, data, 5000 if carry is None else 2 * carry[2], warmup_max_epochs)
    if retrain_max_epochs:
        state.config = dataclasses.replace(cfg, ensemble=dataclasses.replace(
            cfg.ensemble, max_epochs=retrain_max_epochs))
    _say(f"N={n}: timing one epoch at epoch {state.epoch}")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = RunDir.create(Path(tmp) / "run", run_config_doc(cfg, seed, dev), force=False)
        eval_env = make_env(state.spec, unit_actions=True)
        record, timer = run_epoch(state, eval_env, None, {})
        save_epoch(run_dir, state, record, timer, Retention())
        eval_env.close()
    # Per-step phases scale with the steps timed; evaluation and checkpoint happen once an epoch.
    scale = {p: 1.0 if p in ("eval", "checkpoint") else 1000 / epoch_steps for p in PHASES}
    phases = {p: timer.seconds.get(p, 0.0) * scale[p] for p in PHASES}
    model_epochs = sum(f["epochs"] for f in timer.model_fits)
    row = {
        "real_transitions": n, "epoch": state.epoch, "k": state.rollout_length,
        "model_buffer_rows": len(state.model_buffer) if state.model_buffer else 0,
        "warmup_fits": warm,
        "model_fits": timer.model_fits,
        "model_epochs_per_retrain": [f["epochs"] for f in timer.model_fits],
        "seconds_per_model_epoch": timer.seconds.get("model_train", 0.0) / max(model_epochs, 1),
        "seconds_per_1000_steps": sum(phases.values()),
        "phase_seconds_per_1000_steps": phases,
        "eval_return": record.get("eval/return_mean"),
    }
    new_carry = ({k: v.clone() for k, v in state.model.state_dict().items()},
                 copy.deepcopy(state.model_optimizer.state_dict()), state.real.__len__())
    return row, new_carry


def _say(message: str) -> None:
    print(f"[growth] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _interp(x: float, xs: list[float], ys: list[float]) -> float:
    """Piecewise linear through (xs, ys); linear extrapolation from the end segments."""
    if len(xs) == 1:
        return ys[0]
    i = int(np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2))
    slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
    return max(0.0, ys[i] + slope * (x - xs[i]))


def project(rows: list[dict[str, Any]], cfg: TrainConfig,
            epochs_per_retrain: float | None = None) -> dict[str, Any]:
    """Hours for a ``cfg.total_steps`` run from the measured rows (module doc).

    ``epochs_per_retrain``: model training as that many epochs per retrain at the measured
    seconds per model epoch, instead of the timed retrains' own epoch counts.
    """
    xs = [float(r["real_transitions"]) for r in rows]
    per_phase = {p: [r["phase_seconds_per_1000_steps"][p] for r in rows] for p in PHASES}
    if epochs_per_retrain is not None:
        retrains = 1000 / cfg.model_train_freq
        per_phase["model_train"] = [retrains * epochs_per_retrain * r["seconds_per_model_epoch"]
                                    for r in rows]
    # Rollout cost per unit of k, so the schedule's growth is integrated, not extrapolated.
    per_k = [r["phase_seconds_per_1000_steps"]["rollout"] / max(r["k"], 1) for r in rows]
    seconds = dict.fromkeys(PHASES, 0.0)
    for epoch in range(cfg.epochs):
        n = cfg.init_exploration_steps + 1000 * epoch + 500  # the buffer mid-epoch
        for p in PHASES:
            if p == "rollout":
                seconds[p] += _interp(n, xs, per_k) * cfg.rollout.length(epoch)
            else:
                seconds[p] += _interp(n, xs, per_phase[p])
    total = sum(seconds.values())
    return {"total_steps": cfg.total_steps, "epochs": cfg.epochs, "hours": total / 3600,
            "phase_hours": {p: s / 3600 for p, s in seconds.items()},
            "epochs_per_retrain": epochs_per_retrain or "as timed",
            "method": "per-phase seconds per 1,000 steps, piecewise linear in the buffer size "
                      "between measured sizes (linear beyond), rollouts scaled by k(epoch)"}


def real_run_retrain_epochs(min_rows: int = 10_000) -> dict[str, float]:
    """Quartiles of ``model/epochs`` (the last retrain of each epoch) in the shipped Hopper MBPO
    runs (``data/learning``, ``data/reference``) at >= ``min_rows`` real transitions."""
    root = reference_dir().parent
    files = [*sorted(root.glob("learning/*/mbpo*/metrics.jsonl")),
             root / "reference" / "metrics.jsonl"]
    epochs = [r["model/epochs"] for f in files if f.is_file() for r in read_jsonl(f)
              if r.get("model/epochs") is not None and r["model/num_train"] >= min_rows]
    if not epochs:
        return {}
    q1, median, q3 = (float(v) for v in np.quantile(epochs, [0.25, 0.5, 0.75]))
    return {"q1": q1, "median": median, "q3": q3, "retrains": float(len(epochs)),
            "max_rows": float(max(r["model/num_train"] for f in files if f.is_file()
                                  for r in read_jsonl(f) if r.get("model/num_train")))}


if __name__ == "__main__":
    print(json.dumps(run(sizes=(6000, 12000), warmup_max_epochs=20, retrain_max_epochs=30,
                         epoch_steps=250), indent=2))
