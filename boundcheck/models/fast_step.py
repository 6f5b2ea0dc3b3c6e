"""The ensemble's training step as one compiled graph (``torch.func`` + ``torch.compile``).

The loss is the original code's (:func:`boundcheck.models.losses.ensemble_loss`; for a
deterministic model its MSE-only form, :func:`~boundcheck.models.losses.mse_loss_terms`, with
gradients for the weights and biases only, as the eager step, whose unused log-variance bounds
get none), written as a
pure function of the parameter list so that ``torch.func.grad_and_value`` gives loss and
gradients in one traceable call; ``torch.compile`` fuses its small elementwise ops (softplus
bounds, Gaussian NLL, per-layer decay) around the batched matmuls. The Adam step stays
:class:`torch.optim.Adam`, so the optimizer state and the checkpoint format do not change.

On 2 CPU cores the compiled step of the paper's ensemble (7 x 4x200, 256 rows per member) took
15-16 ms against 18-23 ms eager (~1.2-1.5x; ``make bench``, ``ensemble``); compiling costs
~20 s once per process and shape (seconds with a warm inductor cache; later models of the same
shape reuse the graph). Only full batches use the compiled graph (one static shape); an
epoch's last, partial batch runs the eager step, so epochs and batches are exactly those of the
eager trainer and the result differs only by float rounding.
"""

from __future__ import annotations

import torch
from torch import Tensor

from boundcheck.config import EnsembleConfig
from boundcheck.models.ensemble import GaussianEnsemble
from boundcheck.models.functional import ensemble_mean, ensemble_mlp
from boundcheck.models.losses import ensemble_loss_terms, mse_loss_terms
from boundcheck.models.trainer import StepFn, train_step


def _loss(params: list[Tensor], x: Tensor, y: Tensor, decay: tuple[float, ...],
          penalty: float) -> Tensor:
    """:func:`~boundcheck.models.losses.ensemble_loss` of ``[*weights, *biases, max, min]``."""
    layers = len(decay)
    weights, biases = params[:layers], params[layers:2 * layers]
    max_logvar, min_logvar = params[2 * layers], params[2 * layers + 1]
    mean, logvar = ensemble_mlp(weights, biases, max_logvar, min_logvar, x)
    return ensemble_loss_terms(mean, logvar, y, weights, max_logvar, min_logvar, decay, penalty)


def _mse_loss(params: list[Tensor], x: Tensor, y: Tensor, decay: tuple[float, ...]) -> Tensor:
    """:func:`~boundcheck.models.losses.mse_loss_terms` of ``[*weights, *biases]``."""
    layers = len(decay)
    weights, biases = params[:layers], params[layers:]
    return mse_loss_terms(ensemble_mean(weights, biases, x, y.shape[-1]), y, weights, decay)


class FunctionalTrainStep:
    """A drop-in for :func:`~boundcheck.models.trainer.train_step` that computes the gradient
    with ``torch.func`` (compiled with ``compile=True``; eager otherwise, for tests).

    Batches of other than ``config.batch_size`` rows (an epoch's last) run the eager
    :func:`~boundcheck.models.trainer.train_step`, so the compiled graph has one static shape.

    Args:
        compile: wrap the gradient in ``torch.compile(fullgraph=True, dynamic=False)``.
    """

    def __init__(self, *, compile: bool = True) -> None:
        grad = torch.func.grad_and_value(_loss)
        self._grad = torch.compile(grad, fullgraph=True, dynamic=False) if compile else grad
        grad_mse = torch.func.grad_and_value(_mse_loss)
        self._grad_mse = (torch.compile(grad_mse, fullgraph=True, dynamic=False) if compile
                          else grad_mse)

    def __call__(self, model: GaussianEnsemble, optimizer: torch.optim.Optimizer, x: Tensor,
                 y: Tensor, config: EnsembleConfig) -> Tensor:
        """One Adam step of ``optimizer`` on batch ``x`` [E, B, in], ``y`` [E, B, D]; the loss."""
        if x.shape[1] != config.batch_size:
            return train_step(model, optimizer, x, y, config)
        optimizer.zero_grad(set_to_none=True)
        loss: Tensor
        if model.deterministic:
            params = [*model.weights, *model.biases]
            grads, loss = self._grad_mse([p.detach() for p in params], x, y,
                                         tuple(config.weight_decay))
        else:
            params = [*model.weights, *model.biases, model.max_logvar, model.min_logvar]
            grads, loss = self._grad([p.detach() for p in params], x, y,
                                     tuple(config.weight_decay), config.logvar_penalty)
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        optimizer.step()
        return loss.detach()


def make_train_step(backend: str) -> StepFn:
    """The step of a resolved ``backend`` ("eager" or "compile", from
    :meth:`~boundcheck.config.EnsembleConfig.step_backend`); build it once and pass it to every
    :func:`~boundcheck.models.trainer.train_ensemble` call (models of the same shape share the
    compiled graph)."""
    if backend == "compile":
        return FunctionalTrainStep()
    if backend == "eager":
        return train_step
    raise ValueError(f"unresolved or unknown ensemble backend {backend!r}")
