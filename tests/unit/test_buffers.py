"""Replay buffers: FIFO order, sampling, the epoch field, npz persistence, real/model mixing."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from boundcheck.buffers import (
    CORE_FIELDS,
    EPOCH_FIELD,
    REAL_EXTRA,
    ReplayBuffer,
    mixed_parts,
    sample_batches,
    to_torch,
)


def _rows(start: int, n: int, obs_dim: int = 3, act_dim: int = 2) -> dict[str, np.ndarray]:
    """``n`` transitions whose every field encodes its index ``start + i``."""
    idx = np.arange(start, start + n, dtype=np.float32)
    return {
        "obs": np.repeat(idx[:, None], obs_dim, 1),
        "act": np.repeat(idx[:, None], act_dim, 1),
        "reward": idx,
        "next_obs": np.repeat(idx[:, None], obs_dim, 1) + 0.5,
        "terminated": (idx % 2 == 0).astype(np.float32),
    }


def _real(capacity: int) -> ReplayBuffer:
    return ReplayBuffer(3, 2, capacity, extra=REAL_EXTRA)


def test_fifo_wraparound_single_and_batch() -> None:
    buf = _real(5)
    for i in range(7):
        row = _rows(i, 1)
        buf.add(row["obs"][0], row["act"][0], float(row["reward"][0]), row["next_obs"][0],
                bool(row["terminated"][0]), epoch=i // 3)
    assert len(buf) == 5
    np.testing.assert_array_equal(buf.ordered()["reward"], [2, 3, 4, 5, 6])
    np.testing.assert_array_equal(buf.ordered()[EPOCH_FIELD], [0, 1, 1, 1, 2])
    buf.add_batch(**_rows(7, 4), epoch=3)  # crosses the end of the ring
    np.testing.assert_array_equal(buf.ordered()["reward"], [6, 7, 8, 9, 10])
    buf.add_batch(**_rows(100, 12), epoch=4)  # more than the capacity at once
    np.testing.assert_array_equal(buf.ordered()["reward"], [107, 108, 109, 110, 111])


@settings(max_examples=40, deadline=None)
@given(capacity=st.integers(1, 9), sizes=st.lists(st.integers(0, 12), max_size=8))
def test_fifo_matches_a_deque(capacity: int, sizes: list[int]) -> None:
    buf, ref, start = ReplayBuffer(3, 2, capacity), deque(maxlen=capacity), 0
    for n in sizes:
        buf.add_batch(**_rows(start, n))
        ref.extend(range(start, start + n))
        start += n
    assert len(buf) == len(ref)
    np.testing.assert_array_equal(buf.ordered()["reward"], np.array(ref, np.float32))


def test_sample_shapes_dtypes_and_alignment() -> None:
    buf = _real(50)
    buf.add_batch(**_rows(0, 30), epoch=np.arange(30) * 10)
    batch = buf.sample(64, np.random.default_rng(0))
    assert set(batch) == {*CORE_FIELDS, EPOCH_FIELD}
    assert batch["obs"].shape == (64, 3) and batch["next_obs"].shape == (64, 3)
    assert batch["act"].shape == (64, 2)
    assert batch["reward"].shape == batch["terminated"].shape == batch[EPOCH_FIELD].shape == (64,)
    assert all(batch[k].dtype == np.float32 for k in CORE_FIELDS)
    assert batch[EPOCH_FIELD].dtype == np.int64
    assert batch["reward"].max() < 30  # only filled rows
    np.testing.assert_array_equal(batch["obs"][:, 0], batch["reward"])
    np.testing.assert_array_equal(batch[EPOCH_FIELD], batch["reward"].astype(np.int64) * 10)
    starts = buf.sample_obs(16, np.random.default_rng(1))
    assert starts.shape == (16, 3) and starts.dtype == np.float32
    same = buf.sample(64, np.random.default_rng(0))
    np.testing.assert_array_equal(same["obs"], batch["obs"])  # randomness only via rng


def test_errors() -> None:
    buf = _real(4)
    with pytest.raises(ValueError, match="empty"):
        buf.sample(1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="extra"):
        buf.add_batch(**_rows(0, 2))  # epoch missing
    with pytest.raises(ValueError):
        ReplayBuffer(3, 2, 4, extra={"reward": np.float32})
    with pytest.raises(ValueError):
        ReplayBuffer(3, 2, 0)


def test_npz_round_trip_without_pickle(tmp_path: Path) -> None:
    buf = _real(6)
    buf.add_batch(**_rows(0, 9), epoch=np.arange(9))
    path = tmp_path / "buffer.npz"
    np.savez(path, **buf.state_dict())
    with np.load(path, allow_pickle=False) as data:
        restored = ReplayBuffer.from_state_dict(dict(data))
    assert len(restored) == 6 and restored.capacity == 6
    assert restored.extra_fields == (EPOCH_FIELD,)
    for key, value in buf.ordered().items():
        np.testing.assert_array_equal(restored.ordered()[key], value)
    buf.add_batch(**_rows(9, 2), epoch=9)
    restored.add_batch(**_rows(9, 2), epoch=9)
    np.testing.assert_array_equal(restored.ordered()["reward"], buf.ordered()["reward"])


def test_resized_keeps_newest() -> None:
    buf = _real(8)
    buf.add_batch(**_rows(0, 11), epoch=1)
    small = buf.resized(3)
    np.testing.assert_array_equal(small.ordered()["reward"], [8, 9, 10])
    big = buf.resized(20)
    np.testing.assert_array_equal(big.ordered()["reward"], np.arange(3, 11))


def _mixed_batch(real: ReplayBuffer, model: ReplayBuffer, batch_size: int, real_ratio: float,
                 rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """One SAC batch of real and model rows, as the MBPO loop draws it."""
    return sample_batches(mixed_parts(real, model, batch_size, real_ratio), 1, rng, "cpu")[0]


def test_mixed_batch_ratio() -> None:
    real, model = _real(100), ReplayBuffer(3, 2, 100)
    real.add_batch(**_rows(0, 50), epoch=0)
    model.add_batch(**_rows(1000, 50))
    rng = np.random.default_rng(0)
    batch = _mixed_batch(real, model, 256, 0.05, rng)
    assert set(batch) == set(CORE_FIELDS) and batch["obs"].shape == (256, 3)
    assert (batch["reward"][:12] < 1000).all() and (batch["reward"][12:] >= 1000).all()
    only_real = _mixed_batch(real, ReplayBuffer(3, 2, 1), 10, 1.0, rng)
    assert (only_real["reward"] < 1000).all()
    assert (_mixed_batch(real, model, 10, 0.0, rng)["reward"] >= 1000).all()


def test_to_torch() -> None:
    batch = {"obs": np.zeros((4, 3), np.float64), "epoch": np.arange(4)}
    out = to_torch(batch, "cpu")
    assert out["obs"].dtype == torch.float32 and out["epoch"].dtype == torch.int64


def test_restored_wrapped_buffer_samples_the_same_rows() -> None:
    # A wrapped ring restored from state_dict (oldest first, from slot 0) must sample exactly
    # what the original samples with the same generator state (exact resume).
    import numpy as np

    from boundcheck.buffers import ReplayBuffer

    buf = ReplayBuffer(2, 1, 10)
    for i in range(13):
        buf.add(np.full(2, i), np.zeros(1), float(i), np.full(2, i + 1), False)
    again = ReplayBuffer.from_state_dict(buf.state_dict())
    a = buf.sample(50, np.random.default_rng(0))["reward"]
    b = again.sample(50, np.random.default_rng(0))["reward"]
    np.testing.assert_array_equal(a, b)
    assert set(a.tolist()) <= set(range(3, 13))
