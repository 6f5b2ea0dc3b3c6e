"""What ``boundcheck validate`` finds, as typed values (their JSON: docs/validate.md).

A :class:`ValidationResult` holds one :class:`PairResult` per epoch pair (E_D, E); each pair
holds the theory's inputs (:class:`BoundValues`) and, per discount factor, a
:class:`GammaBlock` with the estimated returns, one :class:`TheoremCheck` per theorem
(Theorems 4.1–4.3, paper Section 4; docs/paper.md) and the bound ladder's rung 2a
(:class:`SupModelRung`, docs/ladder.md). The words the JSON carries (verdicts, where
an ε came from) are str-valued enums; :mod:`boundcheck.experiments.validate.document` turns
these values into the JSON document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boundcheck.codec import json_meta
from boundcheck.experiments.common.measure import ModelErrorEstimate
from boundcheck.experiments.validate.settings import BoundInputs, EpsPiStat, ValidateConfig
from boundcheck.theory.verdict import BoundResult, Estimate, Verdict

if TYPE_CHECKING:
    from boundcheck.experiments.validate.ladder_measured import LadderMeasured


class EpsSource(str, Enum):
    """Where ε_m or ε_m′ came from (docs/validate.md, "The theory's inputs")."""

    GIVEN = "given"
    #: ε_m′ taken from the ε_m the user gave (no ε_m′ of its own).
    GIVEN_AS_EPS_M = "given (--eps-m)"
    #: The upper confidence bound on sup_t E_{d_t}[TV] (selection-aware, over episodes): what
    #: a lower bound on the return needs.
    TV_SUP_OVER_TIME_UPPER = "tv_sup_over_time_upper"
    #: The point value of the sup (files written before the upper bound existed).
    TV_SUP_OVER_TIME = "tv_sup_over_time"
    TV_MEAN = "tv_mean"
    #: No known noise: the TV of any continuous model to a deterministic simulator is 1.
    DETERMINISTIC_SIMULATOR = "deterministic_simulator"


class RMaxSource(str, Enum):
    """Where r_max came from: the user; the task's known bound on |r(s, a)| (a run without
    reward noise); or the largest |r| the run has seen (π_D's real buffer and every real
    episode measured), so that no verdict uses an r_max below a reward that was seen."""

    GIVEN = "given"
    TASK = "task"
    OBSERVED = "observed"
    #: max |r| over the buffer alone (files written before the observed rule).
    BUFFER = "buffer"


class ModelErrorInput(str, Enum):
    """Which model error a theorem takes: ε_m (4.1, 4.2) or ε_m′ (4.3)."""

    EPS_M = "eps_m"
    EPS_MODEL_SHIFTED = "eps_model_shifted"


@dataclass(frozen=True)
class BoundValues:
    """The ε's and r_max fed to the theorems for one pair, with their sources."""

    eps_policy: float = field(metadata=json_meta(key="eps_pi"))
    eps_pi_stat: EpsPiStat
    eps_policy_mc: float = field(metadata=json_meta(key="eps_pi_mc"))
    eps_model: float = field(metadata=json_meta(key="eps_m"))
    eps_model_source: EpsSource = field(metadata=json_meta(key="eps_m_source"))
    eps_model_shifted: float
    eps_model_shifted_source: EpsSource
    r_max: float
    r_max_source: RMaxSource

    def model_error(self, which: ModelErrorInput) -> float:
        """ε_m or ε_m′."""
        return self.eps_model if which is ModelErrorInput.EPS_M else self.eps_model_shifted


@dataclass(frozen=True)
class TheoremCheck:
    """One theorem checked at one γ (``result``), with where it would become informative:
    ``eps_pi_below`` and ``eps_model_below`` (of ``model_input``) are the measured ε's times
    ``result.scale_to_informative``, each capped at 1 (None where no ε in [0, 1] is too large).
    """

    result: BoundResult
    model_input: ModelErrorInput
    eps_policy_below: float | None
    eps_model_below: float | None

    @property
    def theorem(self) -> str:
        """The theorem's number, ``"4.1"``, ``"4.2"`` or ``"4.3"``."""
        return self.result.penalty.theorem

    @property
    def verdict(self) -> Verdict:
        """The verdict of the check (:func:`boundcheck.theory.verdict.check_bound`)."""
        return self.result.verdict

    @property
    def slack_over_range(self) -> float | None:
        """Mean slack over the trivial range 2·r_max/(1−γ) (None when the range is 0)."""
        width = self.result.penalty.trivial_range
        return self.result.slack.mean / width if width > 0 else None


@dataclass(frozen=True)
class Returns:
    """The discounted returns at one γ: η[π], η̂[π], η^branch[π], η[π_D] and the k-step model
    return (no theorem covers the last two)."""

    eta: Estimate
    eta_model: Estimate
    eta_branch: Estimate
    eta_pi_d: Estimate
    model_k_step: Estimate


@dataclass(frozen=True)
class SupModelRung:
    """Rung 2a of the bound ladder at one γ (docs/ladder.md): the expected-TV model bound with
    its per-step charges relaxed to t·ε_m′ and span(r_π) ≤ 2 r_max, so |η − η̂| ≤ ``bound``
    (:func:`boundcheck.theory.ladder.sup_model_fraction`). ``fraction`` is ``bound`` over the
    range 2 r_max/(1 − γ); ``inside`` whether the mean of η lies in [η̂ − bound, η̂ + bound];
    ``certifies`` whether η̂'s low end minus ``bound`` lies above η[π_D]'s high end (the
    Section 4.1 argument; each end at the validation's confidence)."""

    bound: float
    fraction: float
    inside: bool
    certifies: bool


@dataclass(frozen=True)
class GammaBlock:
    """The returns and the three theorems at discount ``gamma``, and the ladder's rung 2a."""

    gamma: float
    returns: Returns
    theorems: tuple[TheoremCheck, ...]
    rung_2a: SupModelRung


@dataclass(frozen=True)
class EpisodeLengths:
    """Mean episode lengths of each kind of episode measured."""

    pi: float
    pi_d: float
    model: float
    branch: float
    model_k_step: float


@dataclass(frozen=True)
class Divergences:
    """Model episodes stopped by a non-finite prediction: full, branched and k-step ones."""

    full: int
    branch: int
    k_step: int


@dataclass(frozen=True)
class EnvSteps:
    """Real environment steps at the two epochs, as the run's metrics record them."""

    data_epoch: int | None
    epoch: int | None


@dataclass(frozen=True)
class PolicyShiftSummary:
    """The policy shift over the visited states: ``stats[q][s]`` as
    :func:`boundcheck.estimators.policy_shift_report` gives them (value and bootstrap CI)."""

    n_states: int
    n_mc: int
    stats: Mapping[str, Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class PairResult:
    """Everything measured and checked for one epoch pair (E_D = ``data_epoch``, E = ``epoch``).
    ``informative_gamma``: per theorem (``"4.1"``...), the largest γ at which its bound would be
    informative with this pair's ε's and k (None: at no γ > 0;
    :func:`boundcheck.theory.bounds.largest_informative_gamma`). ``warnings``: rewards met
    that exceed the r_max the bounds assume."""

    data_epoch: int
    epoch: int
    k: int
    horizon: int
    env_steps: EnvSteps
    inputs: BoundValues
    episode_length_mean: EpisodeLengths
    model_diverged: Divergences
    policy_shift: PolicyShiftSummary
    model_error_pi_d: ModelErrorEstimate
    model_error_pi: ModelErrorEstimate
    by_gamma: tuple[GammaBlock, ...]
    informative_gamma: Mapping[str, float | None]
    warnings: tuple[str, ...]
    #: The largest γ at which rung 2a takes at most half the range (None: at no γ > 0).
    rung_2a_gamma_at_half: float | None = None


@dataclass(frozen=True)
class SourceInfo:
    """The run the pairs come from."""

    run: Path
    env: str
    algo: str
    run_seed: int
    run_provenance: Mapping[str, Any]
    buffer_epoch: int


@dataclass(frozen=True)
class ValidationResult:
    """The whole validation: the run, the settings, every pair, the warnings.

    ``settings`` and ``bounds`` are the user's choices (:mod:`.settings`); ``gammas`` the
    discount factors checked, the first being ``gamma``; ``device`` where it was measured;
    ``versions`` the software that measured it (:func:`boundcheck.runs.provenance.provenance`);
    ``ladder`` the measured rungs of ``--ladder``, if asked for.
    """

    source: SourceInfo
    gamma: float
    gammas: tuple[float, ...]
    settings: ValidateConfig
    bounds: BoundInputs
    device: str
    tv_unavailable_reason: str | None
    pairs: tuple[PairResult, ...]
    warnings: tuple[str, ...]
    versions: Mapping[str, Any]
    ladder: LadderMeasured | None = None

    @property
    def tv_available(self) -> bool:
        """Whether the run's true law is known, so that ε_m is a measured TV."""
        return self.tv_unavailable_reason is None

    @property
    def checks(self) -> int:
        """How many theorem checks the result holds (all pairs, all γ's)."""
        return sum(len(b.theorems) for p in self.pairs for b in p.by_gamma)


def theorem_checks(result: ValidationResult) -> list[TheoremCheck]:
    """Every theorem check of ``result`` (pairs, then γ's, then theorems)."""
    return [t for p in result.pairs for b in p.by_gamma for t in b.theorems]


def any_violated(result: ValidationResult) -> bool:
    """Whether a theorem, at some γ, is violated with confidence while ε_π is the theorems'
    max over states (each check at its own confidence level; no correction for the number of
    checks, which the document reports). With another ε_π statistic a violation is no test
    of a theorem, so this is False."""
    return result.bounds.eps_pi_stat is EpsPiStat.MAX and any(
        t.verdict is Verdict.VIOLATED for t in theorem_checks(result))
