"""Pieces of measure-generalization that need no training: the KL grid, the fits and their
aggregation, the optimal_k_inputs rule, the typed result's round trip through results.json,
and when the true transition law is known."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from boundcheck.codec import encode
from boundcheck.config import BASE
from boundcheck.envs import get_spec, make_env
from boundcheck.estimators import LinearFit
from boundcheck.experiments.common.collect import true_law_std
from boundcheck.experiments.common.measure import (
    ModelErrorEstimate,
    PolicyMeasurement,
    PolicyShiftEstimate,
    SupOverTime,
)
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.continuation import kl_grid
from boundcheck.experiments.generalization.experiment import GeneralizationResult, SnapshotActor
from boundcheck.experiments.generalization.outputs import points_csv, write_outputs
from boundcheck.experiments.generalization.records import (
    ContinuationStop,
    CurvePoint,
    FitError,
    FitPair,
    fit_json,
    stop_message,
    stop_of_message,
)
from boundcheck.experiments.generalization.results import (
    GeneralizationResults,
    ModelErrorInfo,
    Settings,
    SourceInfo,
    SourceKind,
    results_from_json,
    results_json,
)
from boundcheck.experiments.generalization.size_records import (
    ContinuationRecord,
    ModelFitRecord,
    SeedRecord,
    SizeRecord,
)
from boundcheck.experiments.generalization.theory_inputs import read_theory_inputs
from boundcheck.models.trainer import StopReason


def test_kl_grid_is_geometric() -> None:
    grid = kl_grid(0.01, 1.0, 3)
    assert grid == pytest.approx([0.01, 0.1, 1.0])
    assert kl_grid(0.01, 1.0, 1) == [1.0]
    with pytest.raises(ValueError):
        kl_grid(0.0, 1.0, 3)


def _point(x: float, nll: float, mse: float, tv: float | None = None,
           index: int = 0) -> CurvePoint:
    """A curve point with mean KL ``x`` and the given model errors."""
    shift = PolicyShiftEstimate(kl_mean=x, kl_stderr=0.0, kl_max=x, kl_p95=x,
                                pinsker_tv=math.sqrt(x / 2), pinsker_max=math.sqrt(x / 2))
    error = ModelErrorEstimate(n=10, nll_mean=nll, nll_stderr=0.1, mse_mean=mse, mse_stderr=0.01,
                               tv_mean=tv, tv_stderr=None if tv is None else 0.01,
                               tv_mc_stderr=None if tv is None else 0.001, sup_over_time=None)
    return CurvePoint(policy="pi_D" if index == 0 else f"snapshot_{index}", index=index,
                      updates=10 * index, kl_target=None if index == 0 else x,
                      kl_on_data_states=x,
                      measured=PolicyMeasurement(shift=shift, error=error,
                                                 episode_return_mean=1.5, episodes=2))


def _points(slope: float, xs: list[float], *, bend: float = 0.0) -> list[CurvePoint]:
    """Points with y = 2 + slope·x (+ bend·x² to make the local and global slopes differ)."""
    return [_point(x, 2 + slope * x + bend * x**2, 1 + slope * x, index=i)
            for i, x in enumerate(xs)]


def test_fits_recover_a_known_slope() -> None:
    fits = ana.fit_points(_points(3.0, [0.0, 0.1, 0.2, 0.4, 0.8]), local_points=4,
                          y_measures=["nll", "mse"])
    for y in ("nll", "mse"):
        linear, local = fits[y]["kl"].linear, fits[y]["kl"].local
        assert isinstance(linear, LinearFit) and isinstance(local, LinearFit)
        assert linear.slope == pytest.approx(3.0)
        assert local.slope == pytest.approx(3.0) and local.n == 4
    bent = ana.fit_points(_points(1.0, [0.0, 0.01, 0.02, 0.03, 2.0], bend=5.0), local_points=4,
                          y_measures=["nll"])
    # The local fit uses the 4 smallest shifts only, so it sees the slope near 0.
    local, linear = bent["nll"]["kl"].local, bent["nll"]["kl"].linear
    assert isinstance(local, LinearFit) and isinstance(linear, LinearFit)
    assert local.slope == pytest.approx(1.0, abs=0.2)
    assert linear.slope > 5.0


def test_a_fit_that_cannot_be_made_says_why() -> None:
    fits = ana.fit_points(_points(1.0, [0.0]), local_points=4, y_measures=["nll"])
    assert isinstance(fits["nll"]["kl"].linear, FitError)
    assert fit_json(fits["nll"]["kl"].linear) == {"error": fits["nll"]["kl"].linear.error}


def _seed(i: int, n: int, slope: float, eps_m: float, kl: float) -> SeedRecord:
    fit = LinearFit(slope=slope, intercept=0.5, slope_stderr=0.1, intercept_stderr=0.2,
                    r_squared=0.9, n=4, confidence=0.95, slope_ci_low=slope - 1,
                    slope_ci_high=slope + 1)
    fits = {y: {x: FitPair(linear=fit, local=fit) for x in ana.X_MEASURES}
            for y in ("nll", "mse", "tv")}
    stop = ContinuationStop.BUDGET if i else ContinuationStop.ALL_REACHED
    continuation = ContinuationRecord(
        updates=150, stop=stop, stop_reason=stop_message(stop, updates=150, max_updates=150,
                                                         kl=0.25),
        snapshots=1, kl_at_interval=kl, kl_trace=((0, 0.0), (150, 0.25)),
        sac={"sac/alpha": 0.5}, rollout={"rollout/k": 1.0})
    model = ModelFitRecord(epochs=3, grad_steps=6, num_train=240, num_holdout=60,
                           elites=(4, 1), holdout_mse=0.5, holdout_nll_elites=(1.0, 2.0),
                           stop=StopReason.EPOCH_CAP)
    sup = SupOverTime(measure="tv", bucket_width=100, sup_mean=eps_m, sup_stderr=0.01,
                      sup_t_start=0, overall_mean=eps_m, buckets=1)
    return SeedRecord(seed=i, seed_key=(0, i, n), model=model, continuation=continuation,
                      eps_pi_interval=ana.eps_pi_from_kl(kl), eps_m_sup_over_time=sup,
                      points=(_point(0.0, 5.0, 0.1, eps_m), _point(0.2, 6.0, 0.2, 0.9, 1)),
                      fits=fits)


def _size(n: int, slopes: list[float], eps_m: list[float], kl: list[float]) -> SizeRecord:
    seeds = [_seed(i, n, s, m, k) for i, (s, m, k) in enumerate(zip(slopes, eps_m, kl,
                                                                    strict=True))]
    return ana.size_record(n, seeds, ["nll", "mse", "tv"])


def test_aggregation_and_optimal_k_inputs() -> None:
    sizes = [_size(600, [1.0, 1.0], [0.1, 0.1], [0.02, 0.02]),
             _size(300, [2.0, 4.0], [0.2, 0.4], [0.02, 0.08])]
    small = sizes[1].slopes["tv"]["pinsker_tv"].local
    assert small is not None and small.mean == pytest.approx(3.0)
    assert small.std == pytest.approx(math.sqrt(2))
    inputs, why = ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=5000)
    assert why is None and inputs is not None
    assert inputs.train_size == 300 and inputs.slope == pytest.approx(3.0)
    assert inputs.eps_m == pytest.approx(0.3)
    assert inputs.eps_pi == pytest.approx((0.1 + 0.2) / 2)  # Pinsker: sqrt(KL/2)
    assert "TV" in inputs.source
    proxy, _ = ana.optimal_k_inputs(sizes, tv_available=False, interval_updates=5000)
    # Deterministic simulator: TV = 1 under every policy, so the TV slope is exactly 0.
    assert proxy is not None and proxy.eps_m == 1.0 and proxy.slope == 0.0
    assert "deterministic simulator" in proxy.source


def _result(tmp_path: Path) -> GeneralizationResult:
    sizes = (_size(300, [2.0, 4.0], [0.2, 0.4], [0.02, 0.08]),
             _size(600, [1.0, 1.0], [0.1, 0.1], [0.02, 0.02]))
    inputs, _ = ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=50)
    settings = Settings(train_sizes=(300, 600), seeds=2, seed=0, snapshots=1, eval_steps=10,
                        kl_min=0.01, kl_max=0.01, max_updates=150, check_every=5, kl_states=100,
                        local_points=4, tv_samples=16, bucket_width=100, rollout_length=1,
                        rollout_batch_size=200, rollout_every=50, model_max_epochs=3,
                        model_max_t=0.0, real_ratio=0.05, eps_pi_updates=50, kl_grid=(0.01,))
    results = GeneralizationResults(
        source=SourceInfo(run=str(tmp_path / "run"), kind=SourceKind.RUN, epoch=2,
                          env="InvertedPendulum-v5", algo="mbpo", run_seed=2,
                          transition_noise=0.05, reward_noise=0.05),
        settings=settings,
        model_error=ModelErrorInfo(tv_available=True, tv_unavailable_reason=None, primary="tv",
                                   measures=("nll", "mse", "tv")),
        sizes=sizes, optimal_k_inputs=inputs, warnings=("N=300 seed 1: budget",),
        versions={"boundcheck_version": "0"}, run_provenance={"git": None}, wall_seconds=1.5)
    actor = [torch.zeros(2, 3)]
    return GeneralizationResult(results=results, snapshots=tuple(
        SnapshotActor(seed=i, train_size=n, index=1, updates=10, actor=actor)
        for n in (300, 600) for i in (0, 1)))


def test_results_round_trip_through_results_json(tmp_path: Path) -> None:
    result = _result(tmp_path)
    paths = write_outputs(result, tmp_path / "out")
    saved = json.loads(Path(paths["results"]).read_text())
    names = [f"snapshots/seed{i}_size{n}_snapshot1.pt" for n in (300, 600) for i in (0, 1)]
    assert saved["files"]["snapshots"] == names
    assert all((tmp_path / "out" / name).is_file() for name in names)
    assert results_from_json(saved) == result.results
    assert encode(results_json(results_from_json(saved))) == \
        {k: v for k, v in saved.items() if k != "files"}
    rows = Path(paths["points"]).read_text().splitlines()
    assert len(rows) == 1 + 2 * 2 * 2 and rows[1].startswith("0,300,pi_D,0,0,,0.0,0.0,")
    # optimal-k --from reads the same file.
    assert read_theory_inputs(Path(paths["results"])).slope == pytest.approx(3.0)


def test_files_of_format_version_1_before_the_rename_still_read(tmp_path: Path) -> None:
    doc = encode(results_json(_result(tmp_path).results))
    model = doc["sizes"][0]["seeds"][0]["model"]
    old = {("val_loss" if k == "holdout_mse" else k): v for k, v in model.items()
           if k != "stop"}
    doc["sizes"][0]["seeds"][0]["model"] = old
    back = results_from_json(doc).sizes[0].seeds[0].model
    assert back.holdout_mse == 0.5 and back.stop is None
    assert stop_of_message("all KL targets reached") is ContinuationStop.ALL_REACHED


def test_strict_json_and_csv(tmp_path: Path) -> None:
    assert encode({"a": [math.nan, 1.0, math.inf], "b": (1, "x")}) == \
        {"a": [None, 1.0, None], "b": [1, "x"]}
    lines = points_csv(_result(tmp_path).results).splitlines()
    assert lines[0].startswith("seed,train_size,policy") and lines[1].startswith("0,300,pi_D")


@pytest.mark.parametrize(
    ("env", "noise", "reward_noise", "needle"),
    [
        ("InvertedPendulum-v5", 0.0, 0.0, "deterministic"),
        ("InvertedPendulum-v5", 0.01, 0.0, "reward_noise is 0"),
        ("Pendulum-v1", 0.01, 0.01, "angles"),
    ],
)
def test_true_law_unavailable(env: str, noise: float, reward_noise: float, needle: str) -> None:
    spec = get_spec(env)
    config = dataclasses.replace(BASE, env=env, transition_noise=noise,
                                 reward_noise=reward_noise)
    std, reason = true_law_std(make_env(spec, transition_noise=noise, reward_noise=reward_noise),
                               spec, config)
    assert std is None and reason is not None and needle in reason


def test_true_law_known() -> None:
    spec = get_spec("InvertedPendulum-v5")
    config = dataclasses.replace(BASE, env=spec.name, transition_noise=0.01, reward_noise=0.05)
    std, reason = true_law_std(make_env(spec, transition_noise=0.01, reward_noise=0.05), spec,
                               config)
    assert reason is None and std is not None
    np.testing.assert_allclose(std, [0.05] + [0.01] * spec.obs_dim)


def test_a_resumed_document_keeps_the_earlier_versions_and_says_when_they_differ(
        tmp_path: Path) -> None:
    from dataclasses import replace

    from boundcheck.experiments.generalization.document import DocumentFrame

    prior = _result(tmp_path).results
    frame = DocumentFrame(source=prior.source, settings=prior.settings,
                          model_error=prior.model_error, run_provenance=prior.run_provenance,
                          versions={"boundcheck_version": "0"}, earlier_seconds=1.5)
    same = frame.continuing(prior, done=2)
    assert same.versions["resumed_from"] == [{"boundcheck_version": "0"}]
    assert not any(w.startswith("resumed") for w in same.results({300: [], 600: []}, 0,
                                                                 1.0).warnings)
    other = replace(frame, versions={"boundcheck_version": "1"}).continuing(prior, done=2)
    doc = other.results({300: [], 600: []}, 0, 2.0)
    assert any(w.startswith("resumed: repetitions 0-1 were measured with other versions "
                            "(boundcheck_version") for w in doc.warnings)
    assert doc.wall_seconds == pytest.approx(3.5)
    assert other.continuing(prior, done=0) is other
