"""The epoch loop of MBPO (paper Algorithm 2) and of the model-free SAC ablation.

Step counting: every real step counts, the uniform-random exploration included, so a run of
``total_steps`` takes ``init_exploration_steps`` random steps and then
``ceil((total_steps - init_exploration_steps) / epoch_length)`` epochs (the last possibly
partial). The authors' code did not count its 5,000 exploration steps: its "125k steps" for
Hopper are 5k + 125k real steps. Epochs are numbered from 0 after exploration, as in that
code, so the rollout schedule's epochs mean the same thing.

Within an epoch, as the authors' code: at every ``model_train_freq``-th step the model is
retrained on all real data and 100k branched rollouts of length k(epoch) are added to the model
buffer; then one real step with the current policy, then G SAC updates. With the oracle
(``model = "oracle"``, docs/trainer.md "Ablations") the rollouts step the simulator and there
is no model to retrain: no ``model/*`` metrics and no ``model.pt``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boundcheck.config import TrainConfig, to_dict
from boundcheck.envs import make_env
from boundcheck.mbpo import checkpoint as ckpt
from boundcheck.mbpo import steps
from boundcheck.mbpo.state import TrainState, build_state
from boundcheck.models.trainer import StopReason
from boundcheck.runs import Retention, RunDir
from boundcheck.runs.atomic import append_jsonl
from boundcheck.runs.events import EventLog
from boundcheck.runs.progress import ProgressFn
from boundcheck.runs.provenance import provenance
from boundcheck.runs.saved_config import SavedRun, read_saved_run


@dataclass
class PhaseTimer:
    """Wall-clock seconds per phase of one epoch (kept out of metrics.jsonl: see below), and
    each model training of the epoch: its rows, epochs, stop reason and seconds."""

    seconds: dict[str, float] = field(default_factory=dict)
    model_fits: list[dict[str, Any]] = field(default_factory=list)

    def add(self, phase: str, start: float) -> None:
        """Add the time since ``start`` to ``phase``."""
        self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start


def run_config_doc(config: TrainConfig, seed: int, device: torch.device) -> dict[str, Any]:
    """What config.json records beyond provenance: the resolved config, seed and device."""
    return {**to_dict(config), "seed": seed, "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "resolved_backends": {"sac": config.sac_backend(device.type),
                                  "ensemble": config.ensemble_step_backend(device.type)}}


def start_run(config: TrainConfig, out: Path, *, seed: int, device: torch.device,
              force: bool) -> tuple[RunDir, TrainState]:
    """Create the run directory and a fresh state; the returned run holds the writer lock.

    The state is built first, so a config that cannot be built leaves no directory behind.
    ``RunDir.create`` takes the lock before touching anything and refuses to overwrite without
    ``force`` (or a run another process is writing, whatever ``force`` says).
    """
    doc = run_config_doc(config, seed, device)
    state = build_state(config, seed=seed, device=device)
    return RunDir.create(out, doc, force=force), state


Settle = Callable[[SavedRun, "int | None"], TrainConfig]


def resume_run(out: Path, *, device: torch.device, settle: Settle | None = None
               ) -> tuple[RunDir, TrainState, TrainConfig]:
    """Continue ``out`` from its last complete checkpoint (or restart it if it has none).

    The run's writer lock is taken before anything is changed (another writer:
    ``RunLockedError``), and the returned run holds it. ``settle(saved, last_epoch)`` gives the
    config to continue with (default: the saved one); it may only raise ``total_steps``, which
    is then recorded in ``config.json`` before training goes on.
    """
    if settle is not None:  # bad input is refused before the lock file is even opened
        reader = RunDir.open(out)
        settle(read_saved_run(reader, legacy_eager_model=True), reader.latest_complete_epoch())
    run = RunDir.open(out, writer=True)
    try:
        saved = read_saved_run(run, legacy_eager_model=True)
        latest = run.latest_complete_epoch()
        config = saved.config if settle is None else settle(saved, latest)
        state = build_state(config, seed=saved.seed, device=device)
        epoch = run.prepare_resume()
        if epoch is not None:
            ckpt.restore(state, run, epoch)
        capacity = min(config.replay_size, config.total_steps)
        if state.real.capacity < capacity:  # extended: room for the new steps, nothing evicted
            state.real = state.real.resized(capacity)
        if config.total_steps != saved.config.total_steps:
            run.update_config({**saved.doc["config"], "total_steps": config.total_steps},
                              {"total_steps": [saved.config.total_steps, config.total_steps],
                               "after_epoch": epoch, "provenance": provenance()})
    except BaseException:
        run.release()
        raise
    return run, state, config


def train(run: RunDir, state: TrainState, *, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Run (or continue) the loop to ``total_steps``; returns the last epoch's metrics.

    Every epoch appends one record to ``metrics.jsonl`` (deterministic: the same seed, device
    and thread count give the same file) and its wall-clock phase times to ``timings.jsonl``,
    writes the record's scalars as TensorBoard events (:mod:`boundcheck.runs.events`), then
    writes the epoch's checkpoint.
    """
    cfg = state.config
    eval_env = make_env(state.spec, transition_noise=cfg.transition_noise,
                        reward_noise=cfg.reward_noise, unit_actions=True)
    last: dict[str, Any] = {}
    start_steps = state.env_steps  # a resumed run's events after this are redone: purged
    while state.exploring():
        steps.env_step(state)
        _report(progress, state, last, phase="exploring")
    total_epochs = cfg.epochs
    retention = Retention(model_stride=cfg.model_checkpoint_stride, last_epoch=total_epochs - 1)
    with EventLog(run.path, resume_after_step=start_steps) as events:
        while state.epoch < total_epochs:
            last, timer = run_epoch(state, eval_env, progress, last)
            events.write(last)  # before the checkpoint: a resume purges what it redoes
            save_epoch(run, state, last, timer, retention)
            state.epoch += 1
    eval_env.close()
    return last


def run_epoch(state: TrainState, eval_env: Any, progress: ProgressFn | None,
              last: dict[str, Any]) -> tuple[dict[str, Any], PhaseTimer]:
    """One epoch of real steps, model training, rollouts and policy updates.

    Returns the epoch's metrics record and its wall-clock phase times.
    """
    cfg = state.config
    timer = PhaseTimer()
    epoch_start = time.perf_counter()
    n_steps = min(cfg.epoch_length, cfg.total_steps - state.env_steps)
    state.finished_returns = []
    record: dict[str, Any] = {}
    sac_total, sac_count = None, 0
    for t in range(n_steps):
        if state.uses_model and t % cfg.model_train_freq == 0:
            model_metrics = _train_model(state, timer, progress, last)
            start = time.perf_counter()
            record.update(steps.rollout(state))
            timer.add("rollout", start)
            if model_metrics is not None:
                _model_record(record, model_metrics,
                              has_density=cfg.model != "deterministic")
        start = time.perf_counter()
        steps.env_step(state)
        timer.add("env", start)
        start = time.perf_counter()
        total = steps.policy_updates(state, cfg.updates_per_step)
        if total is not None:
            sac_total = total if sac_total is None else sac_total + total
            sac_count += cfg.updates_per_step
        timer.add("sac", start)
        _report(progress, state, last, phase="training")
    record.update(steps.mean_metrics(sac_total, sac_count))
    start = time.perf_counter()
    record.update(steps.evaluate(state, eval_env, cfg.eval_episodes))
    timer.add("eval", start)
    timer.seconds["epoch"] = time.perf_counter() - epoch_start
    returns = state.finished_returns
    record.update({
        "epoch": state.epoch, "env_steps": state.env_steps,
        "train/episodes": len(returns),
        "train/return_mean": float(np.mean(returns)) if returns else None,
    })
    return record, timer


def _train_model(state: TrainState, timer: PhaseTimer, progress: ProgressFn | None,
                 last: dict[str, Any]) -> dict[str, Any] | None:
    """Retrain the learned model (its metrics), or None for the oracle, which has none. The
    fit reports its epochs through ``progress`` (a fit can take minutes on a large buffer)."""
    if not state.trains_model:
        return None

    patience = state.config.ensemble.patience

    def fitting(info: dict[str, Any]) -> None:
        _report(progress, state, last, phase="training",
                fit=f"fitting the model: epoch {info['epoch']}, {info['improved']} of "
                    f"{state.model.num_members} members improved; stops after "
                    f"{patience + 1} epochs with none")

    start = time.perf_counter()
    metrics = steps.train_model(state, on_epoch=None if progress is None else fitting)
    timer.add("model_train", start)
    timer.model_fits.append({key: metrics[key] for key in (
        "num_train", "epochs", "grad_steps", "stop", "seconds")})
    return metrics


def _model_record(record: dict[str, Any], metrics: dict[str, Any], *,
                  has_density: bool = True) -> None:
    """The retrain's ``model/*`` metrics; a deterministic model has no likelihood, so its
    holdout NLL is recorded as null (docs/trainer.md, "Ablations")."""
    nll = metrics["holdout_nll_elites"] if has_density else None
    record.update({
        "model/epochs": metrics["epochs"], "model/grad_steps": metrics["grad_steps"],
        "model/num_train": metrics["num_train"], "model/num_holdout": metrics["num_holdout"],
        "model/train_loss": metrics["train_loss"], "model/elites": metrics["elites"],
        "model/holdout_mse_elites": [metrics["holdout_mse_members"][e]
                                     for e in metrics["elites"]],
        "model/holdout_nll_elites": nll,
        "model/holdout_mse": metrics["holdout_mse"],
        "model/holdout_nll": None if nll is None else float(np.mean(nll)),
    })
    if metrics["stop"] != StopReason.NO_IMPROVEMENT.value:  # only when a cap (off by default) fired
        record["model/stop"] = metrics["stop"]


def save_epoch(run: RunDir, state: TrainState, record: dict[str, Any], timer: PhaseTimer,
               retention: Retention) -> None:
    """Write the epoch's checkpoint (its time added to ``timer``), then its timings line."""
    start = time.perf_counter()
    run.save_checkpoint(
        state.epoch, policy=ckpt.policy_payload(state), rng=ckpt.rng_payload(state),
        buffer=ckpt.real_buffer_arrays(state.real), model=ckpt.model_payload(state),
        metrics=record, retention=retention, resume=ckpt.resume_payload(state))
    timer.add("checkpoint", start)
    fits = {"model_fits": timer.model_fits} if timer.model_fits else {}
    append_jsonl(run.path / "timings.jsonl", {"epoch": state.epoch, **timer.seconds, **fits})


def _report(progress: ProgressFn | None, state: TrainState, last: dict[str, Any],
            phase: str, fit: str | None = None) -> None:
    """``fit``: what the model fit is doing, while it runs (else absent)."""
    if progress is None:
        return
    progress({"phase": phase, "env_steps": state.env_steps, "epoch": state.epoch,
              "total_steps": state.config.total_steps, "k": state.rollout_length,
              "eval_return": last.get("eval/return_mean"),
              "holdout_mse": state.last_model_metrics.get("holdout_mse"),
              **({"fit": fit} if fit is not None else {})})
