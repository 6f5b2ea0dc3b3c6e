"""validate's typed results on synthetic measurements: the checks, ``any_violated`` and the JSON
document (docs/validate.md), without a run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from boundcheck.codec import dumps, loads
from boundcheck.config import ConfigError
from boundcheck.experiments.common.measure import ModelErrorEstimate
from boundcheck.experiments.validate.document import (
    read_validation,
    validation_json,
    validation_record,
)
from boundcheck.experiments.validate.experiment import gammas_for
from boundcheck.experiments.validate.measure import PairMeasurements
from boundcheck.experiments.validate.results import (
    EnvSteps,
    EpsSource,
    ModelErrorInput,
    PolicyShiftSummary,
    RMaxSource,
    SourceInfo,
    ValidationResult,
    any_violated,
    theorem_checks,
)
from boundcheck.experiments.validate.returns import RewardPaths
from boundcheck.experiments.validate.settings import (
    BoundInputs,
    EpsPiStat,
    ValidateConfig,
)
from boundcheck.experiments.validate.source import EpochPair
from boundcheck.experiments.validate.theorems import pair_result
from boundcheck.theory.verdict import Verdict

ERROR = ModelErrorEstimate(n=20, nll_mean=1.0, nll_stderr=0.1, mse_mean=0.5, mse_stderr=0.05,
                           tv_mean=None, tv_stderr=None, tv_mc_stderr=None, sup_over_time=None)
STAT = {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0, "ci_method": "percentile"}


def _paths(reward: float, n: int = 8, steps: int = 5) -> RewardPaths:
    rng = np.random.default_rng(int(abs(reward)) + 1)
    return RewardPaths.from_lists([reward + 0.01 * rng.standard_normal(steps) for _ in range(n)])


def _measurements(real: float, model: float,
                  reward_bound: float | None = None) -> PairMeasurements:
    stats = {q: {s.value: STAT for s in EpsPiStat} for q in ("pinsker_min", "tv_mc")}
    return PairMeasurements(
        pair=EpochPair(3, 4), k=2, horizon=5, r_max_buffer=1.0, reward_bound=reward_bound,
        real_pi=_paths(real),
        real_pi_d=_paths(real), model_pi=_paths(model), branch=_paths(model),
        model_k_step=_paths(model), policy_shift=PolicyShiftSummary(10, 4, stats),
        model_error_pi_d=ERROR, model_error_pi=ERROR)


def _result(real: float, model: float, inputs: BoundInputs) -> ValidationResult:
    gammas = gammas_for(0.99)
    pair = pair_result(_measurements(real, model), gammas, inputs, EnvSteps(400, 500), 0.95)
    return ValidationResult(
        source=SourceInfo(Path("runs/x"), "Pendulum-v1", "mbpo", 1, {}, 4), gamma=0.99,
        gammas=gammas, settings=ValidateConfig(episodes=8), bounds=inputs, device="cpu",
        tv_unavailable_reason="deterministic", pairs=(pair,), warnings=pair.warnings,
        versions={})


def test_measured_inputs_and_their_sources() -> None:
    pair = _result(-1.0, -1.0, BoundInputs()).pairs[0]
    assert pair.inputs.eps_model == pair.inputs.eps_model_shifted == 1.0
    assert pair.inputs.eps_model_source is EpsSource.DETERMINISTIC_SIMULATOR
    # r_max is never below a reward the run has shown: the episodes' |r| ~ 1.01 beat the
    # buffer's 1.0 here.
    seen = max(float(abs(pair_paths).max()) for pair_paths in (
        _measurements(-1.0, -1.0).real_pi.rewards, _measurements(-1.0, -1.0).real_pi_d.rewards))
    assert pair.inputs.r_max == pytest.approx(max(1.0, seen)) and pair.inputs.r_max > 1.0
    assert pair.inputs.r_max_source is RMaxSource.OBSERVED
    task = pair_result(_measurements(-1.0, -1.0, reward_bound=16.0), gammas_for(0.99),
                       BoundInputs(), EnvSteps(1, 2), 0.95).inputs
    assert task.r_max == 16.0 and task.r_max_source is RMaxSource.TASK
    given = _result(-1.0, -1.0, BoundInputs(eps_model=0.1, r_max=2.0)).pairs[0].inputs
    assert given.eps_model_shifted_source is EpsSource.GIVEN_AS_EPS_M
    assert given.r_max_source is RMaxSource.GIVEN and given.eps_model_shifted == 0.1


def test_a_real_return_far_below_the_models_is_a_violation() -> None:
    tight = BoundInputs(eps_model=0.0, r_max=1.0)  # eps_pi = 0 too: C = 0
    result = _result(-1.0, 0.0, tight)
    assert result.checks == 3 * len(result.gammas) == 9
    assert all(t.verdict is Verdict.VIOLATED for t in theorem_checks(result))
    assert any_violated(result)
    # ε_π as a p95 over states is no test of a theorem: never "any violated"
    assert not any_violated(_result(-1.0, 0.0, BoundInputs(eps_model=0.0, r_max=1.0,
                                                           eps_pi_stat=EpsPiStat.P95)))
    assert not any_violated(_result(0.0, -1.0, tight))


def test_the_document_carries_plain_words() -> None:
    doc = validation_json(_result(-1.0, 0.0, BoundInputs(eps_model=0.0, r_max=1.0)))
    text = json.dumps(doc)
    assert json.loads(text) == doc
    assert doc["any_violated"] is True and doc["checks"] == 9 and not doc["tv_available"]
    (pair,) = doc["pairs"]
    assert pair["inputs"]["eps_model_shifted_source"] == "given (--eps-m)"
    assert pair["env_steps"] == {"data_epoch": 400, "epoch": 500}
    block = pair["by_gamma"][0]
    assert list(block["returns"]) == ["eta", "eta_model", "eta_branch", "eta_pi_d",
                                      "model_k_step"]
    assert list(block["theorems"]) == ["4.1", "4.2", "4.3"]
    t43 = block["theorems"]["4.3"]
    assert t43["verdict"] == "violated" and type(t43["verdict"]) is str
    assert set(t43["informative_below"]) == {"scale", "eps_pi", "eps_model_shifted"}
    assert set(block["theorems"]["4.1"]["informative_below"]) == {"scale", "eps_pi", "eps_m"}
    assert "eps_m_shifted" not in text  # the old name of ε_m′


def test_the_document_reads_back_typed() -> None:
    result = _result(-1.0, 0.0, BoundInputs(eps_model=0.0, r_max=1.0))
    record = validation_record(loads(dumps(validation_json(result))))
    assert record.any_violated and len(record.pairs) == 1
    pair, written = record.pairs[0], result.pairs[0]
    assert pair.inputs == written.inputs and pair.k == written.k
    assert pair.model_error.pi_d == written.model_error_pi_d
    block, checked = pair.by_gamma[0], written.by_gamma[0]
    assert block.gamma == checked.gamma
    assert block.returns.eta.mean == checked.returns.eta.mean
    assert [t.verdict for t in block.theorems.values()] == [t.verdict for t in checked.theorems]
    assert block.theorems["4.3"].penalty == checked.theorems[2].result.penalty.total
    assert record.source is not None and record.source.env == result.source.env
    assert record.source.run_seed == result.source.run_seed


@pytest.mark.parametrize("path", sorted(
    (Path(__file__).parents[4] / "docs" / "results" / "data").glob("*validate*.json")),
    ids=lambda p: p.name)
def test_the_committed_validation_files_read_back(path: Path) -> None:
    record = read_validation(path)  # written before the strict codec: NaN tokens allowed
    assert record.pairs and all(p.by_gamma for p in record.pairs)
    assert record.source is not None and record.source.env.startswith("Hopper")


def test_each_theorem_takes_its_model_error() -> None:
    block = _result(-1.0, -1.0, BoundInputs()).pairs[0].by_gamma[0]
    assert [t.model_input for t in block.theorems] == [
        ModelErrorInput.EPS_M, ModelErrorInput.EPS_M, ModelErrorInput.EPS_MODEL_SHIFTED]


@pytest.mark.parametrize(("given", "field"), [
    ({"r_max": -1.0}, "r_max"),
    ({"eps_model": 2.0}, "eps_model"),
    ({"eps_model_shifted": -0.1}, "eps_model_shifted"),
])
def test_bound_inputs_outside_the_theory_are_refused_by_field(
        given: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BoundInputs(**given)  # type: ignore[arg-type]
    assert caught.value.key == field


def test_rung_2a_is_reported_beside_the_theorems() -> None:
    """Ladder rung 2a (docs/ladder.md) at each γ: at ε_m′ = 1 its fraction of the range is γ
    (step 0 is free, every later step pays the span); at ε_m′ = 0 it is 0, and a model return
    above π_D's then certifies an improvement while η below η̂ lies outside it."""
    vacuous = _result(-1.0, -1.0, BoundInputs()).pairs[0]
    for block in vacuous.by_gamma:
        rung = block.rung_2a
        assert rung.fraction == pytest.approx(block.gamma, rel=1e-6)
        assert rung.bound == pytest.approx(rung.fraction * 2 * vacuous.inputs.r_max
                                           / (1 - block.gamma))
        assert rung.inside and not rung.certifies
    assert vacuous.rung_2a_gamma_at_half == pytest.approx(0.5, abs=1e-5)
    exact = _result(-1.0, 0.0, BoundInputs(eps_model=0.0, r_max=1.0)).pairs[0]
    assert all(b.rung_2a.bound < 1e-9 and b.rung_2a.certifies and not b.rung_2a.inside
               for b in exact.by_gamma)
    assert exact.rung_2a_gamma_at_half == pytest.approx(1.0, abs=1e-4)


def test_rung_2a_reads_back_and_older_files_lack_it() -> None:
    result = _result(-1.0, -1.0, BoundInputs(eps_model=0.3, r_max=2.0))
    doc = validation_json(result)
    assert set(doc["pairs"][0]["by_gamma"][0]["ladder"]) == {"rung_2a"}
    record = validation_record(loads(dumps(doc)))
    for block, written in zip(record.pairs[0].by_gamma, result.pairs[0].by_gamma, strict=True):
        assert block.ladder["rung_2a"] == written.rung_2a
    assert record.pairs[0].ladder_gamma_at_half == {
        "rung_2a": result.pairs[0].rung_2a_gamma_at_half}
    for block in doc["pairs"][0]["by_gamma"]:
        del block["ladder"]
    del doc["pairs"][0]["ladder_gamma_at_half"]
    older = validation_record(loads(dumps(doc)))
    assert all(not b.ladder for b in older.pairs[0].by_gamma)
