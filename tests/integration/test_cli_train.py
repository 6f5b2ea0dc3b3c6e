"""``boundcheck train`` end to end through the CLI: outputs, resume, bad input, tampering."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.runs import RunDir
from tests.strict_json import assert_strict_json
from tests.tiny import TINY_SET as TINY

Capture = pytest.CaptureFixture[str]


def train(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = main(["train", "--env", "Pendulum-v1", "--device", "cpu", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_json_summary_and_resume_refusal(capsys: Capture, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, stdout, err = train(capsys, "--steps", "300", "--out", str(out), "--json", *TINY)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["env_steps"] == 300 and summary["epochs"] == 1
    assert summary["last_epoch"]["epoch"] == 0
    # An existing run is never overwritten without --force.
    code, _, err = train(capsys, "--steps", "300", "--out", str(out), *TINY)
    assert code == 2 and "--out" in err and "--force" in err
    code, _, err = train(capsys, "--steps", "300", "--out", str(out), "--force", "--quiet",
                         *TINY)
    assert code == 0, err
    # Resuming a finished run is a no-op that still succeeds.
    code, stdout, err = train(capsys, "--out", str(out), "--resume", "--json")
    assert code == 0, err
    assert json.loads(stdout)["env_steps"] == 300


def test_tampered_checkpoint_is_refused(capsys: Capture, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert train(capsys, "--steps", "300", "--out", str(out), "--quiet", *TINY)[0] == 0
    policy = out / "checkpoints" / "epoch_0000" / "policy.pt"
    data = bytearray(policy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    policy.write_bytes(bytes(data))
    code, _, err = train(capsys, "--out", str(out), "--resume")
    assert code == 2
    assert "checksum" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--env", "Hopper"], "--env"),
        (["--steps", "-5"], "--steps"),
        (["--set", "no.such.key=1"], "--set"),
        (["--set", "sac.lr=abc"], "--set"),
        (["--set", "novalue"], "--set"),
        (["--config", "/nonexistent/config.json"], "--config"),
        (["--device", "tpu"], "--device"),
        (["--algo", "ppo"], "--algo"),
        (["--resume", "--force"], "--resume"),
        (["--threads", "0"], "--threads"),
    ],
)
def test_bad_input_exit_2(capsys: Capture, tmp_path: Path, args: list[str], needle: str) -> None:
    code = main(["train", "--out", str(tmp_path / "r"), *args])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_resume_of_missing_run(capsys: Capture, tmp_path: Path) -> None:
    code, _, err = train(capsys, "--out", str(tmp_path / "none"), "--resume")
    assert code == 2 and "--out" in err


def test_unreadable_config_file(capsys: Capture, tmp_path: Path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text("{oops")
    code, _, err = train(capsys, "--out", str(tmp_path / "r"), "--config", str(bad))
    assert code == 2 and "--config" in err and "not valid JSON" in err


def test_plot_runs(capsys: Capture, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert train(capsys, "--steps", "400", "--out", str(out), "--quiet", *TINY)[0] == 0
    fig = tmp_path / "curves.png"
    code = main(["plot-runs", str(out), "--out", str(fig)])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert fig.read_bytes()[:4] == b"\x89PNG"
    code = main(["plot-runs", str(out), "--out", str(fig), "--json"])  # JSON without --group
    stdout, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["figure"] == str(fig) and doc["runs"][0]["evaluations"] == 2
    assert doc["runs"][0]["last"]["env_steps"] == 400 and doc["runs"][0]["seed"] == 0
    code = main(["plot-runs", str(tmp_path / "missing"), "--out", str(fig)])
    _, err = capsys.readouterr()
    assert code == 2 and "RUNS" in err
    # any logged metric: how long the evaluation episodes lasted, how many ended by a fall
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    for metric in ("eval/length_mean", "eval/terminated_fraction"):
        code = main(["plot-runs", str(out), "--out", str(fig), "--json", "--metric", metric])
        stdout, err = capsys.readouterr()
        assert code == 0, err
        assert json.loads(stdout)["runs"][0]["last"]["return"] == records[-1][metric]
    assert records[-1]["eval/terminated_fraction"] == 0.0  # Pendulum: time limit only
    code = main(["plot-runs", str(out), "--out", str(fig), "--metric", "eval/nope"])
    _, err = capsys.readouterr()
    assert code == 2 and "--metric" in err and "eval/nope" in err


def fake_run(path: Path, algo: str, seed: int, returns: list[float]) -> Path:
    """A run directory holding only config.json and metrics.jsonl (what plot-runs reads)."""
    from boundcheck.runs import RunDir

    run = RunDir.create(path, {"env": "Hopper-v5", "algo": algo, "seed": seed})
    for i, ret in enumerate(returns):
        run.append_metrics({"epoch": i, "env_steps": 1000 * (i + 1), "eval/return_mean": ret})
    return path


def test_plot_runs_labels_tell_runs_apart(capsys: Capture, tmp_path: Path) -> None:
    """Two runs of one algorithm, task and seed get their folders in the label (both of
    them); a noisy run says its noise."""
    from boundcheck.runs import RunDir

    a = fake_run(tmp_path / "a" / "run", "mbpo", 0, [1.0, 2.0])
    b = fake_run(tmp_path / "b" / "run", "mbpo", 0, [1.0, 3.0])
    noisy = RunDir.create(tmp_path / "noisy", {"env": "Hopper-v5", "algo": "mbpo", "seed": 1,
                                              "transition_noise": 0.03, "reward_noise": 0.03})
    noisy.append_metrics({"epoch": 0, "env_steps": 1000, "eval/return_mean": 5.0})
    code = main(["plot-runs", str(a), str(b), str(noisy.path), "--out",
                 str(tmp_path / "f.png"), "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    labels = [r["label"] for r in json.loads(stdout)["runs"]]
    assert labels == ["mbpo Hopper-v5 seed 0 (a/run)", "mbpo Hopper-v5 seed 0 (b/run)",
                      "mbpo Hopper-v5, sigma 0.03 seed 1"]


def test_plot_runs_groups_seeds(capsys: Capture, tmp_path: Path) -> None:
    runs = [str(fake_run(tmp_path / f"{a}{s}", a, s, [float(s), 10.0 * s + (a == "mbpo")]))
            for a in ("mbpo", "sac") for s in range(3)]
    fig = tmp_path / "g.png"
    code = main(["plot-runs", *runs, "--group", "--out", str(fig), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["step"] == 2000 and fig.read_bytes()[:4] == b"\x89PNG"
    assert doc["paired"]["at_step"]["wins"] == 3
    assert doc["groups"]["sac Hopper-v5"]["at_step"]["per_seed"] == {"0": 0.0, "1": 10.0,
                                                                     "2": 20.0}
    code = main(["plot-runs", *runs, "--group", "--out", str(fig)])
    out, err = capsys.readouterr()
    assert code == 0 and "3/3 seeds" in out
    for args, option in ((["--at", "1500"], "--at"), (["--window", "0"], "--window"),
                         (["--confidence", "2"], "--confidence")):
        code = main(["plot-runs", *runs, "--group", "--out", str(fig), *args])
        _, err = capsys.readouterr()
        assert code == 2 and option in err and "Traceback" not in err
    code = main(["plot-runs", runs[0], runs[0], "--group", "--out", str(fig)])
    _, err = capsys.readouterr()
    assert code == 2 and "second run of seed 0" in err


def run_files(run: Path) -> dict[str, bytes]:
    """metrics.jsonl and every checkpoint file (timings.jsonl holds wall times)."""
    files = {"metrics.jsonl": (run / "metrics.jsonl").read_bytes()}
    files.update({str(p.relative_to(run)): p.read_bytes()
                  for p in sorted((run / "checkpoints").rglob("*")) if p.is_file()})
    return files


def test_resume_is_the_same_command_again(capsys: Capture, tmp_path: Path) -> None:
    """The command that made a run, with --resume added, continues it; a larger --steps
    extends it (recorded in config.json) to what a run of that length would have been."""
    out, fresh = tmp_path / "run", tmp_path / "fresh"
    command = ["--seed", "2", "--out", str(out), "--quiet", *TINY]
    assert train(capsys, "--steps", "300", *command)[0] == 0
    code, _, err = train(capsys, "--steps", "300", *command, "--resume")
    assert code == 0, err
    assert [r["epoch"] for r in RunDir.open(out).read_metrics()] == [0]
    code, _, err = train(capsys, "--steps", "400", *command, "--resume")
    assert code == 0, err
    doc = json.loads((out / "config.json").read_text())
    assert doc["config"]["total_steps"] == 400
    assert doc["changes"][0]["total_steps"] == [300, 400] and doc["changes"][0]["after_epoch"] == 0
    assert train(capsys, "--steps", "400", "--seed", "2", "--out", str(fresh), "--quiet",
                 *TINY)[0] == 0
    assert run_files(out) == run_files(fresh)


def test_a_log_file_gets_a_line_per_epoch_and_tensorboard_events(capsys: Capture,
                                                                  tmp_path: Path) -> None:
    """stderr is not a terminal here (as when train is piped to a log): the progress bar is
    not drawn, so one line per epoch and phase says where the run is; TensorBoard event files
    sit beside metrics.jsonl with its metric names."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "logged"
    code, _, err = train(capsys, "--steps", "400", "--threads", "1", "--out", str(out), *TINY)
    assert code == 0, err
    lines = [line for line in err.splitlines() if "/400" in line]
    # The wording is for people: what matters is a line per epoch and phase, and that the
    # model fit that opens an epoch reports while it runs.
    first_epoch = [re.search(r"epoch (\d+)", line) for line in lines]
    assert [int(m.group(1)) for m in first_epoch if m][:3] == [0, 0, 1]
    assert "exploring" in lines[0] and "exploring" not in lines[1]
    assert "fitting the model" in err
    events = EventAccumulator(str(out))
    events.Reload()
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [(e.step, round(e.value, 3)) for e in events.Scalars("eval/return_mean")] == [
        (r["env_steps"], round(r["eval/return_mean"], 3)) for r in records]
    assert "model/holdout_mse" in events.Tags()["scalars"]


def test_the_deterministic_model_ablation(capsys: Capture, tmp_path: Path) -> None:
    """--model deterministic: recorded in config.json, holdout MSE logged, no likelihood (null
    NLL), and validate refuses the run saying why (its TV is 1 by definition)."""
    out = tmp_path / "det"
    code, _, err = train(capsys, "--steps", "400", "--threads", "1", "--out", str(out),
                         "--model", "deterministic", "--quiet", *TINY)
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["config"]["model"] == "deterministic"
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert all(r["model/holdout_nll"] is None and r["model/holdout_mse"] > 0 for r in records)
    assert assert_strict_json(out) >= 2  # the undefined NLL is null: metrics.jsonl, config.json
    code = main(["validate", "--run", str(out), "--episodes", "3", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and "--run" in err and "deterministic" in err and "1 by definition" in err
