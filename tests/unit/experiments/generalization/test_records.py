"""The records' JSON (:mod:`boundcheck.experiments.generalization.records`): a point is flat,
a fit is its fields or its error, the model fit reads its former key, the continuation's stop
is its sentence."""

from __future__ import annotations

import math

import pytest

from boundcheck.codec import JsonFileError, decode, encode
from boundcheck.experiments.generalization.records import (
    ContinuationRecord,
    ContinuationStop,
    CurvePoint,
    Fit,
    FitError,
    ModelFitRecord,
    stop_of_message,
)
from boundcheck.models.trainer import StopReason
from tests.unit.experiments.generalization.factories import point, seed


def test_a_point_is_one_flat_object_and_reads_back() -> None:
    p = point(0.2, 6.0, 0.2, 0.9, index=1)
    obj = encode(p)
    assert list(obj)[:7] == ["policy", "index", "updates", "kl_target", "kl_on_data_states",
                             "kl_mean", "kl_stderr"]
    assert list(obj)[-2:] == ["episode_return_mean", "episodes"]
    assert "sup_over_time" not in obj and obj["tv_mean"] == 0.9
    assert decode(CurvePoint, obj) == p
    no_tv = point(0.0, 5.0, math.inf)
    back = decode(CurvePoint, encode(no_tv))
    assert back.measured.error.tv_mean is None and math.isnan(back.measured.error.mse_mean)
    with pytest.raises(JsonFileError, match=r"\$\[0\]\.episodes: expected an integer"):
        decode(list[CurvePoint], [{**obj, "episodes": "two"}])


def test_a_fit_reads_back_as_a_line_or_an_error() -> None:
    line = seed(0, 300, 2.0, 0.1, 0.02).fits["tv"]["kl"].linear
    assert decode(Fit, encode(line)) == line
    assert decode(Fit, {"error": "too few points"}) == FitError("too few points")


def test_the_model_fit_reads_its_format_version_1_key_and_leaves_out_no_stop() -> None:
    model = seed(0, 300, 2.0, 0.1, 0.02).model
    obj = encode(model)
    assert list(obj) == ["epochs", "grad_steps", "num_train", "num_holdout", "elites",
                         "holdout_mse", "holdout_nll_elites", "stop"]
    assert obj["stop"] == StopReason.EPOCH_CAP.value
    old = {("val_loss" if k == "holdout_mse" else k): v for k, v in obj.items() if k != "stop"}
    back = decode(ModelFitRecord, old)
    assert back.holdout_mse == 0.5 and back.stop is None
    assert "stop" not in encode(back)


def test_the_continuation_stop_is_its_recorded_sentence() -> None:
    record = seed(1, 300, 2.0, 0.1, 0.02).continuation
    assert record.stop is ContinuationStop.BUDGET and "stop" not in encode(record)
    assert decode(ContinuationRecord, encode(record)) == record
    assert stop_of_message("all KL targets reached") is ContinuationStop.ALL_REACHED
    with pytest.raises(JsonFileError, match="unknown continuation stop reason"):
        decode(ContinuationRecord, {**encode(record), "stop_reason": "tired"})
