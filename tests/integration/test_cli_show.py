"""``boundcheck show``: a saved result's tables again, from the committed results."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from boundcheck.cli import main

DATA = Path(__file__).resolve().parents[2] / "docs" / "results" / "data"


def _show(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str, str]:
    code = main(["show", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_saved_validation_prints_its_tables_and_conclusion(capsys) -> None:
    code, out, _ = _show(capsys, DATA / "noise_hopper_s0.03_seed0_validate_all_epochs.json")
    assert code == 0 and "Hopper-v5: pi_D and model from epoch 8, pi from epoch 9" in out
    assert "Conclusion: Every bound holds" in out and "none is informative" in out


def test_a_saved_measurement_prints_its_table_from_its_folder(capsys, tmp_path: Path) -> None:
    shutil.copy(DATA / "noise_hopper_generalization_results.json", tmp_path / "results.json")
    code, out, _ = _show(capsys, tmp_path)
    assert code == 0 and "d(tv)/d(Pinsker TV)" in out and "Conclusion: the model's mean TV" in out


@pytest.mark.parametrize(("name", "needle"), [
    ("nothing", "no such file"), ("empty", "holds no validation.json or results.json"),
    ("other.json", "is not a validate or measure-generalization result"),
    ("sweep", "boundcheck sweep report")])
def test_what_is_not_a_result_is_bad_input(capsys, tmp_path: Path, name: str,
                                            needle: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "other.json").write_text('{"format": "other"}')
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "sweep.json").write_text("{}")
    code, _, err = _show(capsys, tmp_path / name)
    assert code == 2 and needle in err and err.count("\n") == 1
