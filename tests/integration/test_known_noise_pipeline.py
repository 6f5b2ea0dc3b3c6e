"""The whole known-noise pipeline through the CLI, on one tiny run: the measured TV reaches the
theory.

One tiny InvertedPendulum-v5 run with known Gaussian noise (--transition-noise/--reward-noise
0.05) goes through ``train`` -> ``measure-generalization --run`` (2 sizes, 2 seeds) ->
``optimal-k --from results.json`` -> ``validate --run``, as ``make demo`` chains them. Checked:
measure-generalization measures a true TV (not the NLL proxy, not the 1-by-definition of a
deterministic simulator) and writes it, with the TV slope, as ``optimal_k_inputs``;
optimal-k uses exactly those numbers; validate feeds the theorems the measured sup over time
of the TV. The commands are tested one by one in test_cli_generalization.py and
test_cli_validate.py; this test covers the hand-offs between them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.cli import main
from tests.tiny import TINY_TRAIN

#: Known noise of the run (both the transition and the reward noise std).
NOISE = "0.05"
#: 400 real steps of the shared tiny settings (tests/tiny.py): epochs 0 and 1, so validate
#: has a pair.
TRAIN = ["--env", "InvertedPendulum-v5", "--steps", "400", "--transition-noise", NOISE,
         "--reward-noise", NOISE, *TINY_TRAIN]
#: As TINY_MEASURE in test_cli_generalization.py, with two seeds.
MEASURE = ["--train-size", "300,600", "--repetitions", "2", "--snapshots", "3",
           "--eval-steps", "150", "--max-updates", "150", "--check-every", "5", "--kl-min", "0.002",
           "--kl-max", "0.02",
           "--rollout-batch-size", "200", "--tv-samples", "16", "--device", "cpu", "--threads", "1"]
#: As FAST in test_cli_validate.py.
VALIDATE = ["--episodes", "10", "--model-starts", "50", "--device", "cpu", "--threads", "1"]


def _json_of(capsys: pytest.CaptureFixture[str], args: list[str],
             codes: tuple[int, ...] = (0,)) -> dict:
    code = main(args)
    out, err = capsys.readouterr()
    assert code in codes, err
    return json.loads(out)


def test_measured_tv_flows_from_measure_generalization_to_optimal_k_and_validate(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run, gen = tmp_path / "run", tmp_path / "gen"
    assert main(["train", "--out", str(run), *TRAIN]) == 0
    capsys.readouterr()

    # measure-generalization: the TV is the primary measure and the theory inputs are TVs.
    printed = _json_of(capsys, ["measure-generalization", "--run", str(run), "--out", str(gen),
                                "--json", *MEASURE])
    results = json.loads((gen / "results.json").read_text())
    assert printed["optimal_k_inputs"] == results["optimal_k_inputs"]
    assert results["source"]["transition_noise"] == results["source"]["reward_noise"] == 0.05
    assert results["model_error"]["tv_available"] is True
    assert results["model_error"]["primary"] == "tv"
    inputs = results["optimal_k_inputs"]
    assert inputs["slope_measure"] == "tv" and "mean TV" in inputs["source"]
    smallest = min(results["sizes"], key=lambda s: s["train_size"])
    assert inputs["train_size"] == smallest["train_size"] == 300
    # eps_m is the mean over seeds of the TV measured at pi_D, not 1 by definition ...
    tv_at_pi_d = [seed["points"][0]["tv_mean"] for seed in smallest["seeds"]]
    assert len(tv_at_pi_d) == 2
    assert [seed["points"][0]["policy"] for seed in smallest["seeds"]] == ["pi_D", "pi_D"]
    assert smallest["eps_m_at_pi_d"]["tv"]["values"] == tv_at_pi_d
    assert inputs["eps_m"] == pytest.approx(sum(tv_at_pi_d) / 2, rel=1e-12)
    assert 0.0 < inputs["eps_m"] < 1.0
    # ... and the slope is the TV's local slope (a proxy's slope would not be reported here;
    # a deterministic simulator's would be exactly 0).
    assert inputs["slope"] == smallest["slopes"]["tv"]["pinsker_tv"][inputs["slope_kind"]]["mean"]
    assert inputs["slope"] != 0.0
    assert 0.0 < inputs["eps_pi"] <= 1.0

    # The paper's claim, the slope falls with more data: per repetition, slope(600) - slope(300)
    # of the TV's fit, with its verdict.
    trend = next(t for t in results["slope_trends"] if (t["measure"], t["kind"]) == ("tv",
                                                                                  "linear"))
    by_size = {s["train_size"]: s for s in results["sizes"]}
    expected = [by_size[600]["seeds"][i]["fits"]["tv"]["pinsker_tv"]["linear"]["slope"]
                - by_size[300]["seeds"][i]["fits"]["tv"]["pinsker_tv"]["linear"]["slope"]
                for i in range(2)]
    assert (trend["small"], trend["large"]) == (300, 600)
    assert trend["differences"] == pytest.approx(expected, rel=1e-12)
    assert trend["mean"] == pytest.approx(sum(expected) / 2, rel=1e-12)
    assert trend["verdict"] == ("falls" if trend["ci_high"] < 0 else "rises"
                                if trend["ci_low"] > 0 else "not settled")
    assert {t["measure"] for t in results["slope_trends"]} == {"tv", "nll", "mse"}

    # optimal-k --from: exactly those numbers.
    k_doc = _json_of(capsys, ["optimal-k", "--from", str(gen / "results.json"), "--json"])
    assert (k_doc["eps_m"], k_doc["eps_pi"], k_doc["slope"]) == \
        (inputs["eps_m"], inputs["eps_pi"], inputs["slope"])
    assert k_doc["from"] == inputs["source"]
    assert k_doc["eps_model_shifted"] == pytest.approx(
        min(1.0, max(0.0, inputs["eps_m"] + inputs["eps_pi"] * inputs["slope"])))
    assert k_doc["k_star"] is not None
    # optimal-k --from --train-size: the same inputs, derived at the other size's record.
    largest = max(results["sizes"], key=lambda s: s["train_size"])
    k_600 = _json_of(capsys, ["optimal-k", "--from", str(gen / "results.json"),
                              "--train-size", "600", "--json"])
    assert "training size 600" in k_600["from"]
    assert k_600["eps_m"] == pytest.approx(
        sum(largest["eps_m_at_pi_d"]["tv"]["values"]) / 2, rel=1e-12)
    kind = "local" if largest["slopes"]["tv"]["pinsker_tv"]["local"] else "linear"
    assert k_600["slope"] == largest["slopes"]["tv"]["pinsker_tv"][kind]["mean"]

    # validate --run: eps_m and eps_m' are the measured sup over time of the TV.
    v_doc = _json_of(capsys, ["validate", "--run", str(run), "--out", str(tmp_path / "val"),
                              "--json", *VALIDATE], codes=(0, 1))
    assert v_doc["tv_available"] is True and v_doc["tv_unavailable_reason"] is None
    (pair,) = v_doc["pairs"]
    bound_inputs, errors = pair["inputs"], pair["model_error"]
    for eps, policy, source_key in (("eps_m", "pi_d", "eps_m_source"),
                                    ("eps_model_shifted", "pi", "eps_model_shifted_source")):
        assert bound_inputs[source_key] == "tv_sup_over_time_upper"
        sup = errors[policy]["sup_over_time"]
        assert sup["measure"] == "tv"
        assert bound_inputs[eps] == min(1.0, max(0.0, sup["sup_upper"]))
        assert sup["sup_mean"] <= sup["sup_upper"]
        # A measured TV, not the deterministic 1 (the upper bound of a tiny model may be 1).
        assert 0.0 < sup["sup_mean"] < 1.0 and 0.0 < bound_inputs[eps] <= 1.0
