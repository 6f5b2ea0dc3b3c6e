"""The GEMM floor of a training step: only the matrix products it cannot avoid, timed alone.

A training step of an MLP must at least do its matrix products: the forward pass of every layer,
the weight gradient ``X^T dY`` of every trained layer and the input gradient ``dY W^T`` of every
layer whose input needs a gradient. :func:`gemm_step` runs exactly those products, with this
machine's GEMM library, on preallocated operands, and nothing else (no activations, losses,
optimizer or Python around them). Its time is a lower bound for *any* fp32 implementation of
the step that uses that library, so ``baseline / floor`` is the largest speed-up over a baseline
that such an implementation can reach: a target above it cannot be met by code, only by other
hardware or lower precision.

A product is ``(batch, m, k, n)``: ``batch`` independent ``[m, k] @ [k, n]`` products (one per
ensemble member or twin critic), ``2 * batch * m * k * n`` FLOP.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import torch

Gemm = tuple[int, int, int, int]


def mlp_gemms(rows: int, widths: Sequence[int], *, batch: int = 1, weight_grads: bool = False,
              input_grads_from: int | None = None) -> list[Gemm]:
    """The products of ``batch`` MLPs with layer ``widths`` on ``rows`` rows each.

    Always the forward pass; ``weight_grads`` adds every layer's ``X^T dY``; ``input_grads_from``
    adds ``dY W^T`` for layers ``input_grads_from, ...`` (1: all but the first, whose input is
    data; 0: all, when the input itself needs a gradient, e.g. an action).
    """
    layers = list(itertools.pairwise(widths))
    gemms: list[Gemm] = [(batch, rows, fan_in, fan_out) for fan_in, fan_out in layers]
    for i, (fan_in, fan_out) in enumerate(layers):
        if weight_grads:
            gemms.append((batch, fan_in, rows, fan_out))
        if input_grads_from is not None and i >= input_grads_from:
            gemms.append((batch, rows, fan_out, fan_in))
    return gemms


def ensemble_step_gemms(in_dim: int, out_dim: int, width: int, depth: int, members: int,
                        rows: int) -> list[Gemm]:
    """One training step of the Gaussian ensemble (outputs mean and log-variance: ``2 out_dim``)."""
    widths = [in_dim, *[width] * depth, 2 * out_dim]
    return mlp_gemms(rows, widths, batch=members, weight_grads=True, input_grads_from=1)


def sac_update_gemms(obs_dim: int, act_dim: int, width: int, depth: int, rows: int,
                     num_q: int = 2) -> list[Gemm]:
    """One SAC update (softlearning's joint update, :func:`boundcheck.agents.losses.sac_loss`).

    Target: actor on ``s'`` and target critics (forward only). Critic loss: critics on ``(s, a)``
    with weight gradients. Actor loss: actor on ``s`` with weight gradients, critics on
    ``(s, a~)`` with detached weights, back-propagated to the action (input gradients only).
    """
    actor = [obs_dim, *[width] * depth, 2 * act_dim]
    critic = [obs_dim + act_dim, *[width] * depth, 1]
    return (mlp_gemms(rows, actor)
            + mlp_gemms(rows, critic, batch=num_q)
            + mlp_gemms(rows, critic, batch=num_q, weight_grads=True, input_grads_from=1)
            + mlp_gemms(rows, actor, weight_grads=True, input_grads_from=1)
            + mlp_gemms(rows, critic, batch=num_q, input_grads_from=0))


def gflop(gemms: Sequence[Gemm]) -> float:
    """Floating-point operations of the products, in units of 1e9."""
    return sum(2 * b * m * k * n for b, m, k, n in gemms) / 1e9


def gemm_step(gemms: Sequence[Gemm], generator: torch.Generator) -> Callable[[], None]:
    """A callable that runs the products once (``torch.bmm`` into preallocated outputs)."""
    dev = generator.device
    operands = [(torch.randn(b, m, k, generator=generator, device=dev),
                 torch.randn(b, k, n, generator=generator, device=dev),
                 torch.empty(b, m, n, device=dev)) for b, m, k, n in gemms]

    def step() -> None:
        for left, right, out in operands:
            torch.bmm(left, right, out=out)

    return step
