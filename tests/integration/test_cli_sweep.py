"""``boundcheck sweep`` on a real local Ray instance: a 2 x 2 grid of tiny runs equal to the
same runs made by ``boundcheck train``, resume and skip, a worker killed mid-run, a cluster
joined with ``--address``, and the bad inputs (refused before any Ray process starts)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boundcheck.cli import main
from tests.strict_json import assert_strict_json
from tests.tiny import TINY, TINY_SET, TINY_TRAIN

ENV = "InvertedPendulum-v5"
#: The tiny settings but the ensemble's width, which is the grid's second axis here.
SETS = [a for key, value in TINY.items() if key != "ensemble.hidden_width"
        for a in ("--set", f"{key}={value}")]
STEPS = "400"
GRID = ["sweep", "train", "--env", ENV, "--seeds", "0-1", "--steps", STEPS, "--device", "cpu",
        "--cpus", "2", *SETS, "--set", "ensemble.hidden_width=32,48"]


def _metrics(run: Path) -> list[str]:
    return (run / "metrics.jsonl").read_text().splitlines()


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "grid"
    assert main([*GRID, "--out", str(out), "--quiet"]) == 0
    return out


def test_a_two_by_two_grid_equals_the_runs_train_makes(swept: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    doc = json.loads((swept / "sweep.json").read_text())
    assert assert_strict_json(swept) > 4  # sweep.json, each run's config.json and metrics
    names = sorted(doc["cells"])
    assert names == sorted(f"{ENV}_mbpo_seed{s}_ensemble.hidden_width={w}"
                           for s in (0, 1) for w in (32, 48))
    assert doc["grid"]["axes"]["seed"] == ["0", "1"] and doc["provenance"]["git"]
    cell = swept / f"{ENV}_mbpo_seed1_ensemble.hidden_width=48"
    alone = tmp_path / "alone"
    assert main(["train", "--env", ENV, "--seed", "1", "--steps", STEPS, "--out", str(alone),
                 *TINY_TRAIN, "--set", "ensemble.hidden_width=48"]) == 0
    assert _metrics(cell) == _metrics(alone)
    capsys.readouterr()
    # the same command again: every cell is finished, nothing runs, the same answer
    assert main([*GRID, "--out", str(swept), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [c["state"] for c in again["cells"]] == ["finished"] * 4 and again["failed"] == []


def test_a_different_grid_is_refused_unless_extended(swept: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    changed = [a if a != "0-1" else "0-2" for a in GRID]
    assert main([*changed, "--out", str(swept)]) == 2
    err = capsys.readouterr().err
    assert "axis seed: ['0', '1'] -> ['0', '1', '2']" in err and "--extend" in err
    longer = [a if a != STEPS else "500" for a in GRID]
    assert main([*longer, "--out", str(swept)]) == 2
    err = capsys.readouterr().err
    assert "steps 400 -> 500" in err and "--extend" in err
    shorter = [a if a != STEPS else "300" for a in GRID]
    assert main([*shorter, "--out", str(swept), "--extend"]) == 2  # would cut runs short
    assert "steps 400 -> 300" in capsys.readouterr().err


def test_more_steps_lengthen_every_cell(swept: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """--extend with more --steps resumes every cell to the new length (as train --resume
    --steps does); the recorded grid then has the new steps."""
    import json
    import shutil

    out = tmp_path / "longer"
    shutil.copytree(swept, out)
    longer = [a if a != STEPS else "500" for a in GRID]
    assert main([*longer, "--out", str(out), "--extend", "--quiet"]) == 0, \
        capsys.readouterr().err
    runs = sorted(p.parent for p in out.glob("*/config.json"))
    assert len(runs) == 4
    for run in runs:
        assert json.loads(_metrics(run)[-1])["env_steps"] == 500
    assert json.loads((out / "sweep.json").read_text())["grid"]["steps"] == 500


@pytest.mark.parametrize(("args", "needle"), [
    (["--seeds", "5-2"], "--seeds: range '5-2' is reversed"),
    (["--seeds", "0,0"], "--seeds: value '0' is listed twice"),
    (["--env", "Nope-v0"], "--env"),
    (["--set", "nope.key=1,2"], "nope.key"),
    (["--set", "sac.lr=1e-3,-1"], "-1"),
    (["--set", "sac.lr"], "--set: expected key=value"),
    (["--cpus-per-run", "0"], "--cpus-per-run"),
    (["--address", "127.0.0.1:1"], "--address"),
])
def test_bad_input_is_refused_before_ray_starts(tmp_path: Path, args: list[str], needle: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bad"
    code = main(["sweep", "train", "--steps", STEPS, "--device", "cpu", *TINY_SET, *args,
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (out / "sweep.json").exists()


def test_a_bad_sweep_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "grid.toml"
    path.write_text("[axes]\nseed = [0, 1\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "s")]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_sweep_file_on_a_cluster_started_with_ray_start(tmp_path: Path) -> None:
    """Token authentication on, as docs/sweeps.md asks of a cluster: the head and the driver
    both run with RAY_AUTH_MODE=token and one token (here a fresh one in RAY_AUTH_TOKEN, so
    that the test leaves ~/.ray alone)."""
    ray = Path(sys.executable).parent / "ray"
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    # --block keeps the head in this process group, so the test stops its own cluster and
    # nothing else (``ray stop`` would end every Ray instance of the user on this machine).
    head = subprocess.Popen([str(ray), "start", "--head", "--block", "--node-ip-address",
                             "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                             "--include-dashboard", "false", "--disable-usage-stats"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        path = tmp_path / "one.toml"
        sets = "\n".join(f'"{k}" = "{v}"' for k, v in
                         (a.split("=", 1) for a in TINY_SET[1::2]))
        path.write_text(f"steps = {STEPS}\n[settings]\n{sets}\n[axes]\nenv = [\"{ENV}\"]\n"
                        "seed = \"3\"\n")
        out = tmp_path / "cluster"
        # a new driver process, as a user's (Ray keeps one token per process)
        done = subprocess.run([sys.executable, "-m", "boundcheck", "sweep", str(path), "--out",
                               str(out), "--address", f"127.0.0.1:{port}", "--device", "cpu",
                               "--quiet"], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        assert (out / "one.toml").read_text() == path.read_text()
        assert (out / f"{ENV}_seed3" / "metrics.jsonl").is_file()  # algo: not an axis here
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)


def test_a_killed_worker_is_retried_and_its_run_resumes_exactly(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "boundcheck", "sweep", "train", "--env", ENV, "--seeds", "4",
            "--steps", "600", "--device", "cpu", "--cpus", "1", "--quiet", *TINY_SET,
            "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cell = out / f"{ENV}_mbpo_seed4"
    first = cell / "checkpoints" / "epoch_0000" / "MANIFEST.json"
    deadline = time.time() + 120
    while not first.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert first.exists(), proc.stderr.read().decode() if proc.stderr else ""
    holder = int((cell / ".lock").read_text().strip())
    os.kill(holder, signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    alone = tmp_path / "alone"
    assert main(["train", "--env", ENV, "--seed", "4", "--steps", "600", "--out", str(alone),
                 *TINY_TRAIN]) == 0
    assert _metrics(cell) == _metrics(alone)


def test_follow_on_analyses_run_on_each_finished_cell(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """--then validate,measure-generalization: each cell's analyses land in its run
    directory, the report counts the verdicts and summarises the slopes over the seeds, and a
    second run of the command analyses nothing again."""
    out = tmp_path / "then"
    args = ["sweep", "train", "--env", "Pendulum-v1", "--seeds", "0-1", "--steps", "500",
            "--device", "cpu", "--cpus", "2", *TINY_SET, "--out", str(out), "--json",
            "--then", "validate,measure-generalization",
            "--val-set", "episodes=3", "--val-set", "model_starts=50",
            "--gen-train-size", "300,600", "--gen-set", "snapshots=3",
            "--gen-set", "eval_steps=150", "--gen-set", "max_updates=150",
            "--gen-set", "check_every=5", "--gen-set", "kl_min=0.002",
            "--gen-set", "kl_max=0.02", "--gen-set", "rollout_batch_size=200"]
    assert main(args) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    assert sorted(a["cell"] for a in doc["analyses"]) == ["Pendulum-v1_mbpo_seed0",
                                                          "Pendulum-v1_mbpo_seed1"]
    for cell in ("Pendulum-v1_mbpo_seed0", "Pendulum-v1_mbpo_seed1"):
        assert (out / cell / "validate" / "validation.json").is_file()
        assert (out / cell / "generalization" / "results.json").is_file()
    task = doc["report"]["tasks"][0]
    analyses = task["analyses"]["mbpo"]
    assert analyses["validate"]["runs"] == 2
    assert sum(analyses["validate"]["counts"]["4.1 @ γ=0.99"].values()) == 2
    slopes = analyses["generalization_slopes"]
    assert [r["train_size"] for r in slopes] == [300, 600]
    assert all(r["summary"]["local"]["n"] == 2 for r in slopes)
    assert "validate, mbpo (2 runs)" in (out / "report.md").read_text()
    assert analyses["validate"]["measured"]["eps_m"]["n"] == 2
    # sweep.json, summary.json, each run's files and each analysis's documents, all strict
    assert (out / "summary.json").is_file() and assert_strict_json(out) > 10
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["analyses"] == []  # nothing left to analyse


@pytest.mark.parametrize(("args", "needle"), [
    (["--then", "plot"], "--then: must be one of validate, measure-generalization"),
    (["--then", "validate", "--val-set", "episodes=x"], "--val-set: episodes"),
    (["--then", "validate", "--val-set", "nope=1"], "--val-set: unknown config key 'nope'"),
    (["--then", "validate", "--val-set", "episodes"], "--val-set: expected key=value"),
    (["--gen-set", "repetitions=1001"], "--gen-set: repetitions: must be an integer in"),
    (["--gen-train-size", "0"], "--gen-train-size"),
    (["--gen-set", "kl_min=5"], "--gen-set: kl_min: need kl_min <= kl_max"),
])
def test_bad_follow_on_options(tmp_path: Path, args: list[str], needle: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", "train", "--steps", STEPS, *TINY_SET, *args,
                 "--out", str(tmp_path / "bad")])
    err = capsys.readouterr().err
    assert code == 2 and needle in err, err


GEN_SETS = ["--gen-set", "snapshots=3", "--gen-set", "eval_steps=150", "--gen-set",
            "max_updates=150", "--gen-set", "check_every=5", "--gen-set", "kl_min=0.002",
            "--gen-set", "kl_max=0.02", "--gen-set", "rollout_batch_size=200"]


def test_measure_generalization_over_existing_runs(swept: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    args = ["sweep", "measure-generalization", "--runs", f"{swept}/*", "--train-size",
            "300,600", *GEN_SETS, "--cpus", "2", "--device", "cpu", "--json"]
    assert main(args) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["runs"]) == 4 and doc["failed"] == []
    (group,) = doc["groups"]
    assert group["group"] == f"mbpo {ENV}" and len(group["runs"]) == 4
    assert [r["summary"]["local"]["n"] for r in group["generalization_slopes"]] == [4, 4]
    assert all((swept / name / "generalization" / "results.json").is_file()
               for name in json.loads((swept / "sweep.json").read_text())["cells"])
    assert main(["sweep", "measure-generalization", "--runs", f"{swept}/nothing*"]) == 2
    assert "--runs: no run directory matches" in capsys.readouterr().err


def test_a_failing_cell_is_recorded_and_the_others_go_on(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    out = tmp_path / "partly"
    out.mkdir()
    (out / "Pendulum-v1_mbpo_seed1").write_text("a file where the run directory goes\n")
    code = main(["sweep", "train", "--env", "Pendulum-v1", "--seeds", "0-1", "--steps", "300",
                 "--device", "cpu", "--cpus", "2", *TINY_SET, "--out", str(out), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["failed"] == ["Pendulum-v1_mbpo_seed1"]
    states = {c["cell"]: c["state"] for c in doc["cells"]}
    assert states == {"Pendulum-v1_mbpo_seed0": "finished", "Pendulum-v1_mbpo_seed1": "failed"}
    assert "Pendulum-v1_mbpo_seed1" in next(c["error"] for c in doc["cells"] if c["error"])


def test_a_second_sweep_on_the_directory_is_refused(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from boundcheck.runs.lock import RunLock

    out = tmp_path / "busy"
    out.mkdir()
    with RunLock(out):  # as a first sweep holds it
        code = main(["sweep", "train", "--env", "Pendulum-v1", "--seeds", "0", "--steps", "300",
                     "--device", "cpu", *TINY_SET, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and str(out) in err and "being written by" in err
    assert not (out / "sweep.json").exists()
