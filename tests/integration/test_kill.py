"""Other processes: a run's writer lock held by another process, freed by SIGKILL, and a
training process killed with SIGKILL that ``--resume`` finishes.

(The CLI's view of a killed writer, with byte-identical resumes, is in test_cli_writer_lock.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from boundcheck.runs import RunDir, RunLock, RunLockedError
from tests.tiny import TINY_TRAIN
from tests.unit.runs.support import make_run

HOLDER = """
import sys, time
from boundcheck.runs import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""

Holder = Callable[[Path], subprocess.Popen[str]]


@pytest.fixture
def holder() -> Iterator[Holder]:
    """``holder(run)``: another process that takes ``run``'s lock and keeps it."""
    procs: list[subprocess.Popen[str]] = []

    def start(run: Path) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)],
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def snapshot(path: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``path`` with its bytes and modification time."""
    return {str(p.relative_to(path)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_another_process_is_refused_and_a_sigkill_frees_the_lock_at_once(
        tmp_path: Path, holder: Holder) -> None:
    proc = holder(tmp_path)
    with pytest.raises(RunLockedError, match=rf"another process \(pid {proc.pid}\)"):
        RunLock(tmp_path).acquire()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    with RunLock(tmp_path) as lock:  # no stale lock: the kernel dropped it with the process
        assert lock.held and time.monotonic() - start < 1.0


def test_a_second_writer_touches_nothing(tmp_path: Path, holder: Holder) -> None:
    run = make_run(tmp_path / "run", 2)
    run.release()
    proc = holder(run.path)
    before = snapshot(run.path)
    for attempt in (lambda: RunDir.create(run.path, {}, force=True),
                    lambda: RunDir.create(run.path, {}),
                    lambda: RunDir.open(run.path, writer=True)):
        with pytest.raises(RunLockedError, match=rf"{run.path} .*pid {proc.pid}"):
            attempt()
    assert snapshot(run.path) == before


def test_sigkill_then_resume_finishes(tmp_path: Path) -> None:
    out = tmp_path / "k"
    cmd = [sys.executable, "-m", "boundcheck", "train", "--env", "Pendulum-v1", "--out",
           str(out), "--steps", "800", "--set", "eval_episodes=1", *TINY_TRAIN]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = out / "checkpoints" / "epoch_0000" / "MANIFEST.json"
    deadline = time.time() + 120
    while not manifest.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert manifest.exists(), proc.stderr.read().decode() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    resumed = subprocess.run([sys.executable, "-m", "boundcheck", "train", "--out", str(out),
                              "--resume", "--json", "--device", "cpu", "--threads", "1"],
                             capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["env_steps"] == 800
    assert [r["epoch"] for r in RunDir.open(out).read_metrics()] == list(range(6))
