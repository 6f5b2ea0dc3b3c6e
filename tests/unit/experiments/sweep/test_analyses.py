"""The sweep report's validate block: verdict counts and the measured ε's over the runs."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest

from boundcheck.codec import dumps, loads
from boundcheck.experiments.sweep.analyses import analyses_json, slopes_by_size, verdict_counts
from boundcheck.experiments.sweep.followons import (
    GENERALIZATION_DIR,
    GENERALIZATION_FILE,
    VALIDATE_DIR,
    VALIDATE_FILE,
)
from boundcheck.inputs import InputError
from tests.unit.experiments.generalization.factories import outcome

#: A real validation document (written before the strict codec: it holds NaN tokens).
TEMPLATE = (Path(__file__).parents[4] / "docs" / "results" / "data"
            / "noise_hopper_s0.01_seed0_validate_all_epochs.json")


@functools.cache
def _template() -> dict[str, Any]:
    doc: dict[str, Any] = loads(TEMPLATE.read_text(), allow_nan=True)
    return doc


def _pair(eps_model: float, eps_policy: float, mean_pi: float, tv: float | None,
          gamma_41: float | None, verdict: str = "holds") -> dict[str, Any]:
    pair: dict[str, Any] = copy.deepcopy(_template()["pairs"][-1])
    pair["k"] = 1
    pair["inputs"].update(eps_m=eps_model, eps_model_shifted=eps_model / 2, eps_pi=eps_policy)
    pair["policy_shift"]["stats"]["pinsker_min"]["mean"]["value"] = mean_pi
    pair["model_error"]["pi_d"].update(tv_mean=tv, nll_mean=-3.0, mse_mean=0.01)
    pair["informative_gamma"] = {"4.1": gamma_41, "4.2": None, "4.3": 0.5}
    block = pair["by_gamma"][0]
    pair["by_gamma"] = [{**block, "gamma": 0.99,
                         "theorems": {"4.1": {**block["theorems"]["4.1"], "verdict": verdict}}}]
    return pair


def _run(root: Path, name: str, *pairs: dict[str, Any]) -> Path:
    run = root / name
    (run / VALIDATE_DIR).mkdir(parents=True)
    doc = {**_template(), "pairs": list(pairs)}
    (run / VALIDATE_DIR / VALIDATE_FILE).write_text(dumps(doc))
    return run


def test_measured_values_come_from_each_runs_newest_pair(tmp_path: Path) -> None:
    runs = [
        _run(tmp_path, "a", _pair(1.0, 1.0, 0.9, None, None, "violated"),
             _pair(0.4, 0.6, 0.1, 0.35, 0.3)),
        _run(tmp_path, "b", _pair(0.6, 0.8, 0.3, 0.55, None)),
        tmp_path / "no-validation-yet",
    ]
    counts = verdict_counts(runs)
    assert counts is not None and counts.runs == 2
    assert counts.counts == {"4.1 @ γ=0.99": {"violated": 1, "holds": 2}}
    m = counts.measured
    assert m["eps_m"].values == (0.4, 0.6) and m["eps_m"].mean == pytest.approx(0.5)
    assert m["eps_model_shifted"].mean == pytest.approx(0.25)
    assert m["eps_pi"].values == (0.6, 0.8) and m["eps_pi_mean"].values == (0.1, 0.3)
    assert m["tv_mean_pi_d"].values == (0.35, 0.55)
    assert m["gamma_star_4.1"].values == (0.3, 0.0)  # None: informative at no gamma > 0
    assert m["gamma_star_4.3"].values == (0.5, 0.5) and "gamma_star_4.2" in m
    # What-if with the mean shift, Theorem 4.1's closed form (1 - 2 eps_pi)/(1 + eps_m):
    assert m["gamma_star_4.1_if_eps_pi_mean"].values == pytest.approx(
        ((1 - 2 * 0.1) / 1.4, (1 - 2 * 0.3) / 1.6), abs=1e-8)
    doc = analyses_json(counts, [])["validate"]
    assert doc["measured"]["eps_m"]["values"] == [0.4, 0.6]
    assert doc["measured"]["eps_m"]["ci_low"] < 0.5 < doc["measured"]["eps_m"]["ci_high"]


def test_a_quantity_no_run_has_is_left_out(tmp_path: Path) -> None:
    counts = verdict_counts([_run(tmp_path, "a", _pair(1.0, 1.0, 0.5, None, None))])
    assert counts is not None
    assert "tv_mean_pi_d" not in counts.measured  # deterministic task: no TV measured
    assert counts.measured["eps_m"].n == 1


def _generalization(run: Path, text: str) -> Path:
    (run / GENERALIZATION_DIR).mkdir(parents=True)
    (run / GENERALIZATION_DIR / GENERALIZATION_FILE).write_text(text)
    return run


def test_slopes_are_read_through_the_results_reader(tmp_path: Path) -> None:
    text = dumps(outcome(tmp_path).document)
    runs = [_generalization(tmp_path / "a", text), _generalization(tmp_path / "b", text),
            tmp_path / "not-measured"]
    rows = slopes_by_size(runs)
    assert [r.train_size for r in rows] == [300, 600] and rows[0].measure == "tv"
    assert rows[0].per_run["linear"] == (3.0, 3.0)  # each run's mean slope over its seeds
    summary = rows[0].summary["linear"]
    assert summary is not None and summary.n == 2 and summary.mean == pytest.approx(3.0)


@pytest.mark.parametrize(("text", "needle"), [
    ("{damaged", "is not valid JSON"), ('{"format": "boundcheck-validation"}', "not a "
                                                                            "boundcheck-generalization"),
])
def test_a_damaged_result_names_its_file(tmp_path: Path, text: str, needle: str) -> None:
    run = _generalization(tmp_path / "a", text)
    with pytest.raises(InputError) as caught:
        slopes_by_size([run])
    assert caught.value.where == str(run / GENERALIZATION_DIR / GENERALIZATION_FILE)
    assert "not a measure-generalization result" in caught.value.detail
    assert needle in caught.value.detail
