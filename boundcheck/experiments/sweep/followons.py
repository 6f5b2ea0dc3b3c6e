"""Analyses run on each finished cell of a sweep (``--then``): ``validate`` (Theorems
4.1–4.3 on the run's last two checkpoints) and ``measure-generalization`` (the paper's
Section 4.3 experiment with the run's last policy as π_D).

Each is one more Ray task per cell, submitted when the cell's training ends; it calls the same
library functions as the commands and writes the same files inside the cell's run directory
(``validate/validation.json``, ``generalization/results.json``). An analysis whose results
file exists is not run again, so a sweep run again does only what is missing; a
measure-generalization killed part way has written its finished repetitions, and is continued
from them (docs/measure-generalization.md, "Resuming, adding seeds, one writer").
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from boundcheck.config import ConfigError, apply_overrides
from boundcheck.config.overrides import parse_pairs
from boundcheck.experiments.generalization.settings import GeneralizationConfig
from boundcheck.experiments.validate.settings import ValidateConfig
from boundcheck.inputs import InputError

if TYPE_CHECKING:
    import torch

_T = TypeVar("_T")

VALIDATE_DIR = "validate"
GENERALIZATION_DIR = "generalization"
VALIDATE_FILE = "validation.json"
GENERALIZATION_FILE = "results.json"


class Analysis(str, enum.Enum):
    """A follow-on analysis, by the name of its command."""

    VALIDATE = "validate"
    GENERALIZATION = "measure-generalization"


@dataclass(frozen=True)
class FollowOns:
    """The analyses to run on every finished cell, with their settings (None: not run)."""

    validate: ValidateConfig | None = None
    generalization: GeneralizationConfig | None = None

    def __bool__(self) -> bool:
        return self.validate is not None or self.generalization is not None

    def missing(self, run_dir: Path) -> list[Analysis]:
        """The analyses whose results file is not in ``run_dir`` yet, among those that apply to
        the run (validate needs a probabilistic model: a SAC cell of a mixed sweep is skipped,
        not failed)."""
        out = []
        latest = _latest_epoch(run_dir)
        if self.validate is not None and not _validated(run_dir, latest) \
                and _validate_applies(run_dir):
            out.append(Analysis.VALIDATE)
        results = run_dir / GENERALIZATION_DIR / GENERALIZATION_FILE
        if self.generalization is not None and not _finished(
                results, self.generalization.repetitions, latest):
            out.append(Analysis.GENERALIZATION)
        return out


def _latest_epoch(run_dir: Path) -> int | None:
    """The run's newest complete checkpoint (None if it has none or cannot be read)."""
    from boundcheck.runs import RunDir, RunError

    try:
        epochs = RunDir.open(run_dir).epochs()
    except (RunError, OSError):
        return None
    return epochs[-1] if epochs else None


def _validated(run_dir: Path, latest: int | None) -> bool:
    """Whether validation.json checks the run's newest epoch (a run lengthened since, by a
    sweep given more steps, is validated again)."""
    from boundcheck.codec import JsonFileError
    from boundcheck.experiments.validate.document import read_validation

    path = run_dir / VALIDATE_DIR / VALIDATE_FILE
    if not path.is_file():
        return False
    try:
        record = read_validation(path)
    except (JsonFileError, OSError):
        return True  # damaged: left for the user to see, as before
    return latest is None or not record.pairs or record.pairs[-1].epoch >= latest


def _validate_applies(run_dir: Path) -> bool:
    """Whether validate applies to the run (an unreadable run: yes, so that the analysis runs
    and reports what is wrong)."""
    from boundcheck.experiments.validate.source import validation_refusal
    from boundcheck.runs import RunDir, RunError
    from boundcheck.runs.saved_config import read_saved_run

    try:
        config = read_saved_run(RunDir.open(run_dir), check_env=False).config
    except RunError:
        return True
    return validation_refusal(config) is None


def _finished(results: Path, repetitions: int, latest: int | None = None) -> bool:
    """Whether a measure-generalization results file holds ``repetitions`` repetitions of the
    run's newest epoch as π_D (one written during a measurement that was then killed holds
    fewer, and is continued; one of an older epoch, before the run was lengthened, is redone)."""
    return _prior_epoch(results, repetitions, latest) == "done"


def _prior_epoch(results: Path, repetitions: int, latest: int | None = None) -> str:
    """``done``, ``partial`` (continue it) or ``stale``/``missing`` (measure from scratch)."""
    from boundcheck.codec import JsonFileError
    from boundcheck.experiments.generalization.results import read_results

    try:
        document = read_results(results)
    except JsonFileError:
        return "missing"  # missing or damaged: the analysis runs (and reports a damaged one)
    if latest is not None and document.source.epoch < latest:
        return "stale"
    return "done" if document.settings.repetitions >= repetitions else "partial"


@dataclass(frozen=True)
class AnalysisResult:
    """One cell's follow-on analyses: which ran, and the error of the first that failed."""

    name: str
    done: tuple[Analysis, ...]
    error: str | None = None


def analyse_cell(name: str, run_dir: str, follow: FollowOns, threads: int,
                 device: str) -> AnalysisResult:
    """Run the cell's missing analyses (in a Ray worker); an error is reported, not raised."""
    import torch

    from boundcheck.mbpo.setup import resolve_device

    torch.set_num_threads(max(1, threads))
    run = Path(run_dir)
    done: list[Analysis] = []
    for analysis in follow.missing(run):
        try:
            dev = resolve_device(device)
            if analysis is Analysis.VALIDATE and follow.validate is not None:
                _validate(run, follow.validate, dev)
            elif follow.generalization is not None:
                _generalization(run, follow.generalization, dev)
        except Exception as exc:  # a failing analysis is recorded, the sweep goes on
            return AnalysisResult(name, tuple(done), " ".join(
                f"{analysis.value}: {type(exc).__name__}: {exc}".split()))
        done.append(analysis)
    return AnalysisResult(name, tuple(done))


def _validate(run: Path, settings: ValidateConfig, device: torch.device) -> None:
    from boundcheck.experiments.validate.outputs import validate_into
    from boundcheck.experiments.validate.settings import BoundInputs
    from boundcheck.experiments.validate.source import resolve_validation

    source = resolve_validation(run, None, None, all_epochs=False, runs_root=run.parent)
    validate_into(source, settings, BoundInputs(), run / VALIDATE_DIR, gamma=None, device=device)


def _generalization(run: Path, cfg: GeneralizationConfig, device: torch.device) -> None:
    from boundcheck.experiments.generalization.outputs import measure_into
    from boundcheck.experiments.generalization.source import resolve_source

    # Resumed: the repetitions a killed follow-on finished are kept, unless they measured an
    # older epoch (the run was lengthened since): then it starts over.
    source = resolve_source(run, None, runs_root=run.parent, reference_dir=run.parent)
    prior = _prior_epoch(run / GENERALIZATION_DIR / GENERALIZATION_FILE, cfg.repetitions,
                         source.epoch)
    measure_into(cfg, source, run / GENERALIZATION_DIR, device=device, resume=prior != "stale")


def with_settings(base: _T, pairs: list[str], where: str) -> _T:
    """``base`` with ``key=value`` pairs applied (``where`` names the option in errors):
    ``--val-set episodes=20``, ``--gen-set max_updates=5000``. The one override engine,
    :func:`boundcheck.config.apply_overrides`: each value read by its field's type and checked
    by its field's rule, as on the command line."""
    try:
        return cast(_T, apply_overrides(base, parse_pairs(pairs, where)))
    except ConfigError as exc:
        known = [f.name for f in dataclasses.fields(base)]  # type: ignore[arg-type]
        hint = f" (keys: {', '.join(known)})" if str(exc).startswith("unknown") else ""
        raise InputError(where, f"{exc}{hint}") from None
