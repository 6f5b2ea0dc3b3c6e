"""Critic bias on a run (boundcheck.experiments.questions.q_bias and tools/q_bias.py): one tiny
SAC run measured end to end, merged into a file and summarised; bad input exits 2."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import pytest
import torch

from boundcheck.cli import main
from boundcheck.experiments.questions.q_bias import QBiasSettings, measure_epoch
from boundcheck.inputs import InputError
from boundcheck.runs import RunDir
from tests.tiny import TINY_TRAIN
from tests.tool_module import load_tool

ROOT = Path(__file__).resolve().parents[4]


def _tool() -> ModuleType:
    return load_tool("q_bias")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("qb") / "InvertedPendulum-v5_sac_seed0"
    assert main(["train", "--out", str(path), "--env", "InvertedPendulum-v5", "--steps", "400",
                 "--algo", "sac", *TINY_TRAIN]) == 0
    return path


def test_one_epoch(run: Path) -> None:
    rd = RunDir.open(run)
    epoch = rd.epochs()[-1]
    m = measure_epoch(rd, epoch, QBiasSettings(episodes=3, tail=0.5), torch.device("cpu"))
    assert m.epoch == epoch and m.step == 400 and m.alpha > 0
    for b in (m.q_min, m.q_mean):
        assert b.episodes == 3 and b.bias.n == 3 and b.steps >= 3
        assert math.isfinite(b.bias.mean) and b.bias.low <= b.bias.mean <= b.bias.high
    assert m.q_min.bias.mean <= m.q_mean.bias.mean  # the twin minimum is never above the mean
    with pytest.raises(InputError, match="epoch"):
        measure_epoch(rd, 99, QBiasSettings(episodes=2), torch.device("cpu"))


def test_settings_refuse_bad_values() -> None:
    with pytest.raises(InputError, match="episodes"):
        QBiasSettings(episodes=1)
    with pytest.raises(InputError, match="tail"):
        QBiasSettings(tail=0.0)


def test_the_tool_measures_merges_and_summarises(run: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    tool = _tool()
    out = tmp_path / "q.json"
    assert tool.main(["measure", str(run), "--out", str(out), "--episodes", "2",
                      "--tail", "0.5"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [r["run"] for r in doc["runs"]] == [run.name]  # its folder's name, no path
    assert doc["runs"][0]["label"] == "SAC G=1"
    assert str(tmp_path) not in out.read_text(encoding="utf-8")
    assert tool.main(["measure", str(run), "--out", str(out), "--episodes", "2",
                      "--tail", "0.5"]) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["runs"]) == 1  # replaced, not added
    assert tool.main(["summarize", str(out), "--figure", str(tmp_path / "f.png")]) == 0
    assert "| SAC G=1 | 400 | 1 |" in capsys.readouterr().out
    assert (tmp_path / "f.png").stat().st_size > 0
    assert tool.main(["measure", str(run), "--out", str(out), "--episodes", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --out:")
    assert tool.main(["measure", str(run), "--out", str(tmp_path / "x.json"),
                      "--episodes", "1"]) == 2
    assert "--episodes" in capsys.readouterr().err


def test_late_bias_and_paired_differences() -> None:
    """The late window averages each run's last epochs; pairs are over common seeds."""
    tool = _tool()

    def run(label: str, seed: int, biases: list[float]) -> dict:
        return {"label": label, "seed": seed, "epochs": [
            {"step": 10 * i, "episode_return": 5.0,
             "q_min": {"normalised": b, "normalised_low": b - 0.15}}
            for i, b in enumerate(biases)]}

    doc = {"runs": [run("A", 0, [9.0, 0.1, 0.3]), run("A", 1, [9.0, 0.2, 0.4]),
                    run("A", 2, [9.0, 0.3, 0.5]), run("B", 0, [0.0, 0.0]),
                    run("B", 1, [0.0, 0.1]), run("C", 5, [1.0, 1.0])]}
    got = tool.late(doc, last=2)
    assert got["labels"]["A"]["per_seed"] == pytest.approx([0.2, 0.3, 0.4])
    assert got["labels"]["A"]["mean"] == pytest.approx(0.3)
    # over-estimating epochs: low end (value − 0.15) above 0: all but the 0.1
    assert (got["labels"]["A"]["over_epochs"], got["labels"]["A"]["epochs"]) == (8, 9)
    assert got["labels"]["A"]["largest"]["value"] == 9.0
    assert got["labels"]["A"]["over_at_top"] == 8  # every return is the top one here
    # the median of the window, not the mean: one wild epoch does not decide it
    assert tool.late({"runs": [run("D", 0, [0.1, 50.0, 0.2])]}, last=3)["labels"]["D"][
        "per_seed"] == [pytest.approx(0.2)]
    (pair,) = got["pairs"]  # C shares no seed with A or B
    assert (pair["first"], pair["second"], pair["seeds"]) == ("A", "B", [0, 1])
    assert pair["mean"] == pytest.approx(((0.2 - 0.0) + (0.3 - 0.05)) / 2)
    assert pair["first_higher"] == 2
    assert "| A − B | 2 |" in "\n".join(tool.late_table(got))
