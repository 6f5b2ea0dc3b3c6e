"""Which follow-on analyses a sweep cell still needs (``FollowOns.missing``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from boundcheck.codec import dumps
from boundcheck.experiments.generalization.settings import GeneralizationConfig
from boundcheck.experiments.sweep.followons import (
    GENERALIZATION_DIR,
    GENERALIZATION_FILE,
    Analysis,
    FollowOns,
)
from tests.unit.experiments.generalization.factories import outcome


def _write(run: Path, text: str) -> None:
    (run / GENERALIZATION_DIR).mkdir(parents=True, exist_ok=True)
    (run / GENERALIZATION_DIR / GENERALIZATION_FILE).write_text(text)


def _document(tmp_path: Path, seeds: int) -> str:
    document = outcome(tmp_path).document
    return dumps(replace(document, settings=replace(document.settings, repetitions=seeds)))


def test_a_partial_generalization_result_is_still_missing(tmp_path: Path) -> None:
    follow = FollowOns(generalization=GeneralizationConfig(train_sizes=(300,), repetitions=2))
    assert follow.missing(tmp_path) == [Analysis.GENERALIZATION]
    _write(tmp_path, _document(tmp_path, 1))  # killed after repetition 0
    assert follow.missing(tmp_path) == [Analysis.GENERALIZATION]
    _write(tmp_path, "{damaged")  # run again, so that the analysis reports the damage
    assert follow.missing(tmp_path) == [Analysis.GENERALIZATION]
    _write(tmp_path, _document(tmp_path, 2))
    assert follow.missing(tmp_path) == []


def test_validate_is_skipped_where_it_does_not_apply(tmp_path: Path) -> None:
    """A SAC cell (no model) or a deterministic-model cell of a mixed sweep is not validated,
    so it does not end as a failed analysis; an MBPO cell is."""
    from boundcheck.experiments.validate.settings import ValidateConfig
    from boundcheck.runs import RunDir

    follow = FollowOns(validate=ValidateConfig())
    for name, config, expected in (("sac", {"algo": "sac"}, []),
                                   ("det", {"model": "deterministic"}, []),
                                   ("mbpo", {"algo": "mbpo"}, [Analysis.VALIDATE])):
        run = RunDir.create(tmp_path / name, config).path
        assert follow.missing(run) == expected, name


def test_analyses_of_an_older_epoch_are_redone(tmp_path: Path) -> None:
    """A cell lengthened by a sweep with more steps has a newer last epoch than its analyses:
    they are missing again (the measurement starts over instead of continuing)."""
    from boundcheck.experiments.sweep.followons import _prior_epoch
    from tests.unit.runs.support import make_run

    run = make_run(tmp_path / "run", n_epochs=3).path  # epochs 0..2
    made = outcome(tmp_path).document
    document = replace(made, source=replace(made.source, epoch=1))  # measured before epoch 2
    _write(run, dumps(document))
    follow = FollowOns(generalization=GeneralizationConfig(
        train_sizes=(300,), repetitions=document.settings.repetitions))
    assert follow.missing(run) == [Analysis.GENERALIZATION]
    results = run / GENERALIZATION_DIR / GENERALIZATION_FILE
    assert _prior_epoch(results, document.settings.repetitions, 2) == "stale"
    current = replace(document, source=replace(document.source, epoch=2))
    _write(run, dumps(current))
    assert follow.missing(run) == []
