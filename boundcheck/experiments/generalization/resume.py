"""Continuing a model-generalization measurement (``measure-generalization --resume``).

The experiment writes its results after every finished repetition, so a measurement that is
killed keeps the repetitions it finished, and one that was asked for too few seeds can be
extended (docs/measure-generalization.md, "Resuming and adding seeds"). Repetition i draws every
random stream from ``SeedSequence([seed, i])`` and ``SeedSequence([seed, i, N])``, never from
the number of repetitions asked for, so repetitions 0..m−1 of a finished document are exactly
those a longer run would have made, and continuing at repetition m gives the numbers a single
longer run gives.

Continuing is allowed only where that holds: the same π_D (the same run directory, resolved
against the working directory; task, epoch, run seed, known noise, the run's provenance) and
every resolved setting equal except the number of repetitions.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from boundcheck.experiments.generalization.records import SeedRecord
from boundcheck.experiments.generalization.results import (
    GeneralizationDocument,
    ModelErrorInfo,
    PolicySourceInfo,
    Settings,
)
from boundcheck.inputs import InputError

__all__ = ["check_resumable", "finished_repetitions", "prior_records"]


def finished_repetitions(prior: GeneralizationDocument) -> int:
    """The number m of repetitions the document holds: repetitions 0..m−1 in every size, in
    order (raises ``InputError("resume", ...)`` for any other layout)."""
    listed = [size.train_size for size in prior.sizes]
    if listed != list(prior.settings.train_sizes):
        raise InputError("resume", f"the results hold sizes {listed}, but their settings list "
                         f"{list(prior.settings.train_sizes)}; cannot continue them")
    counts = set()
    for size in prior.sizes:
        indices = [rec.seed for rec in size.seeds]
        if indices != list(range(len(indices))):
            raise InputError("resume", f"the results for N={size.train_size} hold repetitions "
                             f"{indices}, not 0, 1, ... in order; cannot continue them")
        counts.add(len(indices))
    if len(counts) != 1:
        raise InputError("resume", "the sizes hold different numbers of repetitions "
                         f"({sorted(counts)}); cannot continue them")
    return counts.pop()


def check_resumable(prior: GeneralizationDocument, *, settings: Settings,
                    source: PolicySourceInfo,
                    model_error: ModelErrorInfo, run_provenance: dict[str, object]) -> int:
    """Whether ``prior`` can be continued as the new request (module doc); returns its number
    of finished repetitions, or raises ``InputError("resume", ...)`` naming what differs."""
    done = finished_repetitions(prior)
    if done > settings.repetitions:
        raise InputError("resume", f"the results already hold {done} repetitions, more than "
                         f"--repetitions {settings.repetitions}")
    diffs = [_differs(f.name, getattr(prior.settings, f.name), getattr(settings, f.name))
             for f in fields(Settings) if f.name != "repetitions"
             and getattr(prior.settings, f.name) != getattr(settings, f.name)]
    diffs += [_differs(f"pi_D's {f.name}", getattr(prior.source, f.name),
                       getattr(source, f.name))
              for f in fields(PolicySourceInfo) if f.name != "run"
              and getattr(prior.source, f.name) != getattr(source, f.name)]
    if Path(prior.source.run).resolve() != Path(source.run).resolve():
        diffs.append(_differs("pi_D's run", prior.source.run, source.run))
    if prior.run_provenance != run_provenance:
        diffs.append("pi_D's run provenance")
    if prior.model_error.measures != model_error.measures:
        diffs.append("the model-error measures")
    if diffs:
        raise InputError("resume", "the results in --out were measured with other settings ("
                         + "; ".join(diffs) + "); ask for the same ones, or pass --force "
                         "instead to start over")
    return done


def _differs(name: str, before: object, now: object) -> str:
    """``name <before> in the results, <now> now`` (long tuples, e.g. the KL grid, shortened)."""
    def show(value: object) -> str:
        if not isinstance(value, tuple):
            return str(value)
        text = str(list(value))
        return text if len(text) <= 40 else text[:37] + "..."
    return f"{name} {show(before)} in the results, {show(now)} now"


def prior_records(prior: GeneralizationDocument) -> dict[int, list[SeedRecord]]:
    """The finished per-seed records of every size, as the experiment accumulates them."""
    return {size.train_size: list(size.seeds) for size in prior.sizes}
