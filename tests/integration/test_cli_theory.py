"""The theory commands end to end: outputs, JSON documents, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boundcheck.cli import main
from boundcheck.theory.instances import instance_to_dict, random_instance
from tests.strict_json import assert_strict_json


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)  # exactly one document


def test_optimal_k_paper_example(capsys) -> None:
    doc = run_json(capsys, "optimal-k", "--gamma", "0.99", "--eps-pi", "0.1", "--eps-m", "0.05")
    assert doc["k_star"] == 69
    assert doc["k_star_exhaustive"] == 69 and doc["closed_form_agrees"]
    assert set(doc) >= {"gamma", "eps_pi", "eps_m", "slope", "eps_model_shifted",
                        "eps_model_shifted_clipped", "k_star", "terms"}
    assert "eps_m_prime" not in doc  # one name per quantity
    assert [t["k"] for t in doc["terms"]] == list(range(139))
    totals = [t["total"] for t in doc["terms"]]
    assert min(totals) == totals[69]
    code, out, _ = run(capsys, "optimal-k", "--gamma", "0.99", "--eps-pi", "0.1", "--eps-m", "0.05")
    assert code == 0 and "k* = 69" in out


def test_optimal_k_says_when_the_bound_it_minimises_is_vacuous(capsys) -> None:
    """k* minimises the Theorem 4.3 bracket; at these errors even its minimum is far above the
    trivial range, and the command says so. The per-k table only with --table."""
    code, out, _ = run(capsys, "optimal-k", "--eps-pi", "0.3", "--eps-m", "0.1")
    assert code == 0 and "vacuous" in out and "bracket per k" not in out
    doc = run_json(capsys, "optimal-k", "--eps-pi", "0.3", "--eps-m", "0.1", "--json")
    assert doc["vacuous"] is True and doc["penalty_at_k_star"] > doc["trivial_range"]
    assert doc["trivial_range"] == pytest.approx(100.0)  # 1/(1 - gamma), units of 2 r_max
    assert len(doc["terms"]) == doc["k_max"] + 1  # the JSON keeps the whole table
    code, out, _ = run(capsys, "optimal-k", "--eps-pi", "0.3", "--eps-m", "0.1", "--table")
    assert "bracket per k" in out
    informative = run_json(capsys, "optimal-k", "--gamma", "0.5", "--eps-pi", "0.01",
                           "--eps-m", "0.001", "--json")
    assert informative["vacuous"] is False


def test_a_log_reads_as_plain_full_lines(capsys) -> None:
    """Output to a file or pipe is not laid out for 80 columns: a formula stays on the line of
    its answer, a long sentence is one line."""
    code, out, _ = run(capsys, "optimal-k", "--eps-pi", "0.1", "--eps-m", "0.05")
    assert code == 0
    assert any(line.endswith("ceil(68.9676) = 69") for line in out.splitlines())
    assert any(line.startswith("The bound is vacuous") and line.endswith("leans.")
               for line in out.splitlines())


def test_optimal_k_with_slope(capsys) -> None:
    doc = run_json(capsys, "optimal-k", "--eps-pi", "0.1", "--eps-m", "0.02", "--slope", "0.3",
                   "--k-max", "40")
    assert doc["eps_model_shifted"] == pytest.approx(0.05)
    assert doc["k_max"] == 40 and len(doc["terms"]) == 41


def test_optimal_k_by_ratio_and_plot(capsys, tmp_path: Path) -> None:
    fig = tmp_path / "k.png"
    doc = run_json(capsys, "optimal-k", "--gamma", "0.99", "--plot", str(fig))
    ratios = {round(r["ratio"], 2): r["k_star"] for r in doc["by_ratio"]}
    assert ratios[0.5] == 69 and ratios[1.0] == 0
    assert fig.stat().st_size > 1000 and fig.read_bytes()[:4] == b"\x89PNG"


def test_optimal_k_from_results_file(capsys, tmp_path: Path) -> None:
    res = tmp_path / "results.json"
    res.write_text(json.dumps({"optimal_k_inputs": {"eps_pi": 0.1, "eps_m": 0.02,
                                                    "slope": 0.3, "source": "test"}}))
    doc = run_json(capsys, "optimal-k", "--from", str(res))
    assert doc["eps_model_shifted"] == pytest.approx(0.05) and doc["from"] == "test"
    code, out, _ = run(capsys, "optimal-k", "--from", str(res))
    assert code == 0 and "from: test" in out  # the table shows what it was given, and whence
    assert "eps_pi = 0.1," in out and "eps_m = 0.02," in out and "= 0.3" in out


def test_bounds_json(capsys) -> None:
    doc = run_json(capsys, "bounds", "--gamma", "0.9", "--r-max", "1", "--eps-m", "0.1",
                   "--eps-pi", "0.05", "--k", "2")
    assert set(doc) >= {"gamma", "r_max", "eps_m", "eps_pi", "k", "eps_model_shifted",
                        "eps_model_shifted_clipped", "theorem_4_1", "theorem_4_2", "theorem_4_3"}
    assert doc["theorem_4_1"]["C"] == pytest.approx(38.0)
    assert doc["theorem_4_1"]["informative"] is False
    assert doc["eps_model_shifted"] == 0.1
    code, out, _ = run(capsys, "bounds", "--gamma", "0.9", "--r-max", "1", "--eps-m", "0.1",
                       "--eps-pi", "0.05")
    assert code == 0 and "4.3" in out and "informative" in out


def instance_file(tmp_path: Path, **changes) -> Path:
    doc = {**instance_to_dict(random_instance(np.random.default_rng(4))), **changes}
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(doc))
    return path


def test_verify_tabular_instance(capsys, tmp_path: Path) -> None:
    doc = run_json(capsys, "verify-tabular", "--instance", str(instance_file(tmp_path)),
                   "--out", str(tmp_path / "o"))
    assert doc["holds"] is True
    assert set(doc["ladder"]) == {"expected_tv_model", "expected_tv_branch",
                                  "expected_tv_data_branch", "coupling", "cpo", "cpo_saturated",
                                  "value_aware_model", "value_aware_true"}
    assert all(rung["holds"] for rung in doc["ladder"].values())
    for t in ("theorem_4_1", "theorem_4_2", "theorem_4_3"):
        assert set(doc[t]) >= {"C", "lower_bound", "holds", "slack"}
        assert doc[t]["slack"] == pytest.approx(doc["eta"] - doc[t]["lower_bound"])


def test_verify_tabular_sweep_saves_tightest(capsys, tmp_path: Path) -> None:
    out = tmp_path / "o"
    doc = run_json(capsys, "verify-tabular", "--mdps", "25", "--seed", "1", "--out", str(out))
    assert doc["instances"] == 25 and doc["total_violations"] == 0
    assert assert_strict_json(out) >= 3  # the tightest instance of each theorem
    path = Path(doc["tightest"]["theorem_4_3"]["file"])
    saved = json.loads(path.read_text())
    assert saved["theorem"] == "theorem_4_3"
    # The saved instance re-evaluates to the reported tightness.
    again = run_json(capsys, "verify-tabular", "--instance", str(path), "--out", str(out))
    assert again["theorem_4_3"]["tightness"] == pytest.approx(saved["tightness"])
    # The ladder's rungs are counted and get tightest instances too.
    assert doc["checks"]["coupling"] == 25 and doc["violations"]["cpo"] == 0
    rung = json.loads(Path(doc["tightest"]["expected_tv_data_branch"]["file"]).read_text())
    assert rung["theorem"] == "expected_tv_data_branch"


def test_verify_tabular_search_targets_one_rung(capsys, tmp_path: Path) -> None:
    doc = run_json(capsys, "verify-tabular", "--search", "tight", "--targets", "cpo",
                   "--max-evals", "50", "--out", str(tmp_path))
    assert list(doc["theorems"]) == ["cpo"]
    found = doc["theorems"]["cpo"]
    assert found["check"]["holds"] and found["tightness"] == pytest.approx(
        found["check"]["tightness"])


def test_verify_tabular_exit_1_on_violation(capsys, tmp_path: Path, monkeypatch) -> None:
    # Make every theorem penalty vanish: the sweep must then report violations and exit 1.
    import boundcheck.theory.checks as checks

    monkeypatch.setattr(checks, "theorem_4_1", lambda *a: type("P", (), {"total": 0.0})())
    code, _out, _ = run(capsys, "verify-tabular", "--mdps", "5", "--out", str(tmp_path))
    assert code == 1
    assert list(tmp_path.glob("counterexample_*_theorem_4_1.json"))


BAD_INPUTS = [
    (["bounds", "--gamma", "1.5", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "0.1"], "--gamma"),
    (["bounds", "--gamma", "abc", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "0.1"], "--gamma"),
    (["bounds", "--r-max", "1", "--eps-m", "1.1", "--eps-pi", "0.1"], "--eps-m"),
    (["bounds", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "-0.1"], "--eps-pi"),
    (["bounds", "--r-max", "-2", "--eps-m", "0.1", "--eps-pi", "0.1"], "--r-max"),
    (["bounds", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "0.1", "--k", "-1"], "--k"),
    (["bounds", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "0.1", "--slope", "inf"],
     "--slope"),
    (["bounds", "--r-max", "1", "--eps-pi", "0.1"], "--eps-m"),
    (["optimal-k", "--eps-pi", "0.1"], "--eps-m"),
    (["optimal-k", "--eps-pi", "0.1", "--eps-m", "0.05", "--k-max", "-3"], "--k-max"),
    (["optimal-k", "--gamma", "0"], "--gamma"),
    (["optimal-k", "--from", "/nonexistent/results.json"], "--from"),
    (["optimal-k", "--plot", "k.txt"], "--plot"),
    (["verify-tabular", "--mdps", "0"], "--mdps"),
    (["verify-tabular", "--search", "loose"], "--search"),
    (["verify-tabular", "--search", "tight", "--targets", "coupling,loose"], "--targets"),
    (["verify-tabular", "--instance", "/nonexistent.json"], "--instance"),
    (["no-such-command"], "no-such-command"),
]


@pytest.mark.parametrize(("args", "needle"), BAD_INPUTS)
def test_bad_input_exit_2_one_line(capsys, tmp_path: Path, args: list[str], needle: str) -> None:
    code, _out, err = run(capsys, *args, *(["--out", str(tmp_path)] if args[0] ==
                                           "verify-tabular" else []))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0] and "Traceback" not in err


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"gamma": 1.2}, "gamma"), ({"k": -2}, "k"), ({"mu0": [1.0]}, "mu0"),
     ({"pi": [[0.5, 0.6]]}, "pi")],
)
def test_bad_instance_file_names_field(capsys, tmp_path: Path, changes, field: str) -> None:
    path = instance_file(tmp_path, **changes)
    code, _, err = run(capsys, "verify-tabular", "--instance", str(path), "--out", str(tmp_path))
    assert code == 2 and f"{field}:" in err and len(err.strip().splitlines()) == 1


def test_a_table_shorter_than_k_star_does_not_claim_disagreement(capsys,
                                                                 tmp_path: Path) -> None:
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"optimal_k_inputs": {"eps_pi": 0.1, "eps_m": 0.05,
                                                    "slope": 0.0}}))
    doc = run_json(capsys, "optimal-k", "--from", str(res), "--k-max", "0")
    assert doc["k_star"] == 69 and doc["k_max"] == 0 and len(doc["terms"]) == 1
    assert doc["closed_form_agrees"] is None  # not checkable over 0..0, so not "false"
    doc = run_json(capsys, "optimal-k", "--eps-pi", "0.1", "--eps-m", "0")
    assert doc["k_star_unbounded"] and doc["closed_form_agrees"] is None


def test_bad_results_file(capsys, tmp_path: Path) -> None:
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"something": 1}))
    code, _, err = run(capsys, "optimal-k", "--from", str(res))
    assert code == 2 and "optimal_k_inputs" in err


def test_console_script_and_root_cli_delegate(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    for cmd in ([sys.executable, "-m", "boundcheck"], [sys.executable, str(root / "cli.py")]):
        proc = subprocess.run([*cmd, "optimal-k", "--eps-pi", "0.1", "--eps-m", "0.05",
                               "--json"], capture_output=True, text=True, cwd=tmp_path,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["k_star"] == 69
        bad = subprocess.run([*cmd, "bounds", "--gamma", "2", "--r-max", "1", "--eps-m", "0",
                              "--eps-pi", "0"], capture_output=True, text=True, cwd=tmp_path,
                             check=False)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_help_lists_commands(capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in ("bounds", "optimal-k", "verify-tabular"):
        assert name in out
