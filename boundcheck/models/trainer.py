"""Training procedure of the original code's ``BNN.train`` for :class:`GaussianEnsemble`.

One call of :func:`train_ensemble` (Appendix C; docs/paper.md, "MBPO's algorithm";
jannerm/mbpo ``mbpo/models/bnn.py``):

1. Split off a holdout set: ``min(int(N * holdout_ratio), max_holdout)`` rows of a random
   permutation (at least one row here; the original would produce NaN losses with zero).
2. Refit the input normalizer on the training rows.
3. Draw bootstrap indices per member, ``[E, N_train]`` with replacement; every epoch walks them
   in batches of ``batch_size`` rows per member, then shuffles each member's row independently.
4. Loss per step (``bnn.py`` ``_compile_losses`` + ``finalize``)::

       sum_e mean_{b,d}[(mu - y)^2 exp(-logvar) + logvar]
       + sum_l decay_l * ||W_l||^2 / 2                     (tf.nn.l2_loss; weights only)
       + logvar_penalty * (sum max_logvar - sum min_logvar)

   minimized by Adam (lr 1e-3). The decay is added to the loss, not applied by the optimizer.
   A deterministic model (the ``--model deterministic`` ablation; docs/trainer.md, "Ablations")
   minimizes ``sum_e mean_{b,d}(mu - y)^2 + decay`` instead: the original's
   ``_compile_losses(inc_var_loss=False)`` (its holdout ``mse_loss``) as the training loss, with
   no log-variance or bounds terms; everything else below is the same.
5. After each epoch, the holdout MSE ``mean_{b,d}(mu - y)^2`` of each member; a member whose
   MSE improved on its best by more than ``improvement_threshold`` (relative) snapshots its own
   slices of the fused weights. Bests start at 1e10 on every call, as in the original.
6. Stop once the count of consecutive epochs without any snapshot exceeds ``patience``: this is
   the original ``_epochs_since_update > max_epochs_since_update`` test, so ``patience + 1``
   epochs without improvement are run before stopping. Two optional caps, both off by default
   as in the paper's runs, are the original ``BNN.train``'s own levers: ``max_epochs`` and a
   wall-clock ``max_model_t`` (seconds since the call began, checked after each epoch, so a
   capped call overruns its limit by less than one epoch, as in the original).
7. Restore each member's best snapshot (weights and biases of that member only; the shared
   log-variance bounds keep their final values, as in the original), recompute the holdout MSE
   and take the ``num_elites`` lowest as elites. The elites' holdout NLL is reported too (NaN
   for a deterministic model, which has no density).

Warm start: call :func:`train_ensemble` again on the same model with the grown data set; nothing
is reset. The original also keeps its Adam moments across calls: pass the same ``optimizer``
(from :func:`make_optimizer`) to every call to do the same.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from boundcheck.config import EnsembleConfig
from boundcheck.models.ensemble import GaussianEnsemble
from boundcheck.models.losses import ensemble_loss, holdout_mse, holdout_nll

#: ``(model, optimizer, x [E, B, in], y [E, B, D], config) -> loss``: one Adam step.
StepFn = Callable[[GaussianEnsemble, torch.optim.Optimizer, Tensor, Tensor, EnsembleConfig],
                  Tensor]

#: Initial "best" holdout MSE of every member at the start of a call (original code).
INITIAL_BEST = 1e10


class StopReason(str, enum.Enum):
    """Why one :func:`train_ensemble` call stopped."""

    #: ``patience + 1`` epochs in a row without a member improving (the paper's rule).
    NO_IMPROVEMENT = "no_improvement"
    #: ``max_epochs`` epochs were run.
    EPOCH_CAP = "epoch_cap"
    #: ``max_model_t`` seconds had passed after an epoch.
    TIME_CAP = "time_cap"


def make_optimizer(model: GaussianEnsemble, config: EnsembleConfig) -> torch.optim.Adam:
    """Adam over all trainable parameters (weights, biases and the two log-variance bounds).

    torch's fused Adam: the same update as the per-tensor loop, in one kernel over all
    parameters (on 2 CPU cores the per-tensor loop was about a seventh of a compiled training
    step; docs/results/benchmarks.md). It agrees with the loop to float round-off (~3e-8 after
    50 steps), not bit for bit. An optimizer state saved by a per-tensor Adam keeps its
    setting when loaded (``load_state_dict`` restores the saved group options), so a run
    written before this change resumes exactly as it was trained.
    """
    return torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)


def train_step(model: GaussianEnsemble, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor,
               config: EnsembleConfig) -> Tensor:
    """One Adam step on a batch ``x`` [E, B, in] (normalized), ``y`` [E, B, D]; returns the loss."""
    optimizer.zero_grad(set_to_none=True)
    loss = ensemble_loss(model, x, y, config.weight_decay, config.logvar_penalty)
    torch.autograd.backward(loss)
    optimizer.step()
    return loss.detach()


def improved_members(best: Tensor, current: Tensor, threshold: float) -> Tensor:
    """Members whose ``current`` holdout MSE beats ``best`` by more than ``threshold`` (relative).

    ``(best - current) / best > threshold``, the original ``_save_best`` test; NaN never improves.
    """
    return (best - current) / best > threshold


def select_elites(mse: Tensor, num_elites: int) -> Tensor:
    """Indices of the ``num_elites`` lowest holdout MSEs, best first (ties: lower index first)."""
    return torch.argsort(mse, stable=True)[:num_elites]


class _Snapshots:
    """Per-member best weights, holdout MSE and epoch of the current training call."""

    def __init__(self, model: GaussianEnsemble) -> None:
        self.params = [p.detach().clone() for p in (*model.weights, *model.biases)]
        self.best = torch.full((model.num_members,), INITIAL_BEST, device=model.device,
                               dtype=model.dtype)
        self.best_epoch = [-1] * model.num_members

    def update(self, model: GaussianEnsemble, mse: Tensor, epoch: int, threshold: float) -> int:
        """Snapshot the members that improved; returns how many did."""
        improved = improved_members(self.best, mse, threshold)
        count = int(improved.sum())
        if count == 0:
            return 0
        for snap, p in zip(self.params, (*model.weights, *model.biases), strict=True):
            snap[improved] = p.detach()[improved]
        self.best = torch.where(improved, mse, self.best)
        for i in improved.nonzero().flatten().tolist():
            self.best_epoch[i] = epoch
        return count

    @torch.no_grad()
    def restore(self, model: GaussianEnsemble) -> None:
        # A member that never snapshot (NaN holdout loss) keeps its current weights.
        have = torch.tensor([e >= 0 for e in self.best_epoch], device=model.device)
        for snap, p in zip(self.params, (*model.weights, *model.biases), strict=True):
            p[have] = snap[have]


def _check_inputs(model: GaussianEnsemble, inputs: Tensor, targets: Tensor,
                  config: EnsembleConfig) -> None:
    if inputs.ndim != 2 or inputs.shape[1] != model.in_dim:
        raise ValueError(f"inputs must be [N, {model.in_dim}], got {tuple(inputs.shape)}")
    if targets.shape != (inputs.shape[0], model.out_dim):
        raise ValueError(f"targets must be [N, {model.out_dim}], got {tuple(targets.shape)}")
    if inputs.shape[0] < 2:
        raise ValueError("need at least 2 rows (one for training, one for the holdout)")
    if (config.num_members, config.num_elites) != (model.num_members, model.num_elites):
        raise ValueError("config.num_members/num_elites differ from the model's")


def train_ensemble(
    model: GaussianEnsemble, inputs: Tensor, targets: Tensor, config: EnsembleConfig,
    generator: torch.Generator, *, max_epochs: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    step: StepFn | None = None,
    clock: Callable[[], float] = time.perf_counter,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Fit ``model`` on ``inputs`` ``[s, a]`` [N, in] and ``targets`` ``[r, s'-s]`` [N, D].

    Args:
        model: the ensemble, trained in place (warm start: its weights are never reset).
        inputs, targets: raw (unnormalized) data, e.g. from :func:`make_dataset`.
        config: trainer hyperparameters (lr, batch size, holdout, patience, decays, ...).
        generator: the only source of randomness (split, bootstrap, shuffles); any device.
        max_epochs: cap on epochs for this call; ``None`` uses ``config.max_epochs``; ``0`` or
            ``None`` with ``config.max_epochs == 0`` means no cap (the original has none).
        optimizer: Adam state to continue (see module doc); ``None`` makes a fresh one.
        step: the Adam step to use, e.g. a compiled
            :class:`~boundcheck.models.fast_step.FunctionalTrainStep` built once per model;
            ``None`` uses :func:`train_step` (eager autograd).
        clock: seconds, for ``config.max_model_t`` (a fake clock in tests).
        on_epoch: called after each epoch with ``{"epoch": epochs done, "improved": members
            that snapshot, "since_update": epochs in a row without one,
            "holdout_mse_members": per member}`` (progress display, traces).

    Returns:
        Metrics: ``epochs``, ``grad_steps``, ``num_train``, ``num_holdout``, ``train_loss``
        (mean per-step loss of the last epoch), ``holdout_mse_members`` (per member, after
        restore),
        ``holdout_mse_history`` (per epoch, per member, before restore), ``best_epoch`` (per
        member, 0-based epoch of its restored snapshot, -1 if none), ``elites`` (best first),
        ``holdout_nll_elites`` (per elite, nats per row; NaN for a deterministic model),
        ``holdout_mse`` (mean elite holdout
        MSE: the model's holdout loss, the original's reported ``val_loss``), ``stop`` (a
        :class:`StopReason` value) and ``seconds`` (wall time of the epochs).
    """
    _check_inputs(model, inputs, targets, config)
    device, dtype = model.device, model.dtype
    inputs = inputs.to(device=device, dtype=dtype)
    targets = targets.to(device=device, dtype=dtype)
    n = inputs.shape[0]
    num_holdout = max(1, min(int(n * config.holdout_ratio), config.max_holdout))
    perm = torch.randperm(n, generator=generator, device=generator.device).to(device)
    hold_rows, train_rows = perm[:num_holdout], perm[num_holdout:]
    model.normalizer.fit(inputs[train_rows])
    train_x, train_y = model.normalizer(inputs[train_rows]), targets[train_rows]
    hold_x, hold_y = model.normalizer(inputs[hold_rows]), targets[hold_rows]
    n_train = train_x.shape[0]

    opt = optimizer if optimizer is not None else make_optimizer(model, config)
    do_step: StepFn = step if step is not None else train_step
    cap = config.max_epochs if max_epochs is None else max_epochs
    idxs = torch.randint(n_train, (model.num_members, n_train), generator=generator,
                         device=generator.device).to(device)
    snaps = _Snapshots(model)
    history: list[list[float]] = []
    epochs_since_update, grad_steps = 0, 0
    train_loss = float("nan")
    started = clock()
    stop = StopReason.EPOCH_CAP
    while cap <= 0 or len(history) < cap:
        loss_sum = torch.zeros((), device=device, dtype=dtype)
        for start in range(0, n_train, config.batch_size):
            batch = idxs[:, start : start + config.batch_size]
            loss_sum += do_step(model, opt, train_x[batch], train_y[batch], config)
            grad_steps += 1
        train_loss = loss_sum.item() / math.ceil(n_train / config.batch_size)
        shuffle = torch.rand(idxs.shape, generator=generator, device=generator.device)
        idxs = idxs.gather(1, torch.argsort(shuffle, dim=1).to(device))
        mse = holdout_mse(model, hold_x, hold_y)
        improved = snaps.update(model, mse, len(history), config.improvement_threshold)
        epochs_since_update = 0 if improved else epochs_since_update + 1
        history.append(mse.tolist())
        if on_epoch is not None:
            on_epoch({"epoch": len(history), "since_update": epochs_since_update,
                      "improved": improved, "holdout_mse_members": history[-1]})
        if epochs_since_update > config.patience:
            stop = StopReason.NO_IMPROVEMENT
            break
        if config.max_model_t > 0 and clock() - started > config.max_model_t:
            stop = StopReason.TIME_CAP
            break
    seconds = clock() - started

    snaps.restore(model)
    mse = holdout_mse(model, hold_x, hold_y)
    elites = select_elites(mse, model.num_elites)
    model.elites.copy_(elites)
    nll = holdout_nll(model, hold_x, hold_y)[elites]
    return {
        "epochs": len(history),
        "grad_steps": grad_steps,
        "num_train": n_train,
        "num_holdout": num_holdout,
        "train_loss": train_loss,
        "holdout_mse_members": mse.tolist(),
        "holdout_mse_history": history,
        "best_epoch": list(snaps.best_epoch),
        "elites": elites.tolist(),
        "holdout_nll_elites": nll.tolist(),
        "holdout_mse": float(mse[elites].mean()),
        "stop": stop.value,
        "seconds": seconds,
    }
