"""Exact quantities of a finite MDP: returns, state marginals, ε_m, ε_m′, ε_π (no sampling).

A :class:`FiniteMDP` has S states and A actions: initial distribution μ0[S], true transitions
P[S, A, S], model transitions P_model[S, A, S], rewards r[S, A] (known exactly to both, so the
model error is the transition error alone), the data-collecting policy π_D = ``pi_data[S, A]``,
the new policy π = ``pi[S, A]``, the discount γ and a rollout length k.

Definitions (paper Section 4 and Appendix B; docs/theory.md): with d_t(π, P) the state
marginal at time t from μ0,

- η[π] = μ0ᵀ (I − γ P_π)⁻¹ r_π, P_π[s, s′] = Σ_a π(a|s) P(s′|s, a), r_π[s] = Σ_a π(a|s) r(s, a);
- ε_π = max_s D_TV(π(·|s) ‖ π_D(·|s));
- ε_m = sup_t E_{s~d_t(π_D, P), a~π_D} D_TV(P(·|s, a) ‖ P_model(·|s, a));
- ε_m′ = the same with π in place of π_D (states and actions from π);
- η^branch[π] (as the appendix proof treats it): from μ0, k steps with π under P_model, then
  π_D under P for ever.

The sup over t is taken over t = 0, 1, ... until the marginal has converged (max-norm change
below ``tol``) or ``t_max`` steps; a periodic chain that never converges is cut at ``t_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: Marginal-convergence tolerance and step cap for sup-over-time quantities.
SUP_TOL = 1e-13
SUP_T_MAX = 5000


@dataclass(frozen=True, eq=False)
class FiniteMDP:
    """A finite MDP with a learned model and two policies (see the module docstring)."""

    gamma: float
    mu0: Array
    P: Array
    P_model: Array
    r: Array
    pi_data: Array
    pi: Array
    k: int

    @property
    def num_states(self) -> int:
        """S."""
        return int(self.P.shape[0])

    @property
    def num_actions(self) -> int:
        """A."""
        return int(self.P.shape[1])

    @property
    def r_max(self) -> float:
        """max |r(s, a)|."""
        return float(np.max(np.abs(self.r)))


def policy_kernel(P: Array, pi: Array) -> Array:
    """P_π[s, s′] = Σ_a π(a|s) P(s′|s, a)."""
    return np.einsum("sa,sat->st", pi, P)


def policy_reward(r: Array, pi: Array) -> Array:
    """r_π[s] = Σ_a π(a|s) r(s, a)."""
    return np.einsum("sa,sa->s", pi, r)


def values(P: Array, pi: Array, r: Array, gamma: float) -> Array:
    """V_π = (I − γ P_π)⁻¹ r_π, the exact discounted value of every state."""
    n = P.shape[0]
    a = np.eye(n) - gamma * policy_kernel(P, pi)
    return np.asarray(np.linalg.solve(a, policy_reward(r, pi)), dtype=np.float64)


def discounted_return(mu0: Array, P: Array, pi: Array, r: Array, gamma: float) -> float:
    """η = μ0ᵀ V_π."""
    return float(mu0 @ values(P, pi, r, gamma))


def tv_transitions(P: Array, P_model: Array) -> Array:
    """D_TV(P(·|s, a) ‖ P_model(·|s, a)) for every (s, a): ½ Σ_s′ |P − P_model|.

    Clipped at 1: rows that sum to 1 only up to round-off can give 1 + ulp.
    """
    return np.minimum(0.5 * np.abs(P - P_model).sum(axis=-1), 1.0).astype(np.float64)


def tv_policies(pi: Array, pi_data: Array) -> Array:
    """D_TV(π(·|s) ‖ π_D(·|s)) for every s (clipped at 1 against round-off)."""
    return np.minimum(0.5 * np.abs(pi - pi_data).sum(axis=-1), 1.0)


def marginals(mu0: Array, kernel: Array, t_max: int = SUP_T_MAX, tol: float = SUP_TOL,
              min_steps: int = 0) -> Array:
    """Rows d_0 = μ0, d_{t+1} = d_t P_π, ... up to convergence (inclusive) or t_max.

    Convergence: the max-norm change of one step falls below ``tol``. At least ``min_steps``
    + 1 rows are returned. Steps are taken in blocks so that the convergence test runs on
    arrays, not once per step.
    """
    out = np.empty((t_max + 1, mu0.shape[0]))
    out[0] = mu0
    filled, block = 1, 64
    while filled <= t_max:
        end = min(filled + block, t_max + 1)
        d = out[filled - 1]
        for t in range(filled, end):
            d = d @ kernel
            out[t] = d
        change = np.abs(out[filled:end] - out[filled - 1:end - 1]).max(axis=1)
        done = np.flatnonzero(change < tol)
        if done.size:
            stop = max(filled + int(done[0]) + 1, min_steps + 1)
            if stop <= end:
                return out[:stop]
        filled = end
        block *= 2
    return out


def sup_expected(mu0: Array, kernel: Array, per_state: Array) -> float:
    """sup_t E_{s~d_t}[per_state(s)] along the chain with the given state kernel."""
    return float(np.max(marginals(mu0, kernel) @ per_state))


def eps_policy(mdp: FiniteMDP) -> float:
    """ε_π = max_s D_TV(π(·|s) ‖ π_D(·|s))."""
    return float(np.max(tv_policies(mdp.pi, mdp.pi_data)))


def expected_tv_per_state(mdp: FiniteMDP, policy: Array) -> Array:
    """E_{a~policy(·|s)} D_TV(P(·|s, a) ‖ P_model(·|s, a)) per state s."""
    return np.einsum("sa,sa->s", policy, tv_transitions(mdp.P, mdp.P_model))


def eps_model_under(mdp: FiniteMDP, policy: Array) -> float:
    """sup_t E_{s~d_t(policy, P), a~policy} D_TV(P ‖ P_model): ε_m (π_D) or ε_m′ (π)."""
    per_state = expected_tv_per_state(mdp, policy)
    value = sup_expected(mdp.mu0, policy_kernel(mdp.P, policy), per_state)
    return min(value, 1.0)  # marginals sum to 1 only up to round-off


def eps_model_worst(mdp: FiniteMDP) -> float:
    """max_{s, a} D_TV(P(·|s, a) ‖ P_model(·|s, a)), the worst-case model error."""
    return float(np.max(tv_transitions(mdp.P, mdp.P_model)))


def branched_returns(mdp: FiniteMDP, ks: list[int]) -> dict[int, float]:
    """η^branch for every k in ``ks`` (as the proof of Theorems 4.2/4.3 treats it).

    η^branch(k) = Σ_{t<k} γ^t d_tᵀ r_π + γ^k d_kᵀ V_{π_D}, with d_t the marginals of π under
    P_model from μ0 and V_{π_D} the exact values of π_D under P.
    """
    g = mdp.gamma
    v_data = values(mdp.P, mdp.pi_data, mdp.r, g)
    kernel = policy_kernel(mdp.P_model, mdp.pi)
    r_pi = policy_reward(mdp.r, mdp.pi)
    wanted = set(ks)
    out: dict[int, float] = {}
    d, acc = mdp.mu0, 0.0
    for t in range(max(ks) + 1):
        if t in wanted:
            out[t] = acc + g**t * float(d @ v_data)
        acc += g**t * float(d @ r_pi)
        d = d @ kernel
    return out


def simulate_return(mdp: FiniteMDP, *, mode: str, n_episodes: int, horizon: int,
                    rng: np.random.Generator) -> tuple[float, float]:
    """Monte Carlo estimate (mean, standard error) of a discounted return, for cross-checks.

    ``mode``: ``"true"`` (π under P), ``"model"`` (π under P_model) or ``"branch"`` (k steps of
    π under P_model, then π_D under P). Episodes are cut at ``horizon`` steps.
    """
    s_count = mdp.num_states
    states = rng.choice(s_count, size=n_episodes, p=mdp.mu0)
    total = np.zeros(n_episodes)
    for t in range(horizon):
        in_model = mode == "model" or (mode == "branch" and t < mdp.k)
        policy = mdp.pi if (mode != "branch" or t < mdp.k) else mdp.pi_data
        kernel = mdp.P_model if in_model else mdp.P
        actions = _sample_rows(policy[states], rng)
        total += mdp.gamma**t * mdp.r[states, actions]
        states = _sample_rows(kernel[states, actions], rng)
    return float(total.mean()), float(total.std(ddof=1) / np.sqrt(n_episodes))


def _sample_rows(probs: Array, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """One categorical draw per row of ``probs`` (inverse-CDF, vectorised)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(size=(probs.shape[0], 1)) * cdf[:, -1:]
    return np.minimum((cdf < u).sum(axis=1), probs.shape[1] - 1).astype(np.int64)
