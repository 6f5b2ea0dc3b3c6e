"""SAC losses as pure functions (Haarnoja et al. 2018, as implemented in softlearning).

Symbols: ``s, a, r, s'`` a transition, ``d`` its *terminated* flag (a time-limit truncation is
not terminal, so ``d = 0`` there), ``gamma`` the discount, ``alpha = exp(log_alpha)`` the
entropy temperature, ``H`` the target entropy, ``Q_1, Q_2`` the critics, ``Q'_j`` their Polyak
targets and ``pi`` the squashed-Gaussian policy.
"""

from __future__ import annotations

import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward, sample_squashed, twin_q

#: Keys of the metrics returned by an update, in the order of the stacked metrics tensor.
METRIC_KEYS: tuple[str, ...] = (
    "sac/q1_loss",
    "sac/q2_loss",
    "sac/actor_loss",
    "sac/alpha_loss",
    "sac/alpha",
    "sac/entropy",
    "sac/q_mean",
)


def soft_td_target(
    reward: Tensor,
    terminated: Tensor,
    next_q: Tensor,
    next_log_prob: Tensor,
    alpha: Tensor | float,
    gamma: float,
) -> Tensor:
    """Soft Bellman target ``y = r + gamma (1 - d) (min_j Q'_j(s', a') - alpha log pi(a'|s'))``.

    ``next_q`` is already the minimum over the target critics, ``a' ~ pi(.|s')``.
    """
    return reward + gamma * (1.0 - terminated) * (next_q - alpha * next_log_prob)


def sac_loss(
    params: list[Tensor],
    target_critic: list[Tensor],
    batch: tuple[Tensor, Tensor, Tensor, Tensor, Tensor],
    noise: Tensor,
    *,
    num_actor: int,
    gamma: float,
    target_entropy: float,
) -> tuple[Tensor, Tensor]:
    """Sum of the critic, actor and temperature losses, and the detached metrics.

    ``params`` is ``actor + critic + [log_alpha]`` (``num_actor`` actor tensors). The three
    losses touch disjoint parameters, so one gradient of their sum equals the three separate
    gradients; as in softlearning (one ``session.run`` of all train ops) every loss sees the
    parameters from before this update:

    * critics: ``sum_j 0.5 * mean (Q_j(s, a) - y)^2`` with ``y`` from :func:`soft_td_target`;
    * actor: ``mean(alpha log pi(a~|s) - min_j Q_j(s, a~))``, ``a~ ~ pi(.|s)`` reparameterised,
      the critic weights *detached* so no critic weight gradient is formed;
    * temperature: ``-log_alpha * mean(log pi(a~|s) + H)``.

    ``noise`` is ``[2, B, act_dim]`` standard normal: ``noise[0]`` for ``a~``, ``noise[1]`` for
    ``a'``. Metrics follow :data:`METRIC_KEYS`.
    """
    obs, act, reward, next_obs, terminated = batch
    actor, critic, log_alpha = params[:num_actor], params[num_actor:-1], params[-1]
    alpha = log_alpha.detach().exp()
    with torch.no_grad():
        next_mean, next_log_std = actor_forward([p.detach() for p in actor], next_obs)
        next_act, next_log_prob = sample_squashed(next_mean, next_log_std, noise[1])
        next_q = twin_q(target_critic, next_obs, next_act).amin(0)
        y = soft_td_target(reward, terminated, next_q, next_log_prob, alpha, gamma)
    q = twin_q(critic, obs, act)
    q_losses = 0.5 * (q - y).square().mean(1)
    mean, log_std = actor_forward(actor, obs)
    pi_act, log_prob = sample_squashed(mean, log_std, noise[0])
    q_pi = twin_q([p.detach() for p in critic], obs, pi_act).amin(0)
    actor_loss = (alpha * log_prob - q_pi).mean()
    log_prob_mean = log_prob.detach().mean()
    alpha_loss = -log_alpha * (log_prob_mean + target_entropy)
    total = q_losses.sum() + actor_loss + alpha_loss
    metrics = torch.stack(
        (q_losses[0], q_losses[1], actor_loss, alpha_loss, alpha, -log_prob_mean, q.mean())
    ).detach()
    return total, metrics
