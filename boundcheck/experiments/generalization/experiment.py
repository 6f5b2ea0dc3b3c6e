"""The model-generalization experiment (paper Section 4.3, its Figure 1; PAPER.md, "The
model-generalization experiment"): how fast does the model error grow as the policy moves away
from the data-collecting policy π_D, and does more data make it grow more slowly?

For each repetition (seed) and training-set size N (docs/measure-generalization.md):

1. π_D is a run's policy (:mod:`boundcheck.experiments.common.source`).
2. π_D (stochastic actions) collects the largest N transitions in the run's environment, with
   its known noise if any; size N uses the first N of them (the same π_D stream, so the sizes
   are nested). A fresh ensemble with the run's ensemble config is trained on them.
3. SAC continues from π_D's full state on branched rollouts of that model, which is never
   retrained; S policy snapshots are taken by the KL rule of
   :mod:`boundcheck.experiments.generalization.continuation`.
4. π_D and every snapshot collect M real transitions (common random numbers: the same env seed
   and action-noise seed for every policy); on them, model error (NLL, MSE proxies; TV where the
   true law is known) and policy shift (KL(π ‖ π_D), its Pinsker TV) are measured
   (:mod:`boundcheck.experiments.common.measure`).
5. Fits of model error against policy shift (:mod:`boundcheck.experiments.generalization.analysis`).

Pure orchestration: returns the result document and the snapshot actors; no printing, no
files. Randomness: every generator is derived from ``np.random.SeedSequence([seed, i])`` (data
collection and evaluation of repetition i) and ``SeedSequence([seed, i, N])`` (model training,
SAC, rollouts and Monte Carlo TV for size N), so adding a size changes no other size's numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from boundcheck.config import EnsembleConfig
from boundcheck.envs import EnvSpec, get_spec, make_env
from boundcheck.experiments.common.collect import Transitions, collect, true_law_std
from boundcheck.experiments.common.measure import Evaluator, make_generator
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.continuation import (
    continuation_state,
    continue_sac,
    kl_grid,
)
from boundcheck.experiments.generalization.source import PolicySource
from boundcheck.mbpo.state import Streams
from boundcheck.models import GaussianEnsemble, make_train_step, train_ensemble
from boundcheck.models.trainer import StepFn
from boundcheck.runs.provenance import provenance

ProgressFn = Callable[[dict[str, Any]], None]
RESULTS_FORMAT = "boundcheck-generalization"
RESULTS_FORMAT_VERSION = 1


@dataclass(frozen=True)
class GeneralizationConfig:
    """Settings of one experiment; every default lives here (see the CLI for their meaning).

    ``None`` for ``rollout_length``, ``rollout_batch_size``, ``rollout_every``,
    ``model_max_epochs`` and ``model_max_t`` means the run's own value: k of the run's schedule
    at π_D's epoch, its rollout batch, its updates between model retrains (model_train_freq ×
    updates_per_step), its ensemble's epoch cap and time cap (both off in the paper's
    settings: the model trains until the paper's stop rule fires).
    """

    train_sizes: tuple[int, ...]
    seeds: int = 1
    seed: int = 0
    snapshots: int = 6
    eval_steps: int = 2000
    kl_min: float = 0.01
    kl_max: float = 1.0
    max_updates: int = 20_000
    check_every: int = 1
    kl_states: int = 1000
    local_points: int = 4
    tv_samples: int = 256
    bucket_width: int = 100
    rollout_length: int | None = None
    rollout_batch_size: int | None = None
    rollout_every: int | None = None
    model_max_epochs: int | None = None
    model_max_t: float | None = None

    def __post_init__(self) -> None:
        checks = [
            (len(self.train_sizes) >= 1 and min(self.train_sizes) >= 2, "train sizes must be >= 2"),
            (self.seeds >= 1, "seeds must be >= 1"),
            (self.snapshots >= 1, "snapshots must be >= 1"),
            (self.eval_steps >= 2, "eval_steps must be >= 2"),
            (0.0 < self.kl_min <= self.kl_max, "need 0 < kl_min <= kl_max"),
            (self.max_updates >= 1 and self.check_every >= 1, "max_updates, check_every >= 1"),
            (self.kl_states >= 1, "kl_states must be >= 1"),
            (self.local_points >= 2, "local_points must be >= 2"),
            (self.tv_samples >= 2 and self.bucket_width >= 1, "tv_samples >= 2, bucket >= 1"),
        ]
        for value in (self.rollout_length, self.rollout_batch_size, self.rollout_every,
                      self.model_max_epochs):
            checks.append((value is None or value >= 1, "rollout/model overrides must be >= 1"))
        checks.append((self.model_max_t is None or 0 < self.model_max_t < float("inf"),
                       "model_max_t must be a finite number of seconds > 0"))
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def model_config(run_ensemble: EnsembleConfig, cfg: GeneralizationConfig) -> EnsembleConfig:
    """The run's ensemble config with the experiment's caps, where given, in place of its own."""
    caps: dict[str, Any] = {}
    if cfg.model_max_epochs is not None:
        caps["max_epochs"] = cfg.model_max_epochs
    if cfg.model_max_t is not None:
        caps["max_model_t"] = cfg.model_max_t
    return replace(run_ensemble, **caps)


@dataclass(frozen=True)
class GeneralizationResult:
    """``doc``: the results.json document; ``snapshots``: {"seed{i}/size{N}": [{"index",
    "updates", "actor"}]} the snapshot actors (π_D itself is the run's checkpoint)."""

    doc: dict[str, Any]
    snapshots: dict[str, list[dict[str, Any]]]


class _Progress:
    """Counts work units (a collection, a model fit, one continuation, one evaluation)."""

    def __init__(self, fn: ProgressFn | None, total: int) -> None:
        self.fn, self.total, self.done = fn, total, 0.0

    def report(self, description: str, extra: float = 0.0) -> None:
        if self.fn is not None:
            self.fn({"description": description, "completed": min(self.done + extra, self.total),
                     "total": self.total})

    def step(self, description: str) -> None:
        self.done += 1
        self.report(description)


def seed_words(*key: int) -> list[int]:
    """Six 32-bit seeds from ``SeedSequence(key)``: (seed, i) for repetition i's data and
    evaluation, (seed, i, N) for size N's model, SAC, rollouts and Monte Carlo TV."""
    return [int(w) for w in np.random.SeedSequence(list(key)).generate_state(6)]


def measure_generalization(cfg: GeneralizationConfig, source: PolicySource, *,
                           device: torch.device,
                           progress: ProgressFn | None = None) -> GeneralizationResult:
    """Run the experiment (module doc); see docs/measure-generalization.md for the document."""
    start = time.perf_counter()
    run_cfg, spec = source.config, get_spec(source.config.env)
    env = make_env(spec, transition_noise=run_cfg.transition_noise,
                   reward_noise=run_cfg.reward_noise, unit_actions=True)
    true_std, tv_reason = true_law_std(env, spec, run_cfg)
    y_measures = ["nll", "mse"] + (["tv"] if true_std is not None else [])
    sizes = sorted(cfg.train_sizes)
    interval = max(1, run_cfg.model_train_freq * run_cfg.updates_per_step)
    settings = _settings(cfg, source, sizes, interval)
    grid = kl_grid(cfg.kl_min, cfg.kl_max, cfg.snapshots)
    actor_d = [p.to(device) for p in source.policy_state["actor"]]
    tracker = _Progress(progress, cfg.seeds * (2 + len(sizes) * (3 + cfg.snapshots)))
    per_size: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    # Per size, so a size's result does not depend on which other sizes were asked for.
    model_steps = {n: make_train_step(run_cfg.ensemble.step_backend(device.type, n))
                   for n in sizes}
    snapshots: dict[str, list[dict[str, Any]]] = {}
    for i in range(cfg.seeds):
        w = seed_words(cfg.seed, i)
        tracker.report(f"seed {i}: collecting {sizes[-1]} transitions with pi_D")
        full = collect(env, actor_d, sizes[-1], env_seed=w[0],
                       generator=make_generator(device, w[1]))
        tracker.step(f"seed {i}: collecting {cfg.eval_steps} evaluation transitions of pi_D")
        evaluate = Evaluator(env=env, true_std=true_std, device=device,
                             eval_steps=cfg.eval_steps, tv_samples=cfg.tv_samples,
                             bucket_width=cfg.bucket_width, eval_seed=w[2], noise_seed=w[3])
        ctx = _Context(cfg=cfg, source=source, spec=spec, env=env, device=device,
                       actor_d=actor_d, pi_d_eval=evaluate.collect(actor_d), evaluate=evaluate,
                       settings=settings, grid=grid, y_measures=y_measures, tracker=tracker,
                       model_steps=model_steps)
        tracker.step(f"seed {i}: pi_D's data collected")
        for n in sizes:
            record, snaps = _one_size(ctx, full.head(n), i)
            per_size[n].append(record)
            snapshots[f"seed{i}/size{n}"] = snaps
    env.close()
    sizes_doc = [{"train_size": n, **ana.aggregate_size(per_size[n], y_measures),
                  "seeds": per_size[n]} for n in sizes]
    inputs, missing = ana.optimal_k_inputs(sizes_doc, true_std is not None, interval)
    doc = {
        "format": RESULTS_FORMAT, "format_version": RESULTS_FORMAT_VERSION,
        "source": {"run": str(source.run.path), "kind": source.kind, "epoch": source.epoch,
                   "env": spec.name, "algo": run_cfg.algo, "run_seed": source.run_seed,
                   "transition_noise": run_cfg.transition_noise,
                   "reward_noise": run_cfg.reward_noise},
        "settings": settings,
        "model_error": {"tv_available": true_std is not None, "tv_unavailable_reason": tv_reason,
                        "primary": "tv" if true_std is not None else "nll",
                        "measures": y_measures,
                        "proxies": "nll and mse are proxies for the model error, not TVs"},
        "sizes": sizes_doc,
        "optimal_k_inputs": inputs,
        "warnings": [m for m in (missing, *_warnings(sizes_doc)) if m],
        "versions": provenance(), "run_provenance": source.run_provenance,
        "timings": {"wall_seconds": time.perf_counter() - start},
    }
    return GeneralizationResult(doc=doc, snapshots=snapshots)


@dataclass(frozen=True)
class _Context:
    """What every (seed, size) cell of one repetition shares."""

    cfg: GeneralizationConfig
    source: PolicySource
    spec: EnvSpec
    env: Any
    device: torch.device
    actor_d: list[Tensor]
    pi_d_eval: Transitions
    evaluate: Evaluator
    settings: dict[str, Any]
    grid: list[float]
    y_measures: list[str]
    tracker: _Progress
    model_steps: dict[int, StepFn]


def _one_size(ctx: _Context, data: Transitions,
              i: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Steps 2-5 for training-set size ``len(data)`` in repetition ``i``."""
    cfg, run_cfg, tracker, device = ctx.cfg, ctx.source.config, ctx.tracker, ctx.device
    n, settings, actor_d, evaluate = len(data), ctx.settings, ctx.actor_d, ctx.evaluate
    w = seed_words(cfg.seed, i, n)
    tracker.report(f"seed {i}, N={n}: training the model")
    streams = Streams.from_seed(w[0], device)
    model = GaussianEnsemble(ctx.spec.obs_dim, ctx.spec.act_dim, run_cfg.ensemble,
                             generator=streams.torch_model, device=device)
    obs, act, targets = data.model_targets()
    label = f"seed {i}, N={n}: training the model"
    fit = train_ensemble(
        model, torch.cat([obs, act], dim=-1), targets, model_config(run_cfg.ensemble, cfg),
        streams.torch_model, step=ctx.model_steps[n],
        on_epoch=lambda e: tracker.report(
            f"{label}, epoch {e['epoch']} ({e['improved']} of {model.num_members} members "
            f"improved; stops after {run_cfg.ensemble.patience + 1} epochs with none)"))
    tracker.step(f"seed {i}, N={n}: model trained ({fit['epochs']} epochs)")
    rng = np.random.default_rng(w[1])
    rows = rng.choice(n, size=min(n, cfg.kl_states), replace=False)
    kl_obs = torch.as_tensor(data.obs[rows], device=device)
    state = continuation_state(run_cfg, ctx.spec, streams, w[0],
                               ctx.source.policy_state, model, data, ctx.env,
                               rollout_length=settings["rollout_length"],
                               rollout_batch_size=settings["rollout_batch_size"],
                               epoch=ctx.source.epoch)
    label = f"seed {i}, N={n}: continuing SAC"
    cont = continue_sac(state, actor_d, kl_obs, ctx.grid, max_updates=cfg.max_updates,
                        check_every=cfg.check_every, rollout_every=settings["rollout_every"],
                        interval_updates=settings["eps_pi_updates"],
                        progress=lambda u: tracker.report(label, u / cfg.max_updates))
    tracker.step(f"seed {i}, N={n}: {len(cont.snapshots)} snapshots")
    tracker.done += cfg.snapshots - len(cont.snapshots)  # skipped evaluations
    points = [evaluate.point(model, actor_d, actor_d, ctx.pi_d_eval, w[2],
                             {"policy": "pi_D", "index": 0, "updates": 0, "kl_target": None,
                              "kl_on_data_states": 0.0})]
    tracker.step(f"seed {i}, N={n}: evaluated pi_D, evaluating the snapshots")
    for snap in cont.snapshots:
        meta = {"policy": f"snapshot_{snap.index}", "index": snap.index,
                "updates": snap.updates, "kl_target": snap.kl_target,
                "kl_on_data_states": snap.kl_on_data}
        points.append(evaluate.point(model, snap.actor, actor_d, evaluate.collect(snap.actor),
                                     w[2], meta))
        tracker.step(f"seed {i}, N={n}: evaluated snapshot {snap.index}")
    sup = points[0].pop("sup_over_time")
    for p in points[1:]:
        p.pop("sup_over_time")
    record = {
        "seed": i, "seed_key": [cfg.seed, i, n],
        "model": {k: fit[k] for k in ("epochs", "grad_steps", "num_train", "num_holdout",
                                      "elites", "val_loss", "holdout_nll_elites", "stop")},
        "continuation": {"updates": cont.updates, "stop_reason": cont.stop_reason,
                         "snapshots": len(cont.snapshots), "kl_at_interval": cont.kl_at_interval,
                         "kl_trace": [list(p) for p in cont.kl_trace],
                         "sac": cont.sac_metrics, "rollout": cont.rollout_metrics},
        "eps_pi_interval": ana.eps_pi_from_kl(cont.kl_at_interval),
        "eps_m_sup_over_time": sup,
        "points": points,
        "fits": ana.fit_points(points, local_points=cfg.local_points,
                               y_measures=ctx.y_measures),
    }
    snaps = [{"index": s.index, "updates": s.updates, "actor": s.actor} for s in cont.snapshots]
    return record, snaps


def _settings(cfg: GeneralizationConfig, source: PolicySource, sizes: list[int],
              interval: int) -> dict[str, Any]:
    run_cfg = source.config
    fit_config = model_config(run_cfg.ensemble, cfg)
    out = asdict(cfg)
    out.update({
        "train_sizes": sizes,
        "rollout_length": cfg.rollout_length or run_cfg.rollout.length(source.epoch),
        "rollout_batch_size": cfg.rollout_batch_size or run_cfg.rollout_batch_size,
        "rollout_every": cfg.rollout_every or interval,
        "model_max_epochs": fit_config.max_epochs, "model_max_t": fit_config.max_model_t,
        "real_ratio": run_cfg.real_ratio, "eps_pi_updates": interval,
        "kl_grid": kl_grid(cfg.kl_min, cfg.kl_max, cfg.snapshots),
    })
    return out


def _warnings(sizes_doc: list[dict[str, Any]]) -> list[str]:
    out = []
    for size in sizes_doc:
        for rec in size["seeds"]:
            cont = rec["continuation"]
            if cont["stop_reason"] != "all KL targets reached":
                out.append(f"N={size['train_size']} seed {rec['seed']}: {cont['stop_reason']}")
    return out
