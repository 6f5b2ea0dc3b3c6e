"""``boundcheck measure-generalization`` end to end on a miniature run (tiny sizes, few updates).

One tiny Pendulum-v1 run (deterministic simulator: NLL/MSE proxies) and one tiny
InvertedPendulum-v5 run with known noise (the TV path) are trained once per module.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.codec import decode, encode, loads
from boundcheck.experiments.generalization.results import GeneralizationDocument
from tests import tiny

#: The shared tiny training settings (tests/tiny.py), 400 real steps: 2 epochs.
TINY_TRAIN = ["--steps", "400", *tiny.TINY_TRAIN]
TINY_MEASURE = ["--train-size", "300,600", "--snapshots", "3", "--eval-steps", "150",
                "--max-updates", "150", "--check-every", "5", "--kl-min", "0.002",
                "--kl-max", "0.02", "--rollout-batch-size", "200", "--tv-samples", "16",
                "--device", "cpu", "--threads", "1"]
PNG = b"\x89PNG\r\n\x1a\n"


def _train(tmp: Path, name: str, *extra: str) -> Path:
    out = tmp / name
    code = main(["train", "--env", extra[0], "--out", str(out), *TINY_TRAIN, *extra[1:]])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def pendulum_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("runs"), "pendulum", "Pendulum-v1")


def measure(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["measure-generalization", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_end_to_end(capsys, tmp_path: Path, pendulum_run: Path, monkeypatch) -> None:
    out = tmp_path / "gen"
    code, stdout, err = measure(capsys, "--run", str(pendulum_run), "--out", str(out),
                                "--json", *TINY_MEASURE)
    assert code == 0, err
    # One seed: the standard deviations over seeds are undefined, and every JSON file written
    # (and the --json document) is strict JSON all the same.
    doc = loads(stdout)
    saved = loads((out / "results.json").read_text())
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert {"results.json", "points.csv", "model_error_vs_kl.png", "slope_vs_size.png"} <= \
        set(written)
    assert [name for name in written if name.endswith(".json")] == ["results.json"]
    assert all(name.endswith((".csv", ".png", ".pt", ".json", ".lock")) for name in written)
    assert saved["settings"]["seeds"] == 1
    assert saved["sizes"][0]["slopes"]["nll"]["pinsker_tv"]["local"]["std"] is None
    for key in ("format", "source", "settings", "model_error", "sizes", "optimal_k_inputs",
                "versions", "warnings", "files"):
        assert key in doc and key in saved
    assert saved["source"]["env"] == "Pendulum-v1" and saved["source"]["epoch"] == 1
    assert saved["model_error"]["tv_available"] is False
    assert "deterministic" in saved["model_error"]["tv_unavailable_reason"]
    assert [s["train_size"] for s in saved["sizes"]] == [300, 600]
    for size in saved["sizes"]:
        points = size["seeds"][0]["points"]
        assert points[0]["policy"] == "pi_D" and points[0]["kl_mean"] == 0.0
        assert 2 <= len(points) <= 4
        assert all(p["kl_mean"] > 0 for p in points[1:])
        assert size["slopes"]["nll"]["pinsker_tv"]["local"] is not None
        assert size["eps_m_at_pi_d"]["nll"]["mean"] == points[0]["nll_mean"]
    inputs = saved["optimal_k_inputs"]
    assert inputs["eps_m"] == 1.0 and inputs["slope_measure"] == "nll"
    assert 0.0 <= inputs["eps_pi"] <= 1.0
    for name in ("model_error_vs_kl.png", "slope_vs_size.png"):
        assert (out / name).read_bytes()[:8] == PNG
    with (out / "points.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(s["seeds"][0]["points"]) for s in saved["sizes"])
    assert rows[0]["policy"] == "pi_D" and rows[0]["tv_mean"] == ""
    assert (out / saved["files"]["snapshots"][0]).is_file()
    model = saved["sizes"][0]["seeds"][0]["model"]
    assert "holdout_mse" in model and "val_loss" not in model
    # The saved document reads back into the typed result, and writes back the same.
    assert encode(decode(GeneralizationDocument, saved)) == \
        {k: v for k, v in saved.items() if k != "files"}

    assert main(["optimal-k", "--from", str(out / "results.json"), "--json"]) == 0
    k_doc = json.loads(capsys.readouterr().out)
    assert k_doc["k_star"] is not None and "measure-generalization" in k_doc["from"]

    # An existing result is not replaced without --force.
    code, _, err = measure(capsys, "--run", str(pendulum_run), "--out", str(out), "--quiet",
                           *TINY_MEASURE)
    assert code == 2 and "--out" in err and "--force" in err

    # Without --run, the newest run under ./runs is pi_D; same seed, same numbers.
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "tiny").symlink_to(pendulum_run, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    code, _, err = measure(capsys, "--out", "again", "--quiet", *TINY_MEASURE)
    assert code == 0, err
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    assert again["source"]["run"] == str(Path("runs") / "tiny")
    assert (tmp_path / "again" / "points.csv").read_text() == (out / "points.csv").read_text()


def test_model_fit_caps_are_applied_and_recorded(capsys, tmp_path: Path,
                                                 pendulum_run: Path) -> None:
    out = tmp_path / "capped"
    code, _, err = measure(capsys, "--run", str(pendulum_run), "--out", str(out), "--quiet",
                           "--model-max-epochs", "1", "--model-max-t", "1000", *TINY_MEASURE)
    assert code == 0, err
    saved = json.loads((out / "results.json").read_text())
    assert (saved["settings"]["model_max_epochs"], saved["settings"]["model_max_t"]) == (1, 1000)
    for size in saved["sizes"]:
        assert size["seeds"][0]["model"]["epochs"] == 1
        assert size["seeds"][0]["model"]["stop"] == "epoch_cap"


def test_known_noise_gives_tv(capsys, tmp_path: Path) -> None:
    run = _train(tmp_path, "ip", "InvertedPendulum-v5", "--transition-noise", "0.05",
                 "--reward-noise", "0.05")
    out = tmp_path / "gen"
    code, _, err = measure(capsys, "--run", str(run), "--out", str(out), "--quiet",
                           "--repetitions", "2", *TINY_MEASURE)
    assert code == 0, err
    doc = loads((out / "results.json").read_text())
    assert doc["model_error"]["tv_available"] is True and doc["model_error"]["primary"] == "tv"
    for size in doc["sizes"]:
        assert len(size["seeds"]) == 2
        for p in size["seeds"][0]["points"]:
            assert 0.0 <= p["tv_mean"] <= 1.0
        assert size["slopes"]["tv"]["pinsker_tv"]["linear"]["n"] == 2
    assert doc["optimal_k_inputs"]["slope_measure"] == "tv"
    assert main(["optimal-k", "--from", str(out / "results.json")]) == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--train-size", "abc"], "--train-size"),
        (["--train-size", "0"], "--train-size"),
        (["--train-size", "-5k"], "--train-size"),
        (["--train-size", "5k,,6k"], "--train-size"),
        (["--train-size", "2M"], "--train-size"),
        (["--train-size", "1"], "--train-size"),
        (["--train-size", "5k", "--repetitions", "0"], "--repetitions"),
        (["--train-size", "5k", "--kl-min", "2", "--kl-max", "1"], "--kl-min"),
        (["--train-size", "5k", "--device", "tpu"], "--device"),
        (["--train-size", "5k", "--epoch", "99"], "--epoch"),
        (["--train-size", "5k", "--run", "/nonexistent/run"], "--run"),
    ],
)
def test_bad_input_exit_2(capsys, pendulum_run: Path, args: list[str], needle: str) -> None:
    if "--run" not in args:
        args = [*args, "--run", str(pendulum_run)]
    code, _, err = measure(capsys, *args)
    assert code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_run_anywhere(capsys, tmp_path: Path, monkeypatch) -> None:
    from boundcheck.experiments.generalization import source

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(source, "reference_dir", lambda: tmp_path / "data" / "reference")
    code, _, err = measure(capsys, "--train-size", "5k")
    assert code == 2 and "--run" in err and "pass --run" in err


def test_reference_policy_is_the_fallback(tmp_path: Path, pendulum_run: Path) -> None:
    from boundcheck.experiments.generalization.source import resolve_source

    source = resolve_source(None, None, runs_root=tmp_path / "runs", reference_dir=pendulum_run)
    assert source.kind == "reference" and source.epoch == 1
    assert source.config.env == "Pendulum-v1" and "actor" in source.policy_state
    # The command's first line says which pi_D it measures, and why.
    from boundcheck.experiments.generalization.source import describe_source

    line = describe_source(source, given=False)
    assert str(pendulum_run) in line and "shipped reference" in line and "epoch 1" in line
    assert "no known noise" in line and "given by --run" in describe_source(source, given=True)


def test_the_shipped_reference_is_found_from_any_directory(tmp_path: Path, monkeypatch) -> None:
    from boundcheck.experiments.generalization.source import reference_dir

    data = Path(__file__).resolve().parents[2] / "data"
    monkeypatch.chdir(tmp_path)
    # With no run, the known-noise reference (a true TV); the deterministic one when named.
    assert reference_dir().resolve() == data / "reference-noise"
    assert reference_dir("reference").resolve() == data / "reference"


def test_the_shipped_reference_policy() -> None:
    """data/reference: a Hopper-v5 policy of >= 30k real steps, small, loadable without
    unpickling code, with its command, seed, git revision and evaluation return beside it."""
    from boundcheck.experiments.generalization.source import resolve_source

    ref = Path(__file__).resolve().parents[2] / "data" / "reference"
    source = resolve_source(None, None, runs_root=ref / "no-runs-here", reference_dir=ref)
    assert source.kind == "reference" and source.config.env == "Hopper-v5"
    readme, revision = _check_shipped_policy(ref, source, min_steps=30_000)
    assert revision[:7] in readme and "boundcheck train --env Hopper-v5" in readme


def test_the_shipped_known_noise_reference_policy() -> None:
    """data/reference-noise: a Hopper-v5 policy trained with known noise (so the experiment's
    model error is a true TV), small, loadable, with its command and provenance beside it."""
    from boundcheck.experiments.generalization.source import resolve_source

    ref = Path(__file__).resolve().parents[2] / "data" / "reference-noise"
    source = resolve_source(ref, None, runs_root=ref / "no-runs-here", reference_dir=ref)
    assert source.config.env == "Hopper-v5" and "actor" in source.policy_state
    assert source.config.transition_noise == source.config.reward_noise == 0.03
    readme, revision = _check_shipped_policy(ref, source, min_steps=15_000)
    assert revision in readme and "--transition-noise 0.03" in readme


def _check_shipped_policy(ref: Path, source, *, min_steps: int) -> tuple[str, str]:
    """A shipped policy's common checks: trained for at least ``min_steps``, under 5 MB, its
    README naming the seed and the last evaluation return. Returns (README, git revision)."""
    metrics = [json.loads(line) for line in (ref / "metrics.jsonl").read_text().splitlines()]
    last = next(m for m in metrics if m["epoch"] == source.epoch)
    assert last["env_steps"] >= min_steps
    assert sum(f.stat().st_size for f in ref.rglob("*") if f.is_file()) < 5_000_000
    readme = (ref / "README.md").read_text()
    assert f"--seed {source.run_seed}" in readme
    assert f"{last['eval/return_mean']:.1f}" in readme
    revision = json.loads((ref / "config.json").read_text())["provenance"]["git"]["revision"]
    return readme, revision
