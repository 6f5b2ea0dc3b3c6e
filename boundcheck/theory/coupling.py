"""A model-error bound from a coupling of the two chains: the first rung above MBPO's ladder
(docs/theory.md, "The coupling bound").

For one policy π run from the same μ0 in the true transitions P and in the model P̂, with rewards
r(s, a) known to both: couple the two trajectories so that they share the initial state, share
the action while they share the state, and take the same next state with the largest
probability the two next-state laws allow, 1 − D_TV(P(·|s, a) ‖ P̂(·|s, a)). While they agree the
rewards agree; once they part, a step's rewards differ by at most span(r) = max r − min r. With

    ε = max_s E_{a~π(·|s)} D_TV(P(·|s, a) ‖ P̂(·|s, a))

the chance of still agreeing after t steps is at least (1 − ε)^t, so

    |η_P[π] − η_P̂[π]| ≤ span(r) Σ_t γ^t (1 − (1 − ε)^t) = span(r) γ ε / ((1 − γ)(1 − γ + γ ε)).

It is never larger than MBPO's model term for the same ε (Lemma B.3 with ε_π = 0:
2 r_max γ ε/(1 − γ)², as span(r) ≤ 2 r_max and 1 − γ + γε ≥ 1 − γ), never larger than the
trivial span(r)/(1 − γ), and it is attained (:func:`tight_instance`). With ε the worst case
max_{s,a} D_TV it is the same form as Lobel & Parr's (2024) optimal bound for max-TV model
errors, which we have not been able to check against their paper: the proof above is ours.
"""

from __future__ import annotations

import numpy as np

from boundcheck.theory import tabular as tb
from boundcheck.theory.bounds import check_gamma, check_tv


def coupling_bound(gamma: float, eps: float, reward_span: float) -> float:
    """span(r) γ ε / ((1 − γ)(1 − γ + γ ε)): the bound on |η_P[π] − η_P̂[π]| (module doc)."""
    g, e = check_gamma(gamma), check_tv(eps, "eps")
    if not reward_span >= 0.0:
        raise ValueError(f"reward_span must be >= 0, got {reward_span!r}")
    return reward_span * g * e / ((1.0 - g) * (1.0 - g + g * e))


def eps_coupling(mdp: tb.FiniteMDP, policy: np.ndarray) -> float:
    """max_s E_{a~policy(·|s)} D_TV(P(·|s, a) ‖ P_model(·|s, a)) over every state."""
    return float(min(1.0, np.max(tb.expected_tv_per_state(mdp, policy))))


def reward_span(mdp: tb.FiniteMDP) -> float:
    """max r − min r over the state-action pairs."""
    return float(np.max(mdp.r) - np.min(mdp.r))


def tight_instance(gamma: float, eps: float) -> tb.FiniteMDP:
    """Two states where the bound is met with equality: state 0 pays 1 and, in the true
    chain, is never left; the model leaves it with probability ``eps`` for state 1, which pays
    0 and is absorbing. One action; π = π_D."""
    P = np.zeros((2, 1, 2))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    P_model = P.copy()
    P_model[0, 0] = (1.0 - eps, eps)
    one = np.ones((2, 1))
    return tb.FiniteMDP(gamma=gamma, mu0=np.array([1.0, 0.0]), P=P, P_model=P_model,
                        r=np.array([[1.0], [0.0]]), pi_data=one, pi=one, k=1)
