"""Buffer state dicts without copies: views of the ring, a wrapped ring saved as stored with its
oldest slot, exact round trips through ``.npz`` files, and files of the oldest-first format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boundcheck.buffers import CORE_FIELDS, REAL_EXTRA, RING_START, ReplayBuffer, sample_batches


def _buffer(capacity: int, sizes: list[int], *, real: bool = True) -> ReplayBuffer:
    """A buffer after ``add_batch`` calls of ``sizes`` rows; row ``i`` has reward ``i``."""
    buf = ReplayBuffer(3, 2, capacity, extra=REAL_EXTRA if real else None)
    start = 0
    for n in sizes:
        idx = np.arange(start, start + n)
        extra = {"epoch": idx // 4} if real else {}
        buf.add_batch(np.repeat(idx[:, None], 3, 1), -np.repeat(idx[:, None], 2, 1), idx,
                      np.repeat(idx[:, None], 3, 1) + 0.5, idx % 3 == 0, **extra)
        start += n
    return buf


def _old_state_dict(buf: ReplayBuffer) -> dict[str, np.ndarray | int]:
    """The format every earlier version wrote: copies, oldest first, no ring start."""
    data = buf.ordered()
    state: dict[str, np.ndarray | int] = {k: data[k] for k in CORE_FIELDS}
    state.update({"extra." + k: data[k] for k in buf.extra_fields})
    state.update(obs_dim=buf.obs_dim, act_dim=buf.act_dim, capacity=buf.capacity)
    return state


def _via_npz(state: dict[str, np.ndarray | int], path: Path) -> dict[str, np.ndarray]:
    np.savez(path, allow_pickle=False, **state)
    with np.load(path, allow_pickle=False) as data:
        return dict(data)


def _assert_same_buffer(a: ReplayBuffer, b: ReplayBuffer) -> None:
    assert len(a) == len(b) and a.capacity == b.capacity and a.fields == b.fields
    for key, value in a.ordered().items():
        np.testing.assert_array_equal(b.ordered()[key], value)
    # Sampling is by time position: the same rows for the same draws, whatever the layout.
    for seed in range(3 if len(a) else 0):
        x, y = a.sample(40, np.random.default_rng(seed)), b.sample(40, np.random.default_rng(seed))
        for key in a.fields:
            np.testing.assert_array_equal(x[key], y[key])


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(1, 12), sizes=st.lists(st.integers(0, 15), max_size=6),
       real=st.booleans())
def test_round_trip_through_npz_is_exact(tmp_path_factory, capacity: int, sizes: list[int],
                                         real: bool) -> None:
    buf = _buffer(capacity, sizes, real=real)
    path = tmp_path_factory.mktemp("npz") / "b.npz"
    again = ReplayBuffer.from_state_dict(_via_npz(buf.state_dict(), path))
    _assert_same_buffer(buf, again)
    # The rebuilt ring keeps the slot layout, so its own state dict (and file) is the same.
    mine, theirs = buf.state_dict(), again.state_dict()
    assert list(mine) == list(theirs)
    for key in mine:
        np.testing.assert_array_equal(np.asarray(theirs[key]), np.asarray(mine[key]))
    # Both keep going identically after the restore.
    more = _buffer(capacity, [*sizes, 5], real=real)
    tail = _buffer(100, [sum(sizes) + 5], real=real).ordered()
    again.add_batch(*(tail[k][-5:] for k in CORE_FIELDS),
                    **{k: tail[k][-5:] for k in again.extra_fields})
    _assert_same_buffer(more, again)


@pytest.mark.parametrize(("sizes", "wrapped"), [([7], False), ([10], False), ([13], False),
                                                ([5, 5, 5, 5], False), ([7, 6], True),
                                                ([4, 9, 3], True)])
def test_state_dict_is_views_and_old_format_still_loads(sizes: list[int], wrapped: bool,
                                                        tmp_path: Path) -> None:
    buf = _buffer(10, sizes)
    state = buf.state_dict()
    assert (RING_START in state) == wrapped
    for key in (*CORE_FIELDS, "extra.epoch"):
        assert np.shares_memory(state[key], buf._data[key.removeprefix("extra.")]), key
    if wrapped:
        assert state[RING_START] == sum(sizes) % 10
    else:
        np.testing.assert_array_equal(state["reward"], buf.ordered()["reward"])
    # time_order: oldest first whatever the ring (the real buffer's file), no ring start.
    ordered = buf.state_dict(time_order=True)
    assert RING_START not in ordered
    for key in CORE_FIELDS:
        np.testing.assert_array_equal(ordered[key], buf.ordered()[key])
    # A file in the oldest-first format of earlier versions loads to the same buffer.
    old = ReplayBuffer.from_state_dict(_via_npz(_old_state_dict(buf), tmp_path / "old.npz"))
    _assert_same_buffer(buf, old)


def test_bad_ring_start_is_refused() -> None:
    state = _buffer(10, [7, 6]).state_dict()
    for start in (0, 10, -1):
        with pytest.raises(ValueError, match="wrapped ring"):
            ReplayBuffer.from_state_dict({**state, RING_START: start})
    short = {k: (v[:9] if isinstance(v, np.ndarray) else v) for k, v in state.items()}
    with pytest.raises(ValueError, match="wrapped ring"):
        ReplayBuffer.from_state_dict(short)


def test_state_dict_allocates_nothing_of_the_buffers_size() -> None:
    import tracemalloc

    buf = _buffer(200_000, [150_000, 90_000], real=False)  # wrapped
    tracemalloc.start()
    try:
        state = buf.state_dict()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert RING_START in state and peak < 100_000  # the ring is ~21.6 MB


def test_copies_and_pickles_keep_the_fields_views_of_the_rows() -> None:
    import copy
    import pickle

    buf = _buffer(10, [7, 6])
    for other in (copy.deepcopy(buf), pickle.loads(pickle.dumps(buf))):
        _assert_same_buffer(buf, other)
        assert not np.shares_memory(other._rows, buf._rows)
        more = _buffer(100, [20]).ordered()
        other.add_batch(**{k: v[15:] for k, v in more.items()})  # written through the views
        # Per-field sampling (the views) and batches (the row matrix) read the same rows.
        batch = sample_batches([(other, 30)], 1, np.random.default_rng(1), "cpu")[0]
        fields = other.sample(30, np.random.default_rng(1))
        assert set(fields["reward"]) & {15.0, 16.0, 17.0, 18.0, 19.0}
        for key in CORE_FIELDS:
            np.testing.assert_array_equal(batch[key].numpy(), fields[key])
