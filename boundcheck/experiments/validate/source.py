"""What ``boundcheck validate`` checks: a run, the data epoch E_D and the policy epoch E.

π_D and the model come from checkpoint E_D (the model was trained on the data collected up to
then), π from checkpoint E (default E_D + 1). Defaults: the newest run under ``./runs``
(:func:`boundcheck.experiments.common.source.newest_run`) and its last two epochs (with a
model checkpoint stride > 1: the newest epoch with a model that another checkpoint follows).
An oracle run (``--model oracle``) has no model file: its model is the simulator at every
epoch, so every checkpoint can serve as E_D and ε_m = 0 exactly.
The real buffer comes from the newest checkpoint that keeps one; its per-transition ``epoch``
labels select the data D_env that existed at E_D (labels ≤ E_D; exploration is −1).

A missing or damaged run raises a ``RunError`` naming its path; bad choices raise
:class:`~boundcheck.inputs.InputError` naming the field (``run``, ``epoch``, ``data_epoch``,
``all_epochs``); the CLI names the option (:mod:`boundcheck.cli.errors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from boundcheck.config import TrainConfig
from boundcheck.experiments.common.source import resolve_run, run_config
from boundcheck.inputs import InputError
from boundcheck.runs import CheckpointMissingError, RunDir
from boundcheck.runs.retention import BUFFER_FILE


@dataclass(frozen=True)
class EpochPair:
    """Checkpoint ``data_epoch`` (π_D, model) and ``epoch`` (π) of one run."""

    data_epoch: int
    epoch: int


@dataclass(frozen=True)
class ValidationSource:
    """The run, its config and seed, the epoch pairs to check and the real buffer."""

    run: RunDir
    config: TrainConfig
    run_seed: int
    provenance: dict[str, Any]
    pairs: tuple[EpochPair, ...]
    buffer: dict[str, np.ndarray]
    buffer_epoch: int


def _pairs(run: RunDir, epochs: list[int], model_epochs: list[int], data_epoch: int | None,
           epoch: int | None, all_epochs: bool) -> tuple[EpochPair, ...]:
    span = f"complete epochs: {epochs[0]}..{epochs[-1]}"
    if all_epochs:
        if data_epoch is not None or epoch is not None:
            raise InputError("all_epochs", "checks every consecutive pair, so it takes no data "
                                              "epoch or epoch of its own")
        pairs = tuple(EpochPair(e, e + 1) for e in model_epochs if e + 1 in epochs)
        if not pairs:
            raise InputError("all_epochs", f"{run.path} has no epoch with a model checkpoint "
                                              f"followed by a policy checkpoint ({span})")
        return pairs
    if epoch is not None and data_epoch is not None and epoch <= data_epoch:
        raise InputError("epoch", f"must come after the data epoch {data_epoch} (pi is the "
                                     f"newer policy, pi_D the older one), got {epoch}")
    if epoch is not None and epoch not in epochs:
        raise InputError("epoch", f"{run.path} has no checkpoint for epoch {epoch} ({span})")
    if data_epoch is None:
        if epoch is not None:
            data_epoch = epoch - 1
            if data_epoch not in model_epochs:
                raise InputError("epoch", f"{run.path}: epoch {data_epoch}, the one before, "
                                             "has no model checkpoint; give the data epoch too")
        else:
            followed = [e for e in model_epochs if e + 1 in epochs]
            if not followed:
                raise InputError("run", f"{run.path} has no epoch with a model checkpoint "
                                           f"followed by another checkpoint ({span})")
            data_epoch = followed[-1]
    if data_epoch not in epochs:
        raise InputError("data_epoch", f"{run.path} has no checkpoint for epoch "
                                          f"{data_epoch} ({span})")
    if data_epoch not in model_epochs:
        shown = ", ".join(map(str, model_epochs[-10:])) or "none"
        raise InputError("data_epoch", f"{run.path}: epoch {data_epoch} has no model "
                                          f"checkpoint (epochs with a model: {shown})")
    if epoch is None:
        epoch = data_epoch + 1
    if epoch not in epochs:
        raise InputError("epoch", f"{run.path} has no checkpoint for epoch {epoch} after the "
                                     f"data epoch {data_epoch} ({span})")
    return (EpochPair(data_epoch, epoch),)


def _buffer(run: RunDir, epochs: list[int]) -> tuple[dict[str, np.ndarray], int]:
    """The newest checkpoint's real buffer. A run in progress prunes the buffer of the
    checkpoint a reader picked once a newer one is complete: then take the newer one."""
    for _ in range(3):
        for e in reversed(epochs):
            if BUFFER_FILE in run.manifest(e).files:
                try:
                    return run.load_buffer(e), e
                except CheckpointMissingError:
                    break  # pruned meanwhile: look again from the newest
        else:
            break
        epochs = run.epochs()
    raise InputError("run", f"{run.path} keeps no real replay buffer in any checkpoint")


def validation_refusal(config: TrainConfig) -> str | None:
    """Why a run with ``config`` cannot be validated (None: it can): a model-free run has no
    model; a deterministic model has no density (its TV is 1 by definition, its NLL undefined).
    """
    if config.algo != "mbpo":
        return (f"a '{config.algo}' run: it has no model to validate (train with --algo mbpo)")
    if config.model == "deterministic":
        return ("a deterministic-model run (--model deterministic): a point-mass model has no "
                "density, so its TV to the true law is 1 by definition and its NLL is undefined; "
                "validate needs a probabilistic model")
    return None


def resolve_validation(run_path: Path | None, data_epoch: int | None, epoch: int | None, *,
                       all_epochs: bool, runs_root: Path) -> ValidationSource:
    """The run and epoch pairs from the options (see the module docstring)."""
    run = resolve_run(run_path, runs_root)
    config, seed, prov = run_config(run)
    epochs = run.epochs()
    model_epochs = run.model_epochs()
    refusal = validation_refusal(config)
    if refusal is not None:
        raise InputError("run", f"{run.path} is {refusal}")
    if config.model == "oracle":  # the simulator is the model at every epoch: eps_m = 0
        model_epochs = epochs
    if not epochs:
        raise InputError("run", f"{run.path} has no complete checkpoint yet")
    pairs = _pairs(run, epochs, model_epochs, data_epoch, epoch, all_epochs)
    buffer, buffer_epoch = _buffer(run, epochs)
    return ValidationSource(run, config, seed, prov, pairs, buffer, buffer_epoch)


def buffer_states(source: ValidationSource, data_epoch: int) -> np.ndarray:
    """Observations of D_env as it was after epoch ``data_epoch`` (labels ≤ ``data_epoch``)."""
    labels = source.buffer["epoch"]
    return source.buffer["obs"][labels <= data_epoch]


def load_actor(source: ValidationSource, epoch: int, device: torch.device) -> list[torch.Tensor]:
    """The actor's parameter tensors saved at ``epoch``, on ``device``."""
    return [p.to(device) for p in source.run.load_policy(epoch, map_location=device)["actor"]]


def buffer_r_max(source: ValidationSource, data_epoch: int) -> float:
    """max |r| over D_env after ``data_epoch`` (the r_max of the bounds unless given)."""
    rewards = source.buffer["reward"][source.buffer["epoch"] <= data_epoch]
    return float(np.abs(rewards).max()) if rewards.size else 0.0
