"""The original code's two optional levers on one model training: an epoch cap and a wall-clock
cap (``max_model_t``); both off by default, and off changes nothing."""

from __future__ import annotations

import time

import pytest
import torch

from boundcheck.models import train_ensemble
from boundcheck.models.trainer import StopReason

from .support import ACT_DIM, OBS_DIM, small_config

IN_DIM, OUT_DIM = OBS_DIM + ACT_DIM, 1 + OBS_DIM


def _data(n: int = 2000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth nonlinear map the small ensemble keeps improving on for many epochs."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, IN_DIM, generator=gen)
    y = torch.cat([torch.sin(3 * x[:, :1]) * x[:, 1:2], torch.tanh(x[:, :2])], dim=1)
    return x, y


class _FakeClock:
    """Advances ``per_call`` seconds each time it is read."""

    def __init__(self, per_call: float) -> None:
        self.now, self.per_call = 0.0, per_call

    def __call__(self) -> float:
        self.now += self.per_call
        return self.now


def test_caps_are_off_by_default() -> None:
    config = small_config()
    assert config.max_model_t == 0.0 and config.max_epochs == 0


def test_time_cap_stops_after_the_epoch_that_passes_it(make_model) -> None:
    x, y = _data()
    # The clock is read once at the start and once after each epoch: 1 s per epoch.
    config = small_config(max_model_t=3.5, patience=1000)
    metrics = train_ensemble(make_model(seed=1, config=config), x, y, config,
                             torch.Generator().manual_seed(0), clock=_FakeClock(1.0))
    assert metrics["stop"] == StopReason.TIME_CAP.value
    assert metrics["epochs"] == 4  # elapsed 1, 2, 3, 4 > 3.5: the 4th epoch is the last


def test_time_cap_on_the_real_clock_overruns_by_less_than_one_epoch(make_model) -> None:
    x, y = _data(n=4000)
    limit = 0.6
    config = small_config(max_model_t=limit, patience=10_000, batch_size=32)
    start = time.perf_counter()
    metrics = train_ensemble(make_model(seed=2, config=config), x, y, config,
                             torch.Generator().manual_seed(0))
    elapsed = time.perf_counter() - start
    per_epoch = metrics["seconds"] / metrics["epochs"]
    assert metrics["stop"] == StopReason.TIME_CAP.value
    assert limit < metrics["seconds"] < limit + 1.5 * per_epoch + 0.05
    assert elapsed < limit + 2 * per_epoch + 0.5  # restore, elites and holdout NLL after it


def test_epoch_cap_and_the_patience_rule_report_their_reason(make_model) -> None:
    x, y = _data(n=400)
    config = small_config(max_epochs=3, patience=1000)
    capped = train_ensemble(make_model(seed=3, config=config), x, y, config,
                            torch.Generator().manual_seed(0))
    assert (capped["epochs"], capped["stop"]) == (3, StopReason.EPOCH_CAP.value)
    config = small_config(patience=1, lr=5e-2)
    free = train_ensemble(make_model(seed=3, config=config), x[:60], y[:60], config,
                          torch.Generator().manual_seed(0))
    assert free["stop"] == StopReason.NO_IMPROVEMENT.value


@pytest.mark.parametrize("field, value", [("max_model_t", 1e9), ("max_epochs", 10**6)])
def test_a_cap_that_never_fires_changes_nothing(make_model, field: str, value: float) -> None:
    x, y = _data(n=300, seed=4)
    runs = []
    for config in (small_config(patience=2), small_config(patience=2, **{field: value})):
        model = make_model(seed=5, config=config)
        metrics = train_ensemble(model, x, y, config, torch.Generator().manual_seed(6))
        metrics.pop("seconds")
        runs.append((model.state_dict(), metrics))
    (s1, m1), (s2, m2) = runs
    assert m1 == m2 and m1["stop"] == StopReason.NO_IMPROVEMENT.value
    assert all(torch.equal(s1[k], s2[k]) for k in s1)


def test_negative_or_infinite_caps_are_refused() -> None:
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="max_model_t"):
            small_config(max_model_t=bad)
    with pytest.raises(ValueError, match="max_epochs"):
        small_config(max_epochs=-1)
