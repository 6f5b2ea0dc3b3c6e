"""Exact checks of the MBPO bounds and the bound ladder on one finite MDP or on many random ones.

:func:`check_instance` evaluates one instance; :func:`check_random` checks every theorem and
k-dependent rung (at every k of a grid), lemma and rung (:mod:`boundcheck.theory.ladder`) on
random instances, keeping the tightest instance per theorem or rung and the
first counterexamples. All numbers are exact up to floating point (:mod:`boundcheck.theory.checks`;
docs/verify-tabular.md). The search for tight instances is in
:mod:`boundcheck.experiments.tabular.search`; the command's files in
:mod:`boundcheck.experiments.tabular.verify`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from boundcheck.codec import encode
from boundcheck.runs.progress import ProgressFn
from boundcheck.theory import checks as ch
from boundcheck.theory.checks import Theorem
from boundcheck.theory.instances import K_GRID, instance_to_dict, random_instance
from boundcheck.theory.ladder import Rung, RungCheck, ladder_checks
from boundcheck.theory.tabular import FiniteMDP

THEOREMS: tuple[Theorem, ...] = tuple(Theorem)
#: A bound the check and the search know: one of MBPO's theorems or a rung of the ladder.
Target = Theorem | Rung
TARGETS: tuple[Target, ...] = (*THEOREMS, *Rung)


@dataclass(frozen=True)
class InstanceChecks:
    """One instance evaluated exactly at its own k: MBPO's theorems and lemmas, and the ladder."""

    evaluation: ch.TabularEvaluation
    ladder: dict[Rung, RungCheck]

    @property
    def holds(self) -> bool:
        """Whether every check holds."""
        return self.evaluation.holds and all(c.holds for c in self.ladder.values())

    def __json_encode__(self) -> dict[str, Any]:
        """The evaluation's document (its ``holds`` now over the ladder too) plus ``ladder``."""
        return {**encode(self.evaluation), "ladder": self.ladder, "holds": self.holds}


def check_instance(mdp: FiniteMDP) -> InstanceChecks:
    """Evaluate one instance exactly at its own k (its ``holds`` is False if any check fails)."""
    evaluation, _ = ch.evaluate(mdp)
    ladder = {rung: next(iter(c.values())) for rung, c in ladder_checks(mdp).items()}
    return InstanceChecks(evaluation, ladder)


@dataclass(frozen=True)
class TightestInstance:
    """The instance (at one k) with the largest tightness seen for one bound, and its index
    in the random check (regenerate it with ``random_instance(default_rng([seed, index]))``).
    Its JSON is its instance file."""

    theorem: Target
    tightness: float
    index: int
    instance: FiniteMDP

    def __json_encode__(self) -> dict[str, Any]:
        """The instance file: ``theorem``, ``tightness`` and the instance format."""
        return {"theorem": str(self.theorem), "tightness": self.tightness,
                **instance_to_dict(self.instance)}


@dataclass(frozen=True)
class Counterexample:
    """An instance (at one k) on which the check named ``check`` failed; its JSON is its
    instance file."""

    check: str
    instance: FiniteMDP

    def __json_encode__(self) -> dict[str, Any]:
        """The instance file: ``failed_check`` and the instance format."""
        return {"failed_check": self.check, **instance_to_dict(self.instance)}


@dataclass(frozen=True)
class RandomCheckResult:
    """Counts and violations per check, the first counterexamples and the tightest instance
    per theorem (None only after zero instances) of a random check."""

    instances: int
    checks: dict[str, int]
    violations: dict[str, int]
    counterexamples: tuple[Counterexample, ...]
    tightest: dict[Target, TightestInstance | None]

    @property
    def total_violations(self) -> int:
        """Violations over all checks."""
        return sum(self.violations.values())

    def __json_encode__(self) -> dict[str, Any]:
        """The summary (the instances themselves are saved to files by the caller): the counts,
        ``total_violations`` and per theorem the tightest instance's tightness, index (-1:
        none), k and γ."""
        return {"instances": self.instances, "checks": self.checks,
                "violations": self.violations, "total_violations": self.total_violations,
                "tightest": {name: _tightest_summary(t) for name, t in self.tightest.items()}}


def _tightest_summary(t: TightestInstance | None) -> dict[str, Any]:
    if t is None:
        return {"tightness": None, "index": -1, "k": None, "gamma": None}
    return {"tightness": t.tightness, "index": t.index, "k": t.instance.k,
            "gamma": t.instance.gamma}


def check_random(n: int, seed: int, *, ks: tuple[int, ...] = K_GRID,
                 progress: ProgressFn | None = None,
                 max_counterexamples: int = 20) -> RandomCheckResult:
    """Check every theorem (at every k in ``ks``) and lemma on ``n`` random instances.

    Instance i is drawn from ``np.random.default_rng([seed, i])``, so any instance can be
    regenerated alone from (seed, index). The first ``max_counterexamples`` failures are kept.
    """
    checks: dict[str, int] = {}
    violations: dict[str, int] = {}
    failures: list[Counterexample] = []
    tightest: dict[Target, TightestInstance | None] = {t: None for t in TARGETS}

    def count(name: str, holds: bool, mdp: FiniteMDP) -> None:
        checks[name] = checks.get(name, 0) + 1
        violations.setdefault(name, 0)
        if not holds:
            violations[name] += 1
            failures.append(Counterexample(name, mdp))

    def keep(name: Target, tightness: float, mdp_k: FiniteMDP, i: int) -> None:
        best = tightest[name]
        if tightness > (-math.inf if best is None else best.tightness):
            tightest[name] = TightestInstance(name, tightness, i, mdp_k)

    for i in range(n):
        base = random_instance(np.random.default_rng([seed, i]))
        ev, per_k = ch.evaluate(base, list(ks))
        for k, theorem_checks in per_k.items():
            mdp_k = replace(base, k=k)
            for name, check in theorem_checks.items():
                count(str(name), check.holds, mdp_k)
                keep(name, check.tightness, mdp_k, i)
        for rung, by_k in ladder_checks(base, list(ks)).items():
            for k, rung_check in by_k.items():
                mdp_k = base if k is None else replace(base, k=k)
                count(str(rung), rung_check.holds, mdp_k)
                keep(rung, rung_check.tightness, mdp_k, i)
        for name, check in ev.theorems_worst.items():
            count(f"{name}_worst", check.holds, base)
        for lemma, lemma_check in ev.lemmas.items():
            count(str(lemma), lemma_check.holds, base)
        del failures[max_counterexamples:]
        if progress is not None:
            progress({"description": "checking instances", "completed": i + 1, "total": n})
    return RandomCheckResult(instances=n, checks=checks, violations=violations,
                       counterexamples=tuple(failures), tightest=tightest)
