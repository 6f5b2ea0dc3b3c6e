"""One writer per run directory, with real ``train`` processes.

A first ``train`` (seed 5) is paused mid-run with SIGSTOP, holding its lock: a second writer in
each mode (``--force`` with another seed, ``--resume``, plain) must exit 2 naming the directory
and the holder's pid without touching a file; resumed, the first run must end byte-identical
(metrics and every checkpoint file) to an undisturbed run of the same seed. A holder killed
with SIGKILL frees the lock at once, and the run it left resumes to the same bytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.runs import RunDir
from tests.tiny import TINY_TRAIN

#: A 5-epoch Pendulum run at tests/tiny.py's settings.
TRAIN_ARGS = ["--env", "Pendulum-v1", "--steps", "500", *TINY_TRAIN]


def start_train(out: Path) -> subprocess.Popen[bytes]:
    """A real ``boundcheck train`` process, returned once its first checkpoint is complete."""
    cmd = [sys.executable, "-m", "boundcheck", "train", "--out", str(out), "--seed", "5",
           *TRAIN_ARGS]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = out / "checkpoints" / "epoch_0000" / "MANIFEST.json"
    deadline = time.monotonic() + 120
    while not manifest.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert manifest.exists(), proc.stderr.read().decode() if proc.stderr else ""
    return proc


def run_files(run: Path) -> dict[str, bytes]:
    """What must be byte-identical: metrics.jsonl and every checkpoint file."""
    files = {"metrics.jsonl": (run / "metrics.jsonl").read_bytes()}
    for path in sorted((run / "checkpoints").rglob("*")):
        if path.is_file():
            files[str(path.relative_to(run))] = path.read_bytes()
    return files


def snapshot(run: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(run)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(run.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("ref") / "run"
    assert main(["train", "--out", str(out), "--seed", "5", *TRAIN_ARGS]) == 0
    return run_files(out)


def test_a_second_writer_in_any_mode_is_refused_untouched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        undisturbed: dict[str, bytes]) -> None:
    out = tmp_path / "run"
    proc = start_train(out)
    os.kill(proc.pid, signal.SIGSTOP)  # mid-run, holding the lock, changing nothing
    try:
        before = snapshot(out)
        capsys.readouterr()
        for mode in (["--force", "--seed", "6"], ["--resume", "--seed", "5"], ["--seed", "5"]):
            code = main(["train", "--out", str(out), *TRAIN_ARGS, *mode])
            err = capsys.readouterr().err
            assert code == 2, (mode, err)
            assert err.count("\n") == 1 and "Traceback" not in err
            assert f"{out} is being written by another process (pid {proc.pid})" in err
        assert snapshot(out) == before
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert proc.wait(timeout=300) == 0
    assert run_files(out) == undisturbed


def test_a_killed_holder_frees_the_lock_at_once(tmp_path: Path,
                                                undisturbed: dict[str, bytes]) -> None:
    out = tmp_path / "run"
    proc = start_train(out)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    with RunDir.open(out, writer=True) as run:  # the next writer: no stale lock to wait for
        assert run.lock is not None and run.lock.held
        assert time.monotonic() - start < 1.0
    assert main(["train", "--out", str(out), "--seed", "5", *TRAIN_ARGS, "--resume"]) == 0
    assert run_files(out) == undisturbed
