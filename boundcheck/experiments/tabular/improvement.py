"""``verify-tabular --search improvement``: does improving under the model guarantee improving
on the true MDP? The three rules of :mod:`boundcheck.theory.improvement`, checked exactly on
random finite MDPs and by an adversarial search per rule (docs/verify-tabular.md, "The
improvement question").

Random instances come from :func:`improvement_instance`: the verify-tabular generator with the
model and π pulled towards P and π_D (so that the small ε's at which a rule can certify
anything are common) and γ drawn from :data:`IMPROVEMENT_GAMMAS` (at γ ≥ 0.9 the penalty C
exceeds every possible gain unless the ε's are tiny).

The search maximises each rule's reach (gain / threshold, :meth:`ImprovementCheck.reach`) over
the instance family of :mod:`boundcheck.experiments.tabular.search` at a fixed γ: docs/theory.md
proves it at most 1/2 for ``naive`` and ``two_sided`` and below 1 for ``measured``, so the search
is the adversarial check of that proposition, and a reach ≥ 1 would be a certification to test
against the true returns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from boundcheck.experiments.tabular.search import decode, dimension, maximise
from boundcheck.runs.progress import ProgressFn
from boundcheck.theory.improvement import ImprovementCheck, Rule, improvement_check
from boundcheck.theory.instances import random_instance
from boundcheck.theory.tabular import FiniteMDP

#: Discounts of the random improvement instances.
IMPROVEMENT_GAMMAS: tuple[float, ...] = (0.1, 0.3, 0.5, 0.9)
#: The proposition's bound on the reach of the rules comparing model returns (docs/theory.md).
MODEL_GAIN_REACH = 0.5


def improvement_instance(rng: np.random.Generator) -> FiniteMDP:
    """One random instance: :func:`random_instance`, then P_model and π moved towards P and π_D
    by independent factors 10^−U(0, 3), and γ uniform over :data:`IMPROVEMENT_GAMMAS`."""
    base = random_instance(rng)
    shrink_model, shrink_policy = 10.0 ** -rng.uniform(0.0, 3.0, size=2)
    return replace(base, gamma=float(rng.choice(IMPROVEMENT_GAMMAS)),
                   P_model=base.P + shrink_model * (base.P_model - base.P),
                   pi=base.pi_data + shrink_policy * (base.pi - base.pi_data))


@dataclass(frozen=True)
class RuleTally:
    """One rule over the random instances: its largest reach (and the instance index), how
    often it certified improvement and how often that was wrong (η[π] < η[π_D])."""

    largest_reach: float
    largest_at: int
    certified: int
    violated: int


@dataclass(frozen=True)
class ImprovementRandomResult:
    """The random part: instance i is ``improvement_instance(default_rng([seed, i]))``."""

    instances: int
    seed: int
    tallies: dict[Rule, RuleTally]


def check_improvement_random(n: int, seed: int,
                             progress: ProgressFn | None = None) -> ImprovementRandomResult:
    """Apply every rule to ``n`` random instances: reach, certifications, violations."""
    reach = {rule: (-float("inf"), -1) for rule in Rule}
    certified = dict.fromkeys(Rule, 0)
    violated = dict.fromkeys(Rule, 0)
    for i in range(n):
        check = improvement_check(improvement_instance(np.random.default_rng([seed, i])))
        for rule in Rule:
            value = check.reach(rule)
            if value > reach[rule][0]:
                reach[rule] = (value, i)
            certified[rule] += check.certifies(rule)
            violated[rule] += check.violated(rule)
        if progress is not None:
            progress({"description": "checking instances", "completed": i + 1, "total": n})
    return ImprovementRandomResult(instances=n, seed=seed, tallies={
        rule: RuleTally(largest_reach=reach[rule][0], largest_at=reach[rule][1],
                        certified=certified[rule], violated=violated[rule]) for rule in Rule})


@dataclass(frozen=True)
class RuleSearch:
    """The search's instance of largest reach for one rule, the reach of the best random start
    and the evaluations, with the instance's exact check."""

    rule: Rule
    reach: float
    start_reach: float
    evaluations: int
    instance: FiniteMDP
    check: ImprovementCheck

    def __json_encode__(self) -> dict[str, Any]:
        """reach, start_reach, evaluations and the instance's check."""
        return {"reach": self.reach, "start_reach": self.start_reach,
                "evaluations": self.evaluations, "check": self.check}


def search_improvement(*, seed: int, gamma: float, states: int = 3, actions: int = 2,
                       starts: int = 64, max_evals: int = 4000,
                       progress: ProgressFn | None = None) -> dict[Rule, RuleSearch]:
    """Maximise each rule's reach with Powell's method from the best of ``starts`` random θ
    (one generator seeded with ``seed``)."""
    rng = np.random.default_rng(seed)
    dim = dimension(states, actions)
    found: dict[Rule, RuleSearch] = {}
    for step, rule in enumerate(Rule):
        def objective(theta: np.ndarray, rule: Rule = rule) -> float:
            value = improvement_check(decode(theta, states, actions, gamma, 1)).reach(rule)
            return value if np.isfinite(value) else 0.0

        best = maximise(objective, rng, dim, starts=starts, max_evals=max_evals, xtol=1e-8,
                        ftol=1e-12)
        instance = decode(best.theta, states, actions, gamma, 1)
        check = improvement_check(instance)
        found[rule] = RuleSearch(rule=rule, reach=check.reach(rule),
                                 start_reach=best.start_value, evaluations=best.evaluations,
                                 instance=instance, check=check)
        if progress is not None:
            progress({"description": f"searching (rule {rule})", "completed": step + 1,
                      "total": len(Rule)})
    return found
