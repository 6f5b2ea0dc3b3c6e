"""Which follow-on analyses a sweep cell still needs (``FollowOns.missing``)."""

from __future__ import annotations

import json
from pathlib import Path

from boundcheck.experiments.generalization.settings import GeneralizationConfig
from boundcheck.experiments.sweep.followons import (
    GENERALIZATION_DIR,
    GENERALIZATION_FILE,
    Analysis,
    FollowOns,
)


def _write(run: Path, text: str) -> None:
    (run / GENERALIZATION_DIR).mkdir(parents=True, exist_ok=True)
    (run / GENERALIZATION_DIR / GENERALIZATION_FILE).write_text(text)


def test_a_partial_generalization_result_is_still_missing(tmp_path: Path) -> None:
    follow = FollowOns(generalization=GeneralizationConfig(train_sizes=(300,), repetitions=2))
    assert follow.missing(tmp_path) == [Analysis.GENERALIZATION]
    _write(tmp_path, json.dumps({"settings": {"seeds": 1}}))  # killed after repetition 0
    assert follow.missing(tmp_path) == [Analysis.GENERALIZATION]
    _write(tmp_path, "{damaged")  # run again, so that the analysis reports the damage
    assert follow.missing(tmp_path) == [Analysis.GENERALIZATION]
    _write(tmp_path, json.dumps({"settings": {"seeds": 2}}))
    assert follow.missing(tmp_path) == []
