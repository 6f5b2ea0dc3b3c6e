"""The rollout-length study as a markdown table (docs/results/rollout_length.md): one row per
fixed k, every number from :class:`~boundcheck.experiments.questions.rollout_length.
RolloutLengthStudy` (a test recomputes the page's rows from the committed runs)."""

from __future__ import annotations

from boundcheck.estimators.learning import SeedSummary
from boundcheck.experiments.questions.rollout_length import KGroup, KStarOfRun, RolloutLengthStudy

HEADER = ("| k | seeds | final return | η̂ − η | η^branch − η | ε_π (max) | ε_m′ (upper) | "
          "k* per run (range) | k* if ε_π were its mean | best k − this k (wins) |")


def _interval(s: SeedSummary | None, fmt: str, *, tv: bool = False) -> str:
    """``mean [low, high]`` (a t interval over the runs; a TV's cut to [0, 1], its range)."""
    if s is None:
        return "–"
    if s.n < 2:
        return f"{s.mean:{fmt}} (1 run)"
    low, high = (max(0.0, s.ci_low), min(1.0, s.ci_high)) if tv else (s.ci_low, s.ci_high)
    return f"{s.mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def _end(value: int | None, unbounded: str) -> str:
    return unbounded if value is None else str(value)


def _k_star(star: KStarOfRun) -> str:
    return f"{_end(star.point, '∞')} ({_end(star.low, '0')}–{_end(star.high, '∞')})"


def _row(study: RolloutLengthStudy, g: KGroup) -> str:
    stars = [g.k_star[s] for s in sorted(g.k_star)]
    paired = study.against_best.get(g.k)
    if g.k == study.best_k:
        versus = "best"
    elif paired is None:
        versus = "–"
    else:
        versus = f"{_interval(paired.diff, '.0f')} ({paired.wins}/{paired.n})"
    return (f"| {g.k} | {len(g.seeds)} | {_interval(g.final_return, '.0f')} | "
            f"{_interval(g.model_gap, '.1f')} | {_interval(g.branch_gap, '.1f')} | "
            f"{_interval(g.eps_policy, '.2f', tv=True)} | "
            f"{_interval(g.eps_model_shifted, '.2f', tv=True)} | "
            f"{', '.join(_k_star(s) for s in stars) or '–'} | "
            f"{', '.join(_end(s.if_eps_pi_mean, '∞') for s in stars) or '–'} | {versus} |")


def table_markdown(study: RolloutLengthStudy) -> list[str]:
    """The header, its rule and one row per k."""
    rule = "|" + " --- |" * HEADER.count(" | ") + " --- |"
    return [HEADER, rule, *(_row(study, g) for g in study.groups)]
