"""Pure-function networks for SAC: a squashed-Gaussian actor and batched twin Q critics.

Parameters are plain lists of tensors and every forward is a pure function of
``(params, inputs)``. This keeps the update free of module bookkeeping, lets the actor loss use
*detached* critic weights (no critic weight gradients during the actor step) and makes the
whole update capturable as one CUDA graph.

Layouts:

* actor ``[W_0, b_0, ..., W_L, b_L]`` with ``W_i`` of shape ``[out, in]`` (as ``nn.Linear``)
  and ``b_i`` ``[out]``; the last layer outputs ``2 * act_dim`` values: the pre-tanh mean and
  log-std.
* twin critic ``[W_0, b_0, ...]`` with ``W_i`` of shape ``[Q, out, in]`` and ``b_i`` ``[Q, 1,
  out]`` (``Q = 2``): both critics are evaluated by one ``baddbmm`` per layer.

The ``[out, in]`` layout matters on CPU: with it the thin output layers (1 or ``2 * act_dim``
columns) run their forward and backward as well-shaped GEMMs; ``[in, out]`` made them ~2x slower.

Initialisation follows softlearning (TF/Keras ``Dense``): Glorot-uniform weights, zero biases.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor
from torch.nn.functional import linear, softplus

#: Bounds of the actor's log-std (softlearning's ``SCALE_DIAG_MIN_MAX``).
LOG_STD_MIN = -20.0
LOG_STD_MAX = 2.0
_LOG2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _glorot_(weight: Tensor, fan_in: int, fan_out: int, generator: torch.Generator) -> Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return weight.uniform_(-bound, bound, generator=generator)


def _widths(in_dim: int, out_dim: int, hidden_width: int, num_hidden: int) -> list[int]:
    return [in_dim, *([hidden_width] * num_hidden), out_dim]


def init_actor(
    obs_dim: int,
    act_dim: int,
    hidden_width: int,
    num_hidden: int,
    *,
    device: torch.device,
    generator: torch.Generator,
) -> list[Tensor]:
    """Fresh actor parameters mapping obs to ``2 * act_dim`` (plain tensors, no grad)."""
    widths = _widths(obs_dim, 2 * act_dim, hidden_width, num_hidden)
    params: list[Tensor] = []
    for fan_in, fan_out in itertools.pairwise(widths):
        w = _glorot_(torch.empty(fan_out, fan_in, device=device), fan_in, fan_out, generator)
        params += [w, torch.zeros(fan_out, device=device)]
    return params


def init_twin_critic(
    obs_dim: int,
    act_dim: int,
    hidden_width: int,
    num_hidden: int,
    *,
    device: torch.device,
    generator: torch.Generator,
    num_q: int = 2,
) -> list[Tensor]:
    """Fresh parameters of ``num_q`` independent Q networks ``Q(s, a)``, stacked per layer."""
    widths = _widths(obs_dim + act_dim, 1, hidden_width, num_hidden)
    params: list[Tensor] = []
    for fan_in, fan_out in itertools.pairwise(widths):
        w = torch.empty(num_q, fan_out, fan_in, device=device)
        w = _glorot_(w, fan_in, fan_out, generator)
        params += [w, torch.zeros(num_q, 1, fan_out, device=device)]
    return params


def actor_forward(params: list[Tensor], obs: Tensor) -> tuple[Tensor, Tensor]:
    """Pre-tanh Gaussian ``(mean, log_std)`` of the policy at ``obs`` (``[B, obs_dim]``).

    ``log_std`` is hard-clamped to ``[LOG_STD_MIN, LOG_STD_MAX]`` as in softlearning.
    """
    h = obs
    last = len(params) - 2
    for i in range(0, last, 2):
        h = linear(h, params[i], params[i + 1]).relu_()
    out = linear(h, params[last], params[last + 1])
    mean, log_std = out.chunk(2, dim=-1)
    return mean, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)


def twin_q(params: list[Tensor], obs: Tensor, act: Tensor) -> Tensor:
    """All critics' values ``Q_j(s, a)`` as a ``[num_q, B]`` tensor."""
    num_q = params[0].shape[0]
    x = torch.cat((obs, act), dim=-1)
    h = x.unsqueeze(0).expand(num_q, *x.shape)
    last = len(params) - 2
    for i in range(0, last, 2):
        h = torch.baddbmm(params[i + 1], h, params[i].transpose(1, 2)).relu_()
    return torch.baddbmm(params[last + 1], h, params[last].transpose(1, 2)).squeeze(-1)


def tanh_log_det_jacobian(u: Tensor) -> Tensor:
    """``log(1 - tanh(u)^2)`` elementwise, computed stably as ``2 (log 2 - u - softplus(-2u))``.

    The naive form loses all precision once ``|tanh(u)|`` rounds to 1; this identity is exact
    and finite for every real ``u``.
    """
    return 2.0 * (_LOG2 - u - softplus(-2.0 * u))


def sample_squashed(mean: Tensor, log_std: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
    """Reparameterised squashed-Gaussian sample ``a = tanh(mean + std * noise)``.

    Returns ``(a, log_prob)`` where ``log_prob`` (shape ``[B]``) is the density of ``a`` under
    ``tanh(N(mean, std^2))``: the Gaussian log-density of ``u`` minus the tanh log-Jacobian,
    summed over action dimensions. Using ``noise`` directly avoids recomputing ``(u-mean)/std``.
    """
    u = mean + log_std.exp() * noise
    gauss = -0.5 * noise.square() - log_std - _HALF_LOG_2PI
    log_prob = (gauss - tanh_log_det_jacobian(u)).sum(-1)
    return torch.tanh(u), log_prob
