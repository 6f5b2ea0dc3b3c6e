"""The writer lock of a run directory: one writer, refused at once, freed by any death.

The tests with a second process (a lock holder, SIGKILL) are in tests/integration/test_kill.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from boundcheck.runs import RunDir, RunError, RunExistsError, RunLock, RunLockedError
from boundcheck.runs.loaders import read_verified
from boundcheck.runs.lock import LOCK_FILE, probe
from boundcheck.runs.prepare import clear_run

MakeRun = Callable[..., RunDir]
Contents = Callable[[int], dict[str, Any]]


def test_one_holder_at_a_time_and_the_pid_is_named(tmp_path: Path) -> None:
    with RunLock(tmp_path) as lock:
        assert lock.held and (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        assert probe(tmp_path) == (True, os.getpid())
        with pytest.raises(RunLockedError, match=rf"{tmp_path} .*this process \(pid {os.getpid()}"):
            RunLock(tmp_path).acquire()
    assert not lock.held and (tmp_path / LOCK_FILE).read_text() == ""  # the file stays
    assert probe(tmp_path) == (False, None)
    with RunLock(tmp_path):
        pass


def test_writes_need_the_lock(make_run: MakeRun, contents: Contents) -> None:
    run = make_run(1)
    reader = RunDir.open(run.path)
    for write in (lambda: reader.append_metrics({"epoch": 1}), reader.prepare_resume,
                  lambda: reader.save_checkpoint(1, **contents(1)),
                  lambda: reader.update_config({}, {})):
        with pytest.raises(RunError, match="does not hold the run's writer lock"):
            write()
    with pytest.raises(RunLockedError):
        RunDir.open(run.path, writer=True)
    run.release()
    with RunDir.open(run.path, writer=True) as writer:
        writer.save_checkpoint(1, **contents(1))
    assert writer.lock is not None and not writer.lock.held


def test_a_folder_that_is_not_a_run_gets_no_lock_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    for attempt in (lambda: RunDir.open(tmp_path, writer=True),
                    lambda: RunDir.create(tmp_path, {}, force=True),
                    lambda: RunDir.create(tmp_path, {})):
        with pytest.raises(RunError):
            attempt()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_force_killed_midway_leaves_no_run_and_is_finished_by_the_next(
        make_run: MakeRun, monkeypatch: pytest.MonkeyPatch) -> None:
    run = make_run(2)
    real_rmtree = __import__("shutil").rmtree

    def killed(path: Any, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # the process dies after moving everything to the trash

    monkeypatch.setattr("boundcheck.runs.prepare.shutil.rmtree", killed)
    with pytest.raises(KeyboardInterrupt):
        clear_run(run.path)
    monkeypatch.setattr("boundcheck.runs.prepare.shutil.rmtree", real_rmtree)
    run.release()
    with pytest.raises(RunError, match=r"no config\.json"):  # readers see no run at all
        RunDir.open(run.path)
    with pytest.raises(RunExistsError, match="pass --force"):
        RunDir.create(run.path, {"b": 1})
    RunDir.create(run.path, {"b": 1}, force=True).release()
    names = sorted(p.name for p in run.path.iterdir())
    assert names == [".lock", "checkpoints", "config.json"]


def test_a_reader_racing_the_pruning_of_a_run_in_progress(make_run: MakeRun,
                                                          contents: Contents) -> None:
    run = make_run(2)
    stale = run.manifest(1)  # a reader read epoch 1's manifest: it still lists the buffer
    run.save_checkpoint(2, **contents(2))  # the writer completes epoch 2 and prunes epoch 1
    manifests = iter([stale, run.manifest(1)])
    with pytest.raises(RunError, match=r"buffer\.npz was pruned") as info:
        read_verified(run.checkpoint_path(1), "buffer.npz", lambda: next(manifests))
    assert "checksum" not in str(info.value) and "missing" not in str(info.value)
