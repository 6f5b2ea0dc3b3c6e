"""``measure-generalization --resume``: a killed measurement keeps its finished repetitions, and
continuing it (or adding seeds) gives the numbers of one uninterrupted run; one writer per --out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from boundcheck.experiments.generalization import experiment
from boundcheck.runs.lock import RunLock
from tests.integration.test_cli_generalization import TINY_MEASURE, _train, measure

#: Fewer updates than the end-to-end test: three measurements of two repetitions each.
QUICK = [*TINY_MEASURE, "--max-updates", "60"]


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("runs"), "ip", "InvertedPendulum-v5",
                  "--transition-noise", "0.05", "--reward-noise", "0.05")


def _document(out: Path) -> dict:
    """The results document without what depends on when and where it was written."""
    doc = json.loads((out / "results.json").read_text())
    return {k: v for k, v in doc.items() if k not in ("timings", "versions")}


def test_a_killed_measurement_resumes_to_the_numbers_of_one_run(
        capsys, tmp_path: Path, noisy_run: Path, monkeypatch) -> None:
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    base = ["--run", str(noisy_run), "--quiet", "--repetitions", "2", *QUICK]
    code, _, err = measure(capsys, "--out", str(whole), *base)
    assert code == 0, err

    # Kill the second measurement in repetition 1: repetition 0 is on disk, marked partial.
    one_size = experiment._one_size

    def dies_in_repetition_1(ctx, data, i):
        if i == 1:
            raise KeyboardInterrupt
        return one_size(ctx, data, i)

    monkeypatch.setattr(experiment, "_one_size", dies_in_repetition_1)
    code, _, err = measure(capsys, "--out", str(cut), *base)
    assert code != 0 and "Traceback" not in err
    partial = json.loads((cut / "results.json").read_text())
    assert partial["settings"]["seeds"] == 1
    assert [len(s["seeds"]) for s in partial["sizes"]] == [1, 1]
    assert any(w.startswith("partial: 1 of 2") for w in partial["warnings"])
    assert all((cut / f).is_file() for f in partial["files"]["snapshots"])
    monkeypatch.setattr(experiment, "_one_size", one_size)

    # Without --resume the partial result is not replaced; with it, repetition 1 is run.
    code, _, err = measure(capsys, "--out", str(cut), *base)
    assert code == 2 and "--force" in err
    code, _, err = measure(capsys, "--out", str(cut), "--resume", *base)
    assert code == 0, err
    done = json.loads((cut / "results.json").read_text())
    assert done["settings"]["seeds"] == 2
    assert not any(w.startswith("partial") for w in done["warnings"])
    # The whole document (records, summaries, slopes, trends, theory inputs, warnings, files).
    assert _document(cut) == _document(whole)
    assert done["versions"]["resumed_from"] == [partial["versions"]]
    assert (cut / "points.csv").read_text() == (whole / "points.csv").read_text()
    assert all((cut / f).is_file() for f in done["files"]["snapshots"])

    # Nothing left to run: --resume rewrites the same numbers.
    code, _, err = measure(capsys, "--out", str(cut), "--resume", *base)
    assert code == 0, err
    assert _document(cut) == _document(whole)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--repetitions", "1", "--resume"], "more than --repetitions 1"),
        (["--repetitions", "3", "--resume", "--eval-steps", "100"],
         "eval_steps 150 in the results, 100 now"),
        (["--repetitions", "3", "--resume", "--seed", "7"], "seed 0 in the results, 7 now"),
        (["--repetitions", "3", "--resume", "--force"], "cannot be combined"),
        (["--repetitions", "3", "--resume", "--run", "OTHER"], "copy now"),
    ],
)
def test_resume_refuses_what_it_cannot_continue(capsys, tmp_path: Path, noisy_run: Path,
                                                extra: list[str], needle: str) -> None:
    out = tmp_path / "gen"
    base = ["--run", str(noisy_run), "--out", str(out), "--quiet", *QUICK]
    code, _, err = measure(capsys, *base, "--repetitions", "2")
    assert code == 0, err
    before = (out / "results.json").read_text()
    if "OTHER" in extra:  # the same run under another name: a copy of its directory
        other = tmp_path / "copy"
        shutil.copytree(noisy_run, other)
        extra = [str(other) if a == "OTHER" else a for a in extra]
    code, _, err = measure(capsys, *base, *extra)
    assert code == 2, err
    assert "--resume" in err and needle in err and len(err.strip().splitlines()) == 1
    assert (out / "results.json").read_text() == before


def test_resume_on_a_damaged_results_file_and_a_second_writer(capsys, tmp_path: Path,
                                                              noisy_run: Path) -> None:
    out = tmp_path / "gen"
    out.mkdir()
    (out / "results.json").write_text('{"format": "something else"}')
    base = ["--run", str(noisy_run), "--out", str(out), "--quiet", *QUICK]
    code, _, err = measure(capsys, *base, "--resume")
    assert code == 2 and "--resume" in err and "results.json" in err, err
    with RunLock(out):
        code, _, err = measure(capsys, *base, "--force")
    assert code == 2 and "--out" in err and "one writer" in err, err
    assert (out / "results.json").read_text() == '{"format": "something else"}'
