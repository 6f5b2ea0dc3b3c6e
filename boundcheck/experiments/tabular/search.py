"""``verify-tabular --search tight``: look for the instances on which each bound is tightest.

An instance with S states and A actions is parameterised by an unconstrained vector θ: softmax
logits for P, a second kernel Q, π_D, a second policy π′ and μ0; r = tanh(·) ∈ (−1, 1); and
α, β = sigmoid(·) mixing the model P_model = (1 − α) P + α Q and π = (1 − β) π_D + β π′ (the
random generator's family). γ and k are held fixed. For each theorem we maximise its tightness
(reference − η)/C, for each rung of the ladder |gap|/bound (:mod:`boundcheck.theory.ladder`),
over θ with scipy's Powell method, started from the best of ``starts`` random θ. A tightness
above 1 would be a violation; the search reports the largest value it reaches.
docs/verify-tabular.md, "The search", says what it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, softmax

from boundcheck.experiments.tabular.random_check import TARGETS, Target
from boundcheck.runs.progress import ProgressFn
from boundcheck.theory import checks as ch
from boundcheck.theory.checks import Theorem
from boundcheck.theory.ladder import ladder_checks
from boundcheck.theory.tabular import FiniteMDP


@dataclass(frozen=True)
class SearchResult:
    """The tightest instance found for one theorem or rung; ``start_tightness`` is that of the
    best random start, ``evaluations`` counts objective evaluations (starts included)."""

    theorem: Target
    tightness: float
    start_tightness: float
    evaluations: int
    instance: FiniteMDP


def _sizes(s: int, a: int) -> list[tuple[str, tuple[int, ...]]]:
    return [("P", (s, a, s)), ("Q", (s, a, s)), ("pi_data", (s, a)), ("pi_other", (s, a)),
            ("r", (s, a)), ("mu0", (s,)), ("mix", (2,))]


def decode(theta: np.ndarray, s: int, a: int, gamma: float, k: int) -> FiniteMDP:
    """Map the unconstrained vector θ to a valid instance (see the module docstring)."""
    parts: dict[str, np.ndarray] = {}
    i = 0
    for name, shape in _sizes(s, a):
        n = int(np.prod(shape))
        parts[name] = theta[i:i + n].reshape(shape)
        i += n
    P, Q = softmax(parts["P"], axis=-1), softmax(parts["Q"], axis=-1)
    pi_data, pi_other = softmax(parts["pi_data"], axis=-1), softmax(parts["pi_other"], axis=-1)
    alpha, beta = expit(parts["mix"])
    return FiniteMDP(gamma=gamma, mu0=softmax(parts["mu0"]), P=P,
                     P_model=(1 - alpha) * P + alpha * Q, r=np.tanh(parts["r"]),
                     pi_data=pi_data, pi=(1 - beta) * pi_data + beta * pi_other, k=k)


def dimension(s: int, a: int) -> int:
    """Length of θ."""
    return sum(int(np.prod(shape)) for _, shape in _sizes(s, a))


def tightness(mdp: FiniteMDP, target: Target) -> float:
    """(reference − η)/C of one theorem, or |gap|/bound of one rung, on one instance (lemmas
    skipped for speed); −1 where it is not finite."""
    if isinstance(target, Theorem):
        ev, _ = ch.evaluate(mdp, with_lemmas=False)
        value = ev.theorems[target].tightness
    else:
        value = next(iter(ladder_checks(mdp)[target].values())).tightness
    return value if np.isfinite(value) else -1.0


@dataclass(frozen=True)
class Maximum:
    """What :func:`maximise` found: the best θ, its objective value, the value of the best
    random start and the objective evaluations (starts included)."""

    theta: np.ndarray
    value: float
    start_value: float
    evaluations: int


def maximise(objective: Callable[[np.ndarray], float], rng: np.random.Generator, dim: int, *,
             starts: int, max_evals: int, xtol: float, ftol: float) -> Maximum:
    """Maximise ``objective`` over θ ∈ ℝ^dim: ``starts`` random θ ~ N(0, 2²) from ``rng``,
    then Powell's method from the best of them (at most ``max_evals`` evaluations); the
    better of the start and Powell's end point is returned."""
    candidates = rng.normal(0.0, 2.0, size=(starts, dim))
    scores = np.array([-objective(c) for c in candidates])
    x0 = candidates[int(np.argmin(scores))]
    opt = minimize(lambda theta: -objective(theta), x0, method="Powell",
                   options={"maxfev": max_evals, "xtol": xtol, "ftol": ftol})
    best = opt.x if opt.fun <= scores.min() else x0
    return Maximum(theta=best, value=-min(float(opt.fun), float(scores.min())),
                   start_value=-float(scores.min()), evaluations=int(opt.nfev) + starts)


def search_tight(*, seed: int, states: int = 3, actions: int = 2, gamma: float = 0.9,
                 k: int = 1, starts: int = 64, max_evals: int = 4000,
                 theorems: Sequence[Target] = TARGETS,
                 progress: ProgressFn | None = None) -> dict[Target, SearchResult]:
    """Maximise each theorem's or rung's tightness; returns the best instance per target.

    One generator seeded with ``seed`` draws the random starts of the theorems in turn.
    """
    rng = np.random.default_rng(seed)
    dim = dimension(states, actions)
    results: dict[Target, SearchResult] = {}
    for step, theorem in enumerate(theorems):
        def objective(theta: np.ndarray, theorem: Target = theorem) -> float:
            return tightness(decode(theta, states, actions, gamma, k), theorem)

        best = maximise(objective, rng, dim, starts=starts, max_evals=max_evals, xtol=1e-6,
                        ftol=1e-10)
        results[theorem] = SearchResult(
            theorem=theorem, tightness=best.value, start_tightness=best.start_value,
            evaluations=best.evaluations, instance=decode(best.theta, states, actions, gamma, k))
        if progress is not None:
            progress({"description": f"searching ({theorem})", "completed": step + 1,
                      "total": len(theorems)})
    return results
