"""The model-generalization experiment (paper Section 4.3, its Figure 1; docs/paper.md, "The
model-generalization experiment"): how fast does the model error grow as the policy moves away
from the data-collecting policy π_D, and does more data make it grow more slowly?

For each repetition (seed) and training-set size N (docs/measure-generalization.md):

1. π_D is a run's policy (:mod:`boundcheck.experiments.generalization.source`).
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

Pure orchestration: returns the typed document (:mod:`~.results`) and the snapshot actors; no
printing, no files. Randomness: every generator is derived from ``np.random.SeedSequence([seed,
i])`` (data collection and evaluation of repetition i) and ``SeedSequence([seed, i, N])`` (model
training, SAC, rollouts and Monte Carlo TV for size N), so adding a size changes no other size's
numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from boundcheck.envs import EnvSpec, get_spec, make_env
from boundcheck.experiments.common.collect import Transitions, collect, true_law_std
from boundcheck.experiments.common.measure import Evaluator, make_generator
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.continuation import continue_sac, make_learner
from boundcheck.experiments.generalization.records import (
    ContinuationRecord,
    CurvePoint,
    ModelFitRecord,
    SeedRecord,
)
from boundcheck.experiments.generalization.results import (
    DocumentFrame,
    GeneralizationDocument,
    ModelErrorInfo,
    PolicySourceInfo,
    Settings,
)
from boundcheck.experiments.generalization.resume import (
    check_resumable,
    prior_records,
)
from boundcheck.experiments.generalization.settings import (
    GeneralizationConfig,
    model_config,
    resolve_settings,
)
from boundcheck.experiments.generalization.source import PolicySource
from boundcheck.mbpo.state import Streams
from boundcheck.models import GaussianEnsemble, make_train_step, train_ensemble
from boundcheck.models.trainer import StepFn
from boundcheck.runs.progress import ProgressFn
from boundcheck.runs.provenance import provenance

__all__ = ["GeneralizationConfig", "GeneralizationOutcome", "SnapshotActor",
           "measure_generalization", "seed_words"]


@dataclass(frozen=True)
class SnapshotActor:
    """A snapshot policy of repetition ``seed`` and size ``train_size``: its ``index``,
    ``updates`` since π_D and actor parameters (π_D itself is the run's checkpoint)."""

    seed: int
    train_size: int
    index: int
    updates: int
    actor: list[Tensor]


@dataclass(frozen=True)
class GeneralizationOutcome:
    """What a measurement made: the result ``document`` and the snapshot actors, in (seed,
    size, index) order."""

    document: GeneralizationDocument
    snapshots: tuple[SnapshotActor, ...]


#: Receives the outcome so far after each repetition (to write it).
OutcomeFn = Callable[[GeneralizationOutcome], object]


#: A model fit past this many epochs with members still improving gets :data:`LONG_FIT_NOTE`.
LONG_FIT_EPOCHS = 100
LONG_FIT_NOTE = ("; still improving past 100 epochs: with little or no noise the holdout error "
                 "has no floor to stop on (--model-max-epochs caps the fit)")


class _Progress:
    """Counts work units (a collection, a model fit, one continuation, one evaluation); each
    report says which phase of how many it is."""

    def __init__(self, fn: ProgressFn | None, total: int) -> None:
        self.fn, self.total, self.done = fn, total, 0.0

    def report(self, description: str, extra: float = 0.0) -> None:
        if self.fn is not None:
            phase = min(int(self.done) + 1, self.total)
            self.fn({"description": f"[{phase}/{self.total}] {description}",
                     "completed": min(self.done + extra, self.total), "total": self.total})

    def step(self, description: str) -> None:
        self.done += 1
        self.report(description)


def seed_words(*key: int) -> list[int]:
    """Six 32-bit seeds from ``SeedSequence(key)``: (seed, i) for repetition i's data and
    evaluation, (seed, i, N) for size N's model, SAC, rollouts and Monte Carlo TV."""
    return [int(w) for w in np.random.SeedSequence(list(key)).generate_state(6)]


@dataclass(frozen=True)
class _Context:
    """What every (seed, size) cell of one repetition shares."""

    cfg: GeneralizationConfig
    source: PolicySource
    spec: EnvSpec
    device: torch.device
    actor_d: list[Tensor]
    pi_d_eval: Transitions
    evaluate: Evaluator
    settings: Settings
    y_measures: list[str]
    tracker: _Progress
    model_steps: dict[int, StepFn]


def measure_generalization(cfg: GeneralizationConfig, source: PolicySource, *,
                           device: torch.device, progress: ProgressFn | None = None,
                           prior: GeneralizationDocument | None = None,
                           on_repetition: OutcomeFn | None = None) -> GeneralizationOutcome:
    """Run the experiment (module doc); see docs/measure-generalization.md for the result.

    ``prior``: a result of the same measurement with fewer repetitions, continued from its
    next repetition (:mod:`~.resume`). ``on_repetition`` receives the result so far after each
    repetition but the last, with that repetition's snapshots only (the earlier ones were
    handed over before), so a caller can write it and a killed measurement keeps its finished
    repetitions. The returned result has every snapshot made in this call."""
    start = time.perf_counter()
    run_cfg, spec = source.config, get_spec(source.config.env)
    env = make_env(spec, transition_noise=run_cfg.transition_noise,
                   reward_noise=run_cfg.reward_noise, unit_actions=True)
    true_std, tv_reason = true_law_std(env, spec, run_cfg)
    y_measures = ["nll", "mse"] + (["tv"] if true_std is not None else [])
    settings = resolve_settings(cfg, source)
    sizes = list(settings.train_sizes)
    frame = DocumentFrame(
        source=PolicySourceInfo(run=str(source.run.path), kind=source.kind,
                                epoch=source.epoch, env=spec.name, algo=run_cfg.algo,
                                run_seed=source.run_seed,
                                transition_noise=run_cfg.transition_noise,
                                reward_noise=run_cfg.reward_noise),
        settings=settings,
        model_error=ModelErrorInfo(tv_available=true_std is not None,
                                   tv_unavailable_reason=tv_reason,
                                   primary="tv" if true_std is not None else "nll",
                                   measures=tuple(y_measures)),
        run_provenance=source.run_provenance,
        versions=provenance(), earlier_seconds=0.0 if prior is None else prior.wall_seconds)
    per_size: dict[int, list[SeedRecord]] = {n: [] for n in sizes}
    done = 0
    if prior is not None:
        done = check_resumable(prior, settings=settings, source=frame.source,
                               model_error=frame.model_error,
                               run_provenance=source.run_provenance)
        per_size = prior_records(prior)
        frame = frame.continuing(prior, done)
    actor_d = [p.to(device) for p in source.policy_state["actor"]]
    tracker = _Progress(progress, (cfg.repetitions - done) * (2 + len(sizes) * (3 + cfg.snapshots)))
    # Per size, so a size's result does not depend on which other sizes were asked for.
    model_steps = {n: make_train_step(run_cfg.ensemble.step_backend(device.type, n))
                   for n in sizes}
    snapshots: list[SnapshotActor] = []
    for i in range(done, cfg.repetitions):
        made = len(snapshots)
        w = seed_words(cfg.seed, i)
        tracker.report(f"seed {i}: collecting {sizes[-1]} transitions with pi_D")
        full = collect(env, actor_d, sizes[-1], env_seed=w[0],
                       generator=make_generator(device, w[1]))
        tracker.step(f"seed {i}: collecting {cfg.eval_steps} evaluation transitions of pi_D")
        evaluate = Evaluator(env=env, true_std=true_std, device=device,
                             eval_steps=cfg.eval_steps, tv_samples=cfg.tv_samples,
                             bucket_width=cfg.bucket_width, eval_seed=w[2], noise_seed=w[3])
        ctx = _Context(cfg=cfg, source=source, spec=spec, device=device, actor_d=actor_d,
                       pi_d_eval=evaluate.collect(actor_d), evaluate=evaluate,
                       settings=settings, y_measures=y_measures, tracker=tracker,
                       model_steps=model_steps)
        tracker.step(f"seed {i}: pi_D's data collected")
        for n in sizes:
            record, snaps = _one_size(ctx, full.head(n), i)
            per_size[n].append(record)
            snapshots.extend(snaps)
        if on_repetition is not None and i + 1 < cfg.repetitions:
            partial = frame.document(per_size, i + 1, time.perf_counter() - start)
            on_repetition(GeneralizationOutcome(document=partial,
                                                snapshots=tuple(snapshots[made:])))
    env.close()
    return GeneralizationOutcome(
        document=frame.document(per_size, cfg.repetitions, time.perf_counter() - start),
        snapshots=tuple(snapshots))


def _fit_model(ctx: _Context, data: Transitions, i: int,
               streams: Streams) -> tuple[GaussianEnsemble, ModelFitRecord]:
    """Step 2: a fresh ensemble with the run's config, trained on ``data``."""
    run_cfg, tracker, n = ctx.source.config, ctx.tracker, len(data)
    label = f"seed {i}, N={n}: training the model"
    tracker.report(label)
    model = GaussianEnsemble(ctx.spec.obs_dim, ctx.spec.act_dim, run_cfg.ensemble,
                             generator=streams.torch_model, device=ctx.device)
    obs, act, targets = data.model_targets()
    fit = train_ensemble(
        model, torch.cat([obs, act], dim=-1), targets, model_config(run_cfg.ensemble, ctx.cfg),
        streams.torch_model, step=ctx.model_steps[n],
        on_epoch=lambda e: tracker.report(
            f"{label}, epoch {e['epoch']} ({e['improved']} of {model.num_members} members "
            f"improved; stops after {run_cfg.ensemble.patience + 1} epochs with none)"
            + (LONG_FIT_NOTE if e["epoch"] >= LONG_FIT_EPOCHS and e["improved"] else "")))
    tracker.step(f"seed {i}, N={n}: model trained ({fit['epochs']} epochs)")
    return model, ModelFitRecord.from_fit(fit)


def _one_size(ctx: _Context, data: Transitions,
              i: int) -> tuple[SeedRecord, list[SnapshotActor]]:
    """Steps 2-5 for training-set size ``len(data)`` in repetition ``i``."""
    cfg, tracker, device, settings = ctx.cfg, ctx.tracker, ctx.device, ctx.settings
    n, actor_d, evaluate = len(data), ctx.actor_d, ctx.evaluate
    w = seed_words(cfg.seed, i, n)
    streams = Streams.from_seed(w[0], device)
    model, fit = _fit_model(ctx, data, i, streams)
    rng = np.random.default_rng(w[1])
    rows = rng.choice(n, size=min(n, cfg.kl_states), replace=False)
    kl_obs = torch.as_tensor(data.obs[rows], device=device)
    learner = make_learner(ctx.source.config, ctx.spec, streams, ctx.source.policy_state, model,
                           data, rollout_length=settings.k,
                           rollout_batch_size=settings.rollout_batch_size,
                           epoch=ctx.source.epoch)
    label = f"seed {i}, N={n}: continuing SAC"
    cont = continue_sac(learner, actor_d, kl_obs, list(settings.kl_grid),
                        max_updates=cfg.max_updates, check_every=cfg.check_every,
                        rollout_every=settings.rollout_every,
                        interval_updates=settings.eps_policy_updates,
                        progress=lambda u: tracker.report(
                            f"{label}, {u:,} of at most {cfg.max_updates:,} updates",
                            u / cfg.max_updates))
    tracker.step(f"seed {i}, N={n}: {len(cont.snapshots)} snapshots")
    tracker.done += cfg.snapshots - len(cont.snapshots)  # skipped evaluations
    pi_d = evaluate.point(model, actor_d, actor_d, ctx.pi_d_eval, w[2])
    points = [CurvePoint(policy="pi_D", index=0, updates=0, kl_target=None,
                         kl_on_data_states=0.0, measured=pi_d)]
    tracker.step(f"seed {i}, N={n}: evaluated pi_D, evaluating the snapshots")
    for snap in cont.snapshots:
        measured = evaluate.point(model, snap.actor, actor_d, evaluate.collect(snap.actor), w[2])
        points.append(CurvePoint(policy=f"snapshot_{snap.index}", index=snap.index,
                                 updates=snap.updates, kl_target=snap.kl_target,
                                 kl_on_data_states=snap.kl_on_data, measured=measured))
        tracker.step(f"seed {i}, N={n}: evaluated snapshot {snap.index}")
    points = [_without_sup(p) for p in points]
    record = SeedRecord(
        seed=i, seed_key=(cfg.seed, i, n), model=fit,
        continuation=ContinuationRecord(
            updates=cont.updates, stop_reason=cont.stop_reason,
            snapshots=len(cont.snapshots), kl_at_interval=cont.kl_at_interval,
            kl_trace=tuple(cont.kl_trace), sac=cont.sac_metrics, rollout=cont.rollout_metrics),
        eps_policy_interval=ana.eps_policy_from_kl(cont.kl_at_interval),
        eps_model_sup_over_time=pi_d.error.sup_over_time, points=tuple(points),
        fits=ana.fit_points(points, local_points=cfg.local_points, y_measures=ctx.y_measures))
    snaps = [SnapshotActor(seed=i, train_size=n, index=s.index, updates=s.updates,
                           actor=s.actor) for s in cont.snapshots]
    return record, snaps


def _without_sup(point: CurvePoint) -> CurvePoint:
    """The point without its own ε_m sup over time (π_D's is kept on the seed record)."""
    error = replace(point.measured.error, sup_over_time=None)
    return replace(point, measured=replace(point.measured, error=error))
