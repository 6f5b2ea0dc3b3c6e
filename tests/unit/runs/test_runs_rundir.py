"""Creating, opening and resuming run directories; retention of models and buffers."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from boundcheck.config import TrainConfig
from boundcheck.runs import (
    CheckpointExistsError,
    CheckpointMissingError,
    Retention,
    RunDir,
    RunError,
    RunExistsError,
    RunNotFoundError,
    select_by_epoch,
    should_save_model,
)
from boundcheck.runs import manifest as manifest_module
from boundcheck.runs.provenance import git_info

MakeRun = Callable[..., RunDir]
Contents = Callable[[int], dict[str, Any]]


def test_create_writes_config_and_provenance(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "r", TrainConfig(total_steps=6000))
    raw = json.loads((tmp_path / "r" / "config.json").read_text())
    assert raw["format"] == "boundcheck-run" and raw["config"]["total_steps"] == 6000
    assert raw["config"]["ensemble"]["num_elites"] == 5
    prov = raw["provenance"]
    assert prov["boundcheck_version"] == "0.1.0"
    assert set(prov["git"]) == {"revision", "dirty"}
    assert {"python", "torch", "numpy", "gymnasium"} <= set(prov)
    assert "host" not in json.dumps(raw).lower()
    assert RunDir.open(tmp_path / "r") == run


def test_create_refuses_a_non_empty_directory_without_force(tmp_path: Path) -> None:
    RunDir.create(tmp_path / "r", {"a": 1})
    (tmp_path / "r" / "metrics.jsonl").write_text('{"epoch": 0}\n')
    with pytest.raises(RunExistsError, match="already exists and is not empty; pass --force"):
        RunDir.create(tmp_path / "r", {"a": 2})
    assert json.loads((tmp_path / "r" / "config.json").read_text())["config"] == {"a": 1}
    RunDir.create(tmp_path / "r", {"a": 2}, force=True)
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == [".lock", "checkpoints", "config.json"]  # the writer lock file stays
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_create_accepts_an_empty_directory_and_refuses_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    RunDir.create(tmp_path / "empty", {})
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunExistsError, match="not a directory"):
        RunDir.create(tmp_path / "file", {}, force=True)


def test_force_never_deletes_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("precious")
    with pytest.raises(RunExistsError, match="does not look like a boundcheck run"):
        RunDir.create(tmp_path / "home", {}, force=True)
    assert (tmp_path / "home" / "thesis.tex").read_text() == "precious"


def test_open_refuses_missing_and_foreign_directories(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no such run directory"):
        RunDir.open(tmp_path / "nope")
    with pytest.raises(RunNotFoundError, match=r"no config\.json"):
        RunDir.open(tmp_path)
    (tmp_path / "config.json").write_text('{"lr": 1}')
    with pytest.raises(RunNotFoundError, match="not a boundcheck run"):
        RunDir.open(tmp_path)


def test_git_info_is_unknown_outside_a_repository_and_tracks_dirty(tmp_path: Path) -> None:
    assert git_info(tmp_path) == {"revision": "unknown", "dirty": None}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "__init__.py").write_text("")
    subprocess.run([*git, "add", "__init__.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    info = git_info(tmp_path)
    assert len(info["revision"]) == 40 and info["dirty"] is False
    (tmp_path / "__init__.py").write_text("x = 1\n")
    assert git_info(tmp_path)["dirty"] is True


def test_save_and_load_round_trip(make_run: MakeRun, contents: Contents) -> None:
    run = make_run(2)
    assert run.epochs() == [0, 1] and run.latest_complete_epoch() == 1
    policy, expected = run.load_policy(1), contents(1)["policy"]
    assert torch.equal(policy["actor"]["net.0.weight"], expected["actor"]["net.0.weight"])
    assert policy["env_steps"] == 2000 and policy["optimizers"]["actor"]["state"][0]["step"] == 3
    assert run.load_model(1)["elites"] == [0, 2]
    buffer = run.load_buffer(1)
    assert np.array_equal(buffer["epoch"], contents(1)["buffer"]["epoch"])
    assert run.load_rng(1)["format_version"] == 1
    assert [r["epoch"] for r in run.read_metrics()] == [0, 1]


def test_checkpoints_are_written_in_epoch_order_only(make_run: MakeRun, contents: Contents) -> None:
    run = make_run(2)
    with pytest.raises(CheckpointExistsError, match="epoch 1 exists"):
        run.save_checkpoint(1, **contents(1))
    with pytest.raises(RunError, match="metrics say epoch 7"):
        run.save_checkpoint(2, **contents(2), metrics={"epoch": 7})


@pytest.mark.parametrize(
    ("stride", "last", "kept"),
    [(1, 5, [0, 1, 2, 3, 4, 5]), (2, 5, [0, 2, 4, 5]), (4, 9, [0, 4, 8, 9]), (3, None, [0, 3])],
)
def test_should_save_model(stride: int, last: int | None, kept: list[int]) -> None:
    top = 5 if last is None else last
    assert [e for e in range(top + 1) if should_save_model(e, last, stride)] == kept


def test_retention_keeps_strided_models_and_only_the_newest_buffer(make_run: MakeRun) -> None:
    run = make_run(6, Retention(model_stride=4, last_epoch=9))
    assert run.epochs() == [0, 1, 2, 3, 4, 5]
    assert run.model_epochs() == [0, 4, 5]  # 5 is the newest: kept for an exact resume
    with pytest.raises(CheckpointMissingError, match=r"epoch 3 has no model.*: 0, 4, 5"):
        run.load_model(3)
    with pytest.raises(CheckpointMissingError, match="epoch 2 keeps no buffer"):
        run.load_buffer(2)
    for epoch in run.epochs():
        run.verify(epoch)  # pruning kept every manifest consistent
    newest = run.load_buffer(5)
    as_of_2 = select_by_epoch(newest, range(-1, 3))
    assert np.array_equal(as_of_2["epoch"], np.repeat(np.arange(-1, 3), 2))
    assert np.array_equal(as_of_2["obs"], newest["obs"][:8])


def test_keep_buffers_keeps_every_buffer(make_run: MakeRun) -> None:
    run = make_run(3, Retention(keep_buffers=True))
    assert all(run.load_buffer(e)["epoch"].size == 2 * (e + 2) for e in range(3))


def test_incomplete_checkpoint_is_ignored_and_resume_rolls_back(
    make_run: MakeRun, contents: Contents, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_run(2)

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies just before the manifest

    monkeypatch.setattr("boundcheck.runs.checkpoint_io.write_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        run.save_checkpoint(2, **contents(2), metrics={"eval/return": 2.0})
    monkeypatch.undo()
    with open(run.metrics_path, "ab") as f:
        f.write(b'{"epoch": 3, "ev')  # and a torn line from a later epoch
    assert run.checkpoint_path(2).is_dir()
    assert run.epochs() == [0, 1] and run.latest_complete_epoch() == 1
    with pytest.raises(CheckpointMissingError, match="no complete checkpoint for epoch 2"):
        run.load_policy(2)

    assert run.prepare_resume() == 1
    assert not run.checkpoint_path(2).exists()
    assert run.read_metrics() == [
        {"epoch": 0, "eval/return": 0.0},
        {"epoch": 1, "eval/return": 1.0},
    ]
    assert run.metrics_path.read_bytes().endswith(b"}\n")
    run.save_checkpoint(2, **contents(2), metrics={"eval/return": 2.0})
    assert [r["epoch"] for r in run.read_metrics()] == [0, 1, 2]


def test_resume_without_any_complete_checkpoint_starts_over(
    tmp_path: Path, contents: Contents, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = RunDir.create(tmp_path / "r", {})
    monkeypatch.setattr(manifest_module, "atomic_write_json", _raise_oserror)
    with pytest.raises(OSError):
        run.save_checkpoint(0, **contents(0), metrics={"x": 1})
    monkeypatch.undo()
    assert run.latest_complete_epoch() is None
    assert run.prepare_resume() is None
    assert run.read_metrics() == [] and list(run.checkpoints_path.iterdir()) == []


def _raise_oserror(*args: object, **kwargs: object) -> None:
    raise OSError("no space left on device")


def test_a_config_and_manifest_written_before_the_strict_codec_read_back(
        make_run: MakeRun) -> None:
    run = make_run(1)
    run.config_path.write_text(run.config_path.read_text().replace(
        '"config": {', '"config": {"old_nan": NaN, ', 1))
    assert np.isnan(run.read_config()["config"]["old_nan"])
    manifest_path = run.checkpoint_path(0) / "MANIFEST.json"
    manifest_path.write_text(manifest_path.read_text().replace(
        '"epoch": 0', '"epoch": 0, "note": NaN', 1))
    assert run.manifest(0).epoch == 0
