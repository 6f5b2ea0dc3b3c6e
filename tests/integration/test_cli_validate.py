"""``boundcheck validate`` end to end on miniature Pendulum-v1 runs, and its bad inputs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.codec import loads
from boundcheck.experiments.validate.results import ValidationResult
from boundcheck.theory.bounds import theorem_4_1, theorem_4_2, theorem_4_3
from boundcheck.theory.verdict import Verdict
from tests.strict_json import assert_strict_json
from tests.tiny import TINY_TRAIN

FAST = ["--episodes", "3", "--model-starts", "50", "--device", "cpu", "--threads", "1"]
PNG = b"\x89PNG\r\n\x1a\n"


def _train(root: Path, name: str, *extra: str) -> Path:
    out = root / name
    assert main(["train", "--env", "Pendulum-v1", "--out", str(out), *TINY_TRAIN, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("val-runs")
    return {
        "mbpo": _train(root, "mbpo", "--steps", "500"),  # epochs 0, 1, 2
        # models at epochs 0 and 2 (the stride) only
        "stride": _train(root, "stride", "--steps", "500", "--set", "model_checkpoint_stride=2"),
        "sac": _train(root, "sac", "--steps", "400", "--algo", "sac"),
    }


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_end_to_end(capsys, tmp_path: Path, runs: dict[str, Path]) -> None:
    out = tmp_path / "val"
    code, stdout, err = validate(capsys, "--run", str(runs["mbpo"]), "--out", str(out), "--json",
                                 *FAST)
    assert code == 0, err
    doc = json.loads(stdout)
    saved = json.loads((out / "validation.json").read_text())
    assert saved["format"] == "boundcheck-validation"
    assert assert_strict_json(out) == 1 and loads(stdout) == saved  # every file validate writes
    assert (out / "validation.png").read_bytes().startswith(PNG)
    (pair,) = doc["pairs"]
    assert (pair["data_epoch"], pair["epoch"]) == (1, 2)  # the last two epochs
    assert [b["gamma"] for b in pair["by_gamma"]] == [0.99, 0.95, 0.9]
    assert pair["inputs"]["eps_m"] == 1.0  # deterministic simulator: TV is 1
    assert pair["inputs"]["eps_m_source"] == "deterministic_simulator"
    assert doc["tv_available"] is False and "deterministic" in doc["tv_unavailable_reason"]
    assert 0.0 <= pair["inputs"]["eps_pi"] <= 1.0 and pair["inputs"]["r_max"] > 0
    inputs, k = pair["inputs"], pair["k"]
    for block in pair["by_gamma"]:
        g = block["gamma"]
        expected = {
            "4.1": theorem_4_1(g, inputs["r_max"], inputs["eps_m"], inputs["eps_pi"]),
            "4.2": theorem_4_2(g, inputs["r_max"], inputs["eps_m"], inputs["eps_pi"], k),
            "4.3": theorem_4_3(g, inputs["r_max"], inputs["eps_model_shifted"], inputs["eps_pi"],
                               k),
        }
        for name, t in block["theorems"].items():
            assert t["C"] == pytest.approx(expected[name].total)
            ref = block["returns"]["eta_model" if name == "4.1" else "eta_branch"]
            assert t["lower_bound"]["mean"] == pytest.approx(ref["mean"] - t["C"])
            assert t["slack"]["mean"] == pytest.approx(
                block["returns"]["eta"]["mean"] - t["lower_bound"]["mean"])
            # eps = 1 (deterministic simulator): every bound is far from informative
            assert t["verdict"] == "holds" and not t["informative"]
    assert pair["episode_length_mean"]["pi"] == 200.0  # Pendulum: time limit only


def test_user_inputs_and_all_epochs(capsys, tmp_path: Path, runs: dict[str, Path]) -> None:
    out = tmp_path / "all"
    code, stdout, err = validate(capsys, "--run", str(runs["mbpo"]), "--all-epochs", "--json",
                                 "--eps-m", "0.01", "--r-max", "20", "--gamma", "0.9", "--k", "2",
                                 "--eps-pi-stat", "p95", "--out", str(out), *FAST)
    assert code == 0, err  # a p95 eps_pi is no theorem test: never exit 1
    doc = json.loads(stdout)
    assert doc["any_violated"] is False and any("p95" in w for w in doc["warnings"])
    assert [(p["data_epoch"], p["epoch"]) for p in doc["pairs"]] == [(0, 1), (1, 2)]
    for pair in doc["pairs"]:
        assert pair["k"] == 2 and pair["inputs"]["r_max"] == 20
        assert pair["inputs"]["eps_m"] == pair["inputs"]["eps_model_shifted"] == 0.01
        assert pair["inputs"]["eps_model_shifted_source"] == "given (--eps-m)"
        assert [b["gamma"] for b in pair["by_gamma"]] == [0.9]
    assert (out / "validation.png").read_bytes().startswith(PNG)
    # the same pair measured alone gives the same numbers (streams derive from the pair)
    code, alone, err = validate(capsys, "--run", str(runs["mbpo"]), "--data-epoch", "0", "--json",
                                "--eps-m", "0.01", "--r-max", "20", "--gamma", "0.9", "--k", "2",
                                "--eps-pi-stat", "p95", "--out", str(tmp_path / "one"), *FAST)
    assert code == 0, err
    assert json.loads(alone)["pairs"][0]["by_gamma"] == doc["pairs"][0]["by_gamma"]


def _with_4_2_violated(result: ValidationResult) -> ValidationResult:
    """``result`` with Theorem 4.2 at the first γ of the first pair violated."""
    pair = result.pairs[0]
    block = pair.by_gamma[0]
    theorems = tuple(replace(t, result=replace(t.result, verdict=Verdict.VIOLATED))
                     if t.theorem == "4.2" else t for t in block.theorems)
    by_gamma = (replace(block, theorems=theorems), *pair.by_gamma[1:])
    return replace(result, pairs=(replace(pair, by_gamma=by_gamma), *result.pairs[1:]))


def test_a_violation_exits_1(capsys, tmp_path: Path, runs: dict[str, Path], monkeypatch) -> None:
    import boundcheck.experiments.validate.outputs as validate_module  # validate_into's name

    real = validate_module.run_validation
    monkeypatch.setattr(validate_module, "run_validation",
                        lambda *args, **kwargs: _with_4_2_violated(real(*args, **kwargs)))
    code, stdout, err = validate(capsys, "--run", str(runs["mbpo"]), "--out", str(tmp_path),
                                 *FAST)
    assert code == 1 and "violated" in stdout and "VIOLATED" in err
    doc = json.loads((tmp_path / "validation.json").read_text())
    assert doc["any_violated"] is True
    assert doc["pairs"][0]["by_gamma"][0]["theorems"]["4.2"]["verdict"] == "violated"


@pytest.mark.parametrize(("args", "option"), [
    (["--run", "/nonexistent/run"], "--run"),
    (["--data-epoch", "7"], "--data-epoch"),
    (["--epoch", "9"], "--epoch"),
    (["--gamma", "1.5"], "--gamma"),
    (["--gamma", "0"], "--gamma"),
    (["--episodes", "1"], "--episodes"),
    (["--eps-m", "2"], "--eps-m"),
    (["--eps-m-shifted", "-0.5"], "--eps-m-shifted"),
    (["--r-max", "-1"], "--r-max"),
    (["--eps-pi-stat", "median"], "--eps-pi-stat"),
    (["--confidence", "1"], "--confidence"),
    (["--bucket-width", "0"], "--bucket-width"),
    (["--policy-mc", "0"], "--policy-mc"),
    (["--all-epochs", "--epoch", "1"], "--all-epochs"),
    (["--ladder", "3"], "--ladder"),
    (["--ladder-episodes", "1"], "--ladder-episodes"),
])
def test_bad_inputs_exit_2(capsys, runs: dict[str, Path], args: list[str], option: str) -> None:
    extra = [] if "--run" in args else ["--run", str(runs["mbpo"])]
    code, _, err = validate(capsys, *extra, *args)
    assert code == 2, err
    assert err.count("\n") == 1 and option in err and "Traceback" not in err


def test_default_pair_skips_epochs_without_a_model(capsys, tmp_path: Path,
                                                   runs: dict[str, Path]) -> None:
    code, stdout, err = validate(capsys, "--run", str(runs["stride"]), "--json",
                                 "--out", str(tmp_path), *FAST)
    assert code == 0, err
    pair = json.loads(stdout)["pairs"][0]
    assert (pair["data_epoch"], pair["epoch"]) == (0, 1)  # epoch 1 keeps no model


def test_runs_without_a_model_are_refused(capsys, tmp_path: Path, runs: dict[str, Path]) -> None:
    code, _, err = validate(capsys, "--run", str(runs["stride"]), "--data-epoch", "1",
                            "--out", str(tmp_path))
    assert code == 2 and "--data-epoch" in err and "no model checkpoint" in err
    code, _, err = validate(capsys, "--run", str(runs["sac"]))
    assert code == 2 and "'sac' run" in err


def test_existing_results_need_force(capsys, tmp_path: Path, runs: dict[str, Path]) -> None:
    out = tmp_path / "twice"
    assert validate(capsys, "--run", str(runs["mbpo"]), "--out", str(out), "--quiet", *FAST)[0] == 0
    code, _, err = validate(capsys, "--run", str(runs["mbpo"]), "--out", str(out), *FAST)
    assert code == 2 and "--force" in err


def test_known_noise_gives_a_measured_tv(capsys, tmp_path: Path) -> None:
    run = tmp_path / "ip"
    assert main(["train", "--env", "InvertedPendulum-v5", "--out", str(run), *TINY_TRAIN,
                 "--steps", "400", "--transition-noise", "0.05", "--reward-noise", "0.05"]) == 0
    code, stdout, err = validate(capsys, "--run", str(run), "--json", "--out", str(tmp_path / "v"),
                                 *FAST, "--episodes", "10")
    assert code in (0, 1), err
    doc = json.loads(stdout)
    assert doc["tv_available"] is True and doc["tv_unavailable_reason"] is None
    inputs = doc["pairs"][0]["inputs"]
    assert inputs["eps_m_source"] == inputs["eps_model_shifted_source"] == "tv_sup_over_time_upper"
    assert 0.0 < inputs["eps_m"] <= 1.0 and 0.0 < inputs["eps_model_shifted"] <= 1.0
    errors = doc["pairs"][0]["model_error"]
    # The verdicts use the upper confidence bound on the sup over time, above its point value.
    sup = errors["pi_d"]["sup_over_time"]
    assert sup["sup_upper"] == pytest.approx(inputs["eps_m"])
    assert sup["sup_mean"] <= sup["sup_upper"] and sup["episodes"] == 10
    # With fewer episodes than a step needs (10), the mean TV is used and says so.
    few = json.loads(validate(capsys, "--run", str(run), "--json", "--out",
                              str(tmp_path / "v3"), *FAST)[1])
    assert few["pairs"][0]["inputs"]["eps_m_source"] == "tv_mean"
    # The largest informative gamma agrees with every gamma's verdict on informativeness.
    limits = doc["pairs"][0]["informative_gamma"]
    assert set(limits) == {"4.1", "4.2", "4.3"}
    for block in doc["pairs"][0]["by_gamma"]:
        for thm, check in block["theorems"].items():
            below = limits[thm] is not None and block["gamma"] < limits[thm]
            assert check["informative"] == below, (thm, block["gamma"], limits[thm])
    # Ladder rung 2a from the same eps_m': below the range at every gamma, and at most half the
    # range exactly for the gammas up to the largest one reported.
    half = doc["pairs"][0]["ladder_gamma_at_half"]["rung_2a"]
    for block in doc["pairs"][0]["by_gamma"]:
        rung = block["ladder"]["rung_2a"]
        assert 0.0 <= rung["fraction"] < 1.0
        assert (rung["fraction"] <= 0.5 + 1e-9) == (half is not None and block["gamma"] <= half)


def test_the_ladder_option(capsys, tmp_path: Path, runs: dict[str, Path]) -> None:
    """--ladder all: rungs 2a-2c and 5 on the newest pair of a known-noise run, in the JSON and
    on screen; on a deterministic simulator both are reported as not measurable."""
    run = tmp_path / "ip"
    assert main(["train", "--env", "InvertedPendulum-v5", "--out", str(run), *TINY_TRAIN,
                 "--steps", "400", "--transition-noise", "0.05", "--reward-noise", "0.05"]) == 0
    code, stdout, err = validate(capsys, "--run", str(run), "--json", "--out",
                                 str(tmp_path / "v"), *FAST, "--ladder", "all",
                                 "--ladder-episodes", "2")
    assert code in (0, 1), err
    doc = json.loads(stdout)
    ladder = doc["ladder_measured"]
    assert doc["settings"]["ladder"] == "all" and ladder["not_measurable"] == {}
    assert (ladder["data_epoch"], ladder["epoch"]) == (doc["pairs"][-1]["data_epoch"],
                                                       doc["pairs"][-1]["epoch"])
    assert [g["gamma"] for g in ladder["rung_2"]["gammas"]] == [0.99, 0.95, 0.9]
    assert [g["gamma"] for g in ladder["rung_5"]["gammas"]] == [0.99, 0.95, 0.9]
    for g in ladder["rung_2"]["gammas"]:
        assert 0.0 <= g["rung_2c"]["point"] <= 1.0 and g["eta"]["n"] == 2
    code, stdout, err = validate(capsys, "--run", str(run), "--out", str(tmp_path / "v2"),
                                 *FAST, "--ladder", "2", "--ladder-episodes", "2")
    assert code in (0, 1), err
    assert "bound ladder on epochs" in stdout and "rung 2a" in stdout and "rung 5" not in stdout
    code, stdout, err = validate(capsys, "--run", str(runs["mbpo"]), "--json", "--out",
                                 str(tmp_path / "v3"), *FAST, "--ladder", "all",
                                 "--ladder-episodes", "2")
    assert code == 0, err
    reasons = json.loads(stdout)["ladder_measured"]["not_measurable"]
    assert set(reasons) == {"rung_2", "rung_5"}
    assert "deterministic" in reasons["rung_2"] and "noise" in reasons["rung_5"]


def test_a_tampered_model_is_refused_in_one_line(capsys, tmp_path: Path,
                                                 runs: dict[str, Path]) -> None:
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(runs["mbpo"], run)
    model = run / "checkpoints" / "epoch_0001" / "model.pt"
    model.write_bytes(model.read_bytes()[:-10] + b"0123456789")
    code, _, err = validate(capsys, "--run", str(run), "--out", str(tmp_path / "v"), "--quiet",
                            *FAST)
    assert code == 2 and err.count("\n") == 1  # a damaged file is bad input, as everywhere
    assert "--run" in err and "model.pt" in err and "checksum" in err
    assert "unexpected" not in err and "Traceback" not in err
    assert not (tmp_path / "v").exists()  # nothing written
