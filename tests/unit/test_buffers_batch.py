"""SAC batches by one row gather per buffer equal, bit for bit, the original construction
(per-field fancy indexing, concatenation, one tensor per field) for the same generator state."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from boundcheck.buffers import (
    CORE_FIELDS,
    REAL_EXTRA,
    ReplayBuffer,
    field_columns,
    mixed_parts,
    sample_batches,
)


def old_mixed_batch(real: ReplayBuffer, model: ReplayBuffer, batch_size: int,
                    real_ratio: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The construction this module replaced, verbatim: five fancy indexes per buffer, then a
    concatenation per field."""
    n_real = int(batch_size * real_ratio)
    n_model = batch_size - n_real
    parts = [buf.sample(n, rng, CORE_FIELDS) for buf, n in ((real, n_real), (model, n_model))
             if n > 0]
    return {k: np.concatenate([p[k] for p in parts]) for k in CORE_FIELDS}


def old_to_torch(batch: dict[str, np.ndarray], device: str) -> dict[str, torch.Tensor]:
    """The original ``to_torch``: one ``from_numpy`` and ``.to(device)`` per field."""
    return {k: torch.from_numpy(np.ascontiguousarray(v)).to(device) for k, v in batch.items()}


def _filled(capacity: int, n: int, seed: int, *, obs_dim: int = 4, act_dim: int = 2,
            real: bool = False) -> ReplayBuffer:
    """A buffer that received ``n`` random transitions (wrapped when ``n > capacity``)."""
    rng = np.random.default_rng(seed)
    buf = ReplayBuffer(obs_dim, act_dim, capacity, extra=REAL_EXTRA if real else None)
    extra = {"epoch": rng.integers(-1, 9, n)} if real else {}
    buf.add_batch(rng.standard_normal((n, obs_dim)), rng.uniform(-1, 1, (n, act_dim)),
                  rng.standard_normal(n), rng.standard_normal((n, obs_dim)),
                  rng.random(n) < 0.3, **extra)
    return buf


def _assert_same(new: dict[str, torch.Tensor], old: dict[str, torch.Tensor]) -> None:
    assert list(new) == list(old) == list(CORE_FIELDS)
    for key in CORE_FIELDS:
        assert new[key].dtype == old[key].dtype == torch.float32
        assert new[key].shape == old[key].shape and new[key].is_contiguous()
        assert torch.equal(new[key], old[key]), key


@settings(max_examples=60, deadline=None)
@given(real_n=st.integers(1, 40), model_n=st.integers(1, 60), batch=st.integers(1, 300),
       ratio=st.sampled_from([0.0, 0.05, 0.5, 1.0]), seed=st.integers(0, 2**32 - 1))
def test_batch_equals_the_original_construction(real_n: int, model_n: int, batch: int,
                                                ratio: float, seed: int) -> None:
    # Capacities below the fill make wrapped rings (their oldest row mid-array) common.
    real = _filled(25, real_n, seed, real=True)
    model = _filled(30, model_n, seed + 1)
    ref_rng, new_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    for count in (1, 3):  # batches drawn one at a time, and several at once
        news = sample_batches(mixed_parts(real, model, batch, ratio), count, new_rng, "cpu")
        assert len(news) == count
        for new in news:
            _assert_same(new, old_to_torch(old_mixed_batch(real, model, batch, ratio, ref_rng),
                                           "cpu"))
        assert new_rng.bit_generator.state == ref_rng.bit_generator.state  # same draws used


def test_mixed_batch_and_real_only_batch_equal_the_original() -> None:
    real, model = _filled(50, 80, 0, real=True), _filled(400, 900, 1)
    ref_rng, new_rng = np.random.default_rng(7), np.random.default_rng(7)
    old = old_mixed_batch(real, model, 256, 0.05, ref_rng)
    new = sample_batches(mixed_parts(real, model, 256, 0.05), 1, new_rng, "cpu")[0]
    for key in CORE_FIELDS:
        np.testing.assert_array_equal(new[key].numpy(), old[key])
        assert new[key].dtype == torch.float32 and new[key].is_contiguous()
    # The SAC ablation's batch: real rows only, as ReplayBuffer.sample drew them.
    old_real = old_to_torch(real.sample(256, ref_rng, CORE_FIELDS), "cpu")
    _assert_same(sample_batches([(real, 256)], 1, new_rng, "cpu")[0], old_real)


def test_row_layout_and_dimension_check() -> None:
    assert field_columns(11, 3) == {"obs": (0, 11), "act": (11, 14), "reward": (14, 15),
                                    "next_obs": (15, 26), "terminated": (26, 27)}
    assert ReplayBuffer(11, 3, 2).row_width == 27
    with pytest.raises(ValueError, match="obs_dim"):
        sample_batches([(_filled(5, 5, 0), 2), (_filled(5, 5, 0, obs_dim=3), 2)], 1,
                       np.random.default_rng(0), "cpu")
    with pytest.raises(ValueError, match="empty"):
        sample_batches([(ReplayBuffer(4, 2, 5), 2)], 1, np.random.default_rng(0), "cpu")


def test_policy_updates_equal_updates_on_original_batches() -> None:
    """The loop's ``policy_updates`` (batches drawn 64 at a time) gives the very metrics and
    weights that one update per original batch gives (eager; ``bench.batch`` checks the
    compiled update)."""
    from types import SimpleNamespace

    from boundcheck.agents import SAC
    from boundcheck.config import SACConfig
    from boundcheck.mbpo.steps import policy_updates

    real = _filled(300, 500, 2, obs_dim=5, act_dim=2, real=True)
    model = _filled(900, 2000, 3, obs_dim=5)
    config = SACConfig(hidden_width=16, batch_size=32)
    agents = [SAC(5, 2, config, device="cpu", generator=torch.Generator().manual_seed(0))
              for _ in range(2)]
    old_rng = np.random.default_rng(5)
    old = agents[0].step(old_to_torch(old_mixed_batch(real, model, 32, 0.05, old_rng), "cpu"))
    for _ in range(69):
        old = old + agents[0].step(old_to_torch(old_mixed_batch(real, model, 32, 0.05, old_rng),
                                                "cpu"))
    state = SimpleNamespace(config=SimpleNamespace(sac=config, real_ratio=0.05), real=real,
                            model_buffer=model, agent=agents[1], device=torch.device("cpu"),
                            streams=SimpleNamespace(rng_batches=np.random.default_rng(5)))
    new = policy_updates(state, 70)  # type: ignore[arg-type]
    assert new is not None and torch.equal(old, new)
    assert state.streams.rng_batches.bit_generator.state == old_rng.bit_generator.state
    for a, b in zip(agents[0].state_dict()["critic"], agents[1].state_dict()["critic"],
                    strict=True):
        assert torch.equal(a, b)
