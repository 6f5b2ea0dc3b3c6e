"""The user's choices for ``boundcheck validate``: how much to measure, and the bounds' inputs.

:class:`ValidateConfig` sets the sample sizes and the seed; :class:`BoundInputs` the values the
user gives for r_max, ε_m and ε_m′ instead of measuring them, and the statistic over states
taken as ε_π (docs/validate.md, "The theory's inputs"; the quantities: paper Section 4,
docs/paper.md). Each setting is documented, bounded and given its option once, in its field;
a value outside the theory's domain (an ε outside [0, 1], r_max < 0) is refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from boundcheck.config.fields import check_fields, setting
from boundcheck.inputs import COUNT, PROBABILITY_OPEN, SEED, NumberRule

#: Caps on the sizes that set how much is simulated and held in memory.
MAX_EPISODES = 1_000_000
MAX_MODEL_STARTS = 10_000_000
MAX_K = 10_000
MAX_TV_SAMPLES = 100_000

#: A total-variation distance.
TV = NumberRule(ge=0, le=1)


class EpsPiStat(str, Enum):
    """The statistic over visited states taken as ε_π (the theorems take the max)."""

    MAX = "max"
    P99 = "p99"
    P95 = "p95"
    MEAN = "mean"


class LadderChoice(str, Enum):
    """Which of the bound ladder's measured rungs ``--ladder`` adds on the newest pair
    (docs/validate.md, "The bound ladder"): none, rungs 2a–2c per step ("2"), rung 5, the
    value-aware model error ("5"), or both ("all")."""

    NONE = "none"
    EXPECTED_TV = "2"
    VALUE_AWARE = "5"
    ALL = "all"


@dataclass(frozen=True)
class ValidateConfig:
    """How much to measure (docs/validate.md); every default, bound and meaning lives here."""

    episodes: int = setting(100, "Episodes N per return estimate.",
                            NumberRule(integer=True, ge=2, le=MAX_EPISODES))
    k: int | None = setting(None, "Branched rollout length k (default: the run's k at epoch "
                            "E).", NumberRule(integer=True, ge=0, le=MAX_K))
    model_starts: int = setting(10_000, "Buffer states for the k-step model return.",
                                NumberRule(integer=True, ge=1, le=MAX_MODEL_STARTS))
    policy_mc: int = setting(256, "Monte Carlo action draws per state for the TV between pi "
                             "and pi_D.", COUNT)
    max_states: int = setting(20_000, "Visited states (at most) eps_pi is measured on.", COUNT)
    tv_samples: int = setting(256, "Monte Carlo draws per transition for the model's TV (runs "
                              "with known noise).", NumberRule(integer=True, ge=1,
                                                               le=MAX_TV_SAMPLES))
    bucket_width: int = setting(1, "Real steps per time bucket of the paper's eps_m, the "
                                "max over time of the mean model error (1: per step).", COUNT)
    seed: int = setting(0, "Base seed of every random stream.", SEED)
    confidence: float = setting(0.95, "Level of every interval (the returns', eps_pi's) and of "
                                "the verdicts.", PROBABILITY_OPEN)
    ladder: LadderChoice = setting(  # noqa: RUF009 - setting() is a dataclasses.field
        LadderChoice.NONE, "Bound-ladder rungs measured on the newest pair beside the theorems: "
        "none, 2 (expected TVs per step), 5 (value-aware) or all; needs known noise, minutes "
        "per pair.")
    ladder_episodes: int = setting(20, "Episodes of each policy for the --ladder rungs.",
                                   NumberRule(integer=True, ge=2, le=MAX_EPISODES))

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class BoundInputs:
    """User choices for the bounds' inputs (None: measured, see
    :mod:`boundcheck.experiments.validate.theorems`). ``eps_model`` also stands for ε_m′ unless
    ``eps_model_shifted`` is given."""

    r_max: float | None = setting(None, "r_max (default: max |r| in the real buffer).",
                                  NumberRule(ge=0))
    eps_model: float | None = setting(None, "Model error eps_m (TV) to use instead of the "
                                      "measured one.", TV, option="--eps-m")
    eps_model_shifted: float | None = setting(
        None, "eps_m' for Theorem 4.3 (default: --eps-m if given, else measured).", TV,
        option="--eps-m-shifted")
    eps_pi_stat: EpsPiStat = setting(  # noqa: RUF009 - setting() is a dataclasses.field
        EpsPiStat.MAX, "Statistic over states used as eps_pi: max (the theorem's), p99, p95 or "
        "mean.")

    def __post_init__(self) -> None:
        check_fields(self)
