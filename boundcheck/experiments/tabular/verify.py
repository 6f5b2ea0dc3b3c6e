"""What ``boundcheck verify-tabular`` does, with its files: one of three typed reports.

- :func:`check_instance_file`: one instance file, evaluated exactly;
- :func:`check_random_instances`: random instances
  (:func:`~boundcheck.experiments.tabular.random_check.check_random`),
  with the tightest instance per theorem and every kept counterexample saved as instance files;
- :func:`run_search`: the search for the tightest instance per theorem
  (:func:`~boundcheck.experiments.tabular.search.search_tight`), each saved with its check;
- :func:`run_improvement`: the improvement question (random instances and a search per rule,
  :mod:`boundcheck.experiments.tabular.improvement`).

Every report's JSON (:func:`boundcheck.codec.encode`) is the command's ``--json`` document; its
verdict gives the exit code. docs/verify-tabular.md describes the checks, the files and the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from boundcheck.codec import encode, json_meta
from boundcheck.experiments.tabular.improvement import (
    MODEL_GAIN_REACH,
    ImprovementRandomResult,
    RuleSearch,
    check_improvement_random,
    search_improvement,
)
from boundcheck.experiments.tabular.random_check import (
    TARGETS,
    InstanceChecks,
    RandomCheckResult,
    Target,
    check_instance,
    check_random,
)
from boundcheck.experiments.tabular.search import SearchResult, search_tight
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.runs.progress import ProgressFn
from boundcheck.theory.checks import BoundCheck, Theorem
from boundcheck.theory.improvement import Rule
from boundcheck.theory.instances import InstanceError, instance_to_dict, load_instance
from boundcheck.theory.ladder import RungCheck

#: Largest rollout length k (an instance's or the search's): the exact returns step k times.
MAX_K = 10_000
#: Size of the searched instances.
SEARCH_STATES, SEARCH_ACTIONS = 3, 2
#: Where the random instances come from (the ``generator`` of its JSON).
GENERATOR = "boundcheck.theory.instances.random_instance (see docs/verify-tabular.md)"


class SearchKind(StrEnum):
    """The searches ``--search`` knows; the value is the word the option and the JSON use."""

    TIGHT = "tight"
    IMPROVEMENT = "improvement"


@dataclass(frozen=True)
class InstanceReport:
    """The exact evaluation of the instance read from ``source``."""

    source: Path
    checks: InstanceChecks

    @property
    def holds(self) -> bool:
        """Whether every check (theorems, lemmas, rungs) holds."""
        return self.checks.holds

    def __json_encode__(self) -> dict[str, Any]:
        """The evaluation's document plus ``instance`` (the file)."""
        return {**encode(self.checks), "instance": self.source}


def check_instance_file(path: Path) -> InstanceReport:
    """Read, validate and evaluate one instance file.

    Raises :class:`InputError` (field ``instance``) naming the file and the bad field, also for
    a k above :data:`MAX_K`.
    """
    try:
        mdp = load_instance(path)
    except InstanceError as exc:
        raise InputError("instance", f"{path}: {exc}") from None
    if mdp.k > MAX_K:
        raise InputError("instance", f"{path}: k: must be at most {MAX_K}, got {mdp.k}")
    return InstanceReport(path, check_instance(mdp))


@dataclass(frozen=True)
class RandomCheckReport:
    """A random check with the files it wrote: the tightest instance per theorem and the kept
    counterexamples (docs/verify-tabular.md, "Files")."""

    seed: int
    result: RandomCheckResult
    tightest_files: dict[Target, Path]
    counterexample_files: tuple[Path, ...]

    @property
    def violated(self) -> bool:
        """Whether any check failed on any instance."""
        return self.result.total_violations > 0

    def __json_encode__(self) -> dict[str, Any]:
        """The random check's summary plus ``seed``, ``generator`` and the files (each
        tightest instance's under its theorem)."""
        doc: dict[str, Any] = {**encode(self.result), "seed": self.seed, "generator": GENERATOR,
                               "counterexample_files": self.counterexample_files}
        for name, path in self.tightest_files.items():
            doc["tightest"][str(name)]["file"] = path
        return doc


def check_random_instances(n: int, seed: int, out: Path,
                           progress: ProgressFn | None = None) -> RandomCheckReport:
    """Check ``n`` random instances of ``seed``; save the instance files under ``out``."""
    result = check_random(n, seed, progress=progress)
    files: dict[Target, Path] = {}
    for name, tight in result.tightest.items():
        if tight is not None:
            files[name] = out / f"tightest_{name}_seed{seed}.json"
            atomic_write_json(files[name], tight)
    saved = []
    for i, cex in enumerate(result.counterexamples):
        saved.append(out / f"counterexample_{i:03d}_{cex.check}.json")
        atomic_write_json(saved[-1], cex)
    return RandomCheckReport(seed, result, files, tuple(saved))


@dataclass(frozen=True)
class SearchedTheorem:
    """The search's best instance for one theorem or rung, its file, and its full exact check."""

    found: SearchResult
    file: Path
    check: BoundCheck | RungCheck

    def __json_encode__(self) -> dict[str, Any]:
        """tightness, start_tightness, evaluations, file and the check's document."""
        return {"tightness": self.found.tightness, "start_tightness": self.found.start_tightness,
                "evaluations": self.found.evaluations, "file": self.file, "check": self.check}


@dataclass(frozen=True, kw_only=True)
class SearchReport:
    """``--search tight``: the tightest instance found per theorem at fixed γ and k. Its JSON
    is its fields in order (``kind`` as ``search``): the search settings, then per theorem
    what :meth:`SearchedTheorem.__json_encode__` gives."""

    kind: SearchKind = field(default=SearchKind.TIGHT, metadata=json_meta(key="search"))
    seed: int
    states: int = SEARCH_STATES
    actions: int = SEARCH_ACTIONS
    gamma: float
    k: int
    theorems: dict[Target, SearchedTheorem]

    @property
    def violated(self) -> bool:
        """Whether a found instance violates its theorem."""
        return any(not t.check.holds for t in self.theorems.values())


def run_search(*, seed: int, gamma: float, k: int, max_evals: int, out: Path,
               targets: tuple[Target, ...] = TARGETS,
               progress: ProgressFn | None = None) -> SearchReport:
    """Search the tightest instance per theorem or rung of ``targets``; save each under
    ``out`` with its tightness."""
    found = search_tight(seed=seed, states=SEARCH_STATES, actions=SEARCH_ACTIONS, gamma=gamma,
                         k=k, max_evals=max_evals, theorems=targets, progress=progress)
    theorems: dict[Target, SearchedTheorem] = {}
    for name, res in found.items():
        path = out / f"search_tight_{name}_seed{seed}.json"
        atomic_write_json(path, {"theorem": str(name), "tightness": res.tightness,
                                 **instance_to_dict(res.instance)})
        checked = check_instance(res.instance)
        check = (checked.evaluation.theorems[name] if isinstance(name, Theorem)
                 else checked.ladder[name])
        theorems[name] = SearchedTheorem(res, path, check)
    return SearchReport(seed=seed, gamma=gamma, k=k, theorems=theorems)


def reach_limit(rule: Rule) -> float:
    """The proposition's bound on a rule's reach (docs/theory.md, "Monotonic improvement"):
    1/2 for the rules on model gains, 1 (not attained) for ``measured``."""
    return 1.0 if rule is Rule.MEASURED else MODEL_GAIN_REACH


@dataclass(frozen=True, kw_only=True)
class ImprovementReport:
    """``--search improvement``: the random instances' tallies and the search's instance of
    largest reach per rule (saved to ``files``). Its JSON is its fields in order."""

    kind: SearchKind = field(default=SearchKind.IMPROVEMENT, metadata=json_meta(key="search"))
    seed: int
    gamma: float
    random: ImprovementRandomResult
    searched: dict[Rule, RuleSearch]
    files: dict[Rule, Path]

    @property
    def violated(self) -> bool:
        """A rule certified an improvement that did not happen, or a reach passed the
        proposition's bound (up to 1e-9): either would contradict docs/theory.md."""
        tallies = self.random.tallies.values()
        over = any(t.largest_reach > reach_limit(r) + 1e-9
                   for r, t in self.random.tallies.items())
        over |= any(s.reach > reach_limit(r) + 1e-9 for r, s in self.searched.items())
        return over or any(t.violated for t in tallies) or any(
            s.check.violated(r) for r, s in self.searched.items())


def run_improvement(*, seed: int, gamma: float, mdps: int, max_evals: int, out: Path,
                    progress: ProgressFn | None = None) -> ImprovementReport:
    """Check the three improvement rules on ``mdps`` random instances and search each rule's
    largest reach at ``gamma``; save each searched instance under ``out``."""
    random = check_improvement_random(mdps, seed, progress=progress)
    searched = search_improvement(seed=seed, states=SEARCH_STATES, actions=SEARCH_ACTIONS,
                                  gamma=gamma, max_evals=max_evals, progress=progress)
    files: dict[Rule, Path] = {}
    for rule, found in searched.items():
        files[rule] = out / f"search_improvement_{rule}_gamma{gamma:g}_seed{seed}.json"
        atomic_write_json(files[rule], {"rule": str(rule), "reach": found.reach,
                                        **instance_to_dict(found.instance)})
    return ImprovementReport(seed=seed, gamma=gamma, random=random, searched=searched,
                             files=files)
