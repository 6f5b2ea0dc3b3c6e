"""``boundcheck verify-tabular``: exact checks of the MBPO bounds on finite MDPs.

Three modes: one instance from a file (:func:`check_instance`), a sweep over random instances
(:func:`sweep`), and a search for the tightest instance per theorem (:func:`search_tight` in
:mod:`boundcheck.experiments.tabular.search`). All numbers are exact up to floating point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from boundcheck.theory import checks as ch
from boundcheck.theory.instances import K_GRID, instance_to_dict, random_instance
from boundcheck.theory.tabular import FiniteMDP

THEOREMS = ("theorem_4_1", "theorem_4_2", "theorem_4_3")
ProgressFn = Callable[[int, int], None]


def evaluation_to_dict(ev: ch.TabularEvaluation) -> dict[str, Any]:
    """The JSON document of one exact evaluation (see docs/verify-tabular.md)."""
    doc: dict[str, Any] = {
        "eta": ev.eta, "eta_model": ev.eta_model, "eta_branch": ev.eta_branch[ev.k],
        "eps_pi": ev.eps_pi, "eps_m": ev.eps_m, "eps_m_prime": ev.eps_m_prime,
        "eps_m_worst": ev.eps_m_worst, "r_max": ev.r_max, "k": ev.k,
    }
    for name, check in ev.theorems.items():
        doc[name] = check.as_dict()
    doc["worst_case"] = {
        "eps_m": ev.eps_m_worst, "eps_m_prime": ev.eps_m_worst,
        **{name: c.as_dict() for name, c in ev.theorems_worst.items()},
    }
    doc["lemmas"] = {name: c.as_dict() for name, c in ev.lemmas.items()}
    doc["holds"] = all(c.holds for c in ev.all_checks().values())
    return doc


def check_instance(mdp: FiniteMDP) -> dict[str, Any]:
    """Evaluate one instance; the document's ``holds`` is False if any check is violated."""
    ev, _ = ch.evaluate(mdp)
    return evaluation_to_dict(ev)


@dataclass
class Tightest:
    """The instance with the largest tightness ratio seen for one theorem."""

    tightness: float = -np.inf
    instance: FiniteMDP | None = None
    index: int = -1

    def offer(self, tightness: float, mdp: FiniteMDP, index: int) -> None:
        """Keep ``mdp`` if it is tighter than the current best."""
        if tightness > self.tightness:
            self.tightness, self.instance, self.index = tightness, mdp, index


@dataclass
class SweepResult:
    """Counts, violations and the tightest instance per theorem of a random sweep."""

    instances: int = 0
    checks: dict[str, int] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    counterexamples: list[tuple[str, FiniteMDP]] = field(default_factory=list)
    tightest: dict[str, Tightest] = field(default_factory=lambda: {t: Tightest() for t in THEOREMS})

    def _count(self, name: str, holds: bool, mdp: FiniteMDP) -> None:
        self.checks[name] = self.checks.get(name, 0) + 1
        self.violations.setdefault(name, 0)
        if not holds:
            self.violations[name] += 1
            self.counterexamples.append((name, mdp))

    @property
    def total_violations(self) -> int:
        """Violations over all checks."""
        return sum(self.violations.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (instances themselves are saved to files by the caller)."""
        tight = {}
        for name, t in self.tightest.items():
            tight[name] = {"tightness": t.tightness if t.instance is not None else None,
                           "index": t.index,
                           "k": t.instance.k if t.instance is not None else None,
                           "gamma": t.instance.gamma if t.instance is not None else None}
        return {"instances": self.instances, "checks": self.checks,
                "violations": self.violations, "total_violations": self.total_violations,
                "tightest": tight}


def sweep(n: int, seed: int, *, ks: tuple[int, ...] = K_GRID, progress: ProgressFn | None = None,
          max_counterexamples: int = 20) -> SweepResult:
    """Check every theorem (at every k in ``ks``) and lemma on ``n`` random instances.

    Instance i is drawn from ``np.random.default_rng([seed, i])``, so any instance can be
    regenerated alone from (seed, index).
    """
    result = SweepResult()
    for i in range(n):
        base = random_instance(np.random.default_rng([seed, i]))
        ev, per_k = ch.evaluate(base, list(ks))
        for k, checks in per_k.items():
            mdp_k = replace(base, k=k)
            for name, check in checks.items():
                result._count(name, check.holds, mdp_k)
                result.tightest[name].offer(check.tightness, mdp_k, i)
        for name, check in ev.theorems_worst.items():
            result._count(f"{name}_worst", check.holds, base)
        for name, lemma in ev.lemmas.items():
            result._count(name, lemma.holds, base)
        result.instances += 1
        del result.counterexamples[max_counterexamples:]
        if progress is not None:
            progress(i + 1, n)
    return result


def counterexample_docs(result: SweepResult) -> list[dict[str, Any]]:
    """Instance files (JSON-ready) for the saved counterexamples, tagged with the failed check."""
    return [{"failed_check": name, **instance_to_dict(mdp)} for name, mdp in
            result.counterexamples]
