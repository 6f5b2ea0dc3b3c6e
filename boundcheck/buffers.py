"""Replay buffers for real (D_env) and model (D_model) transitions (paper Algorithm 2;
docs/paper.md §7).

A :class:`ReplayBuffer` is a FIFO ring of transitions: ``obs``, ``act``, ``reward``,
``next_obs``, ``terminated`` (float32; 1.0 only for a true termination, never for a time-limit
truncation) plus optional scalar *extra* fields, e.g. the real buffer's ``epoch`` (the epoch of
the policy that collected each transition, used to measure policy shift). Sampling is uniform
with replacement through a passed ``np.random.Generator``; nothing here holds randomness.

The core fields of a slot are one row of a float32 matrix (:func:`field_columns`): a SAC batch
is one gather per buffer (:func:`sample_batches`), a sampled row one or two cache lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import torch

#: The fields every buffer has, in order; they are the keys of a SAC batch.
CORE_FIELDS: tuple[str, ...] = ("obs", "act", "reward", "next_obs", "terminated")
#: Name of the real buffer's extra field: the epoch of the collecting policy.
EPOCH_FIELD = "epoch"
#: ``extra`` for the real buffer.
REAL_EXTRA: dict[str, npt.DTypeLike] = {EPOCH_FIELD: np.int64}
#: State-dict key of a wrapped ring's oldest slot (absent: the arrays are oldest first).
RING_START = "ring_start"
_EXTRA_PREFIX = "extra."
_SCALAR_FIELDS = frozenset({"reward", "terminated"})
_Block = tuple[slice, tuple[int, ...]]  # where a field lies in a flat batch, and its shape


def field_columns(obs_dim: int, act_dim: int) -> dict[str, tuple[int, int]]:
    """Columns ``[start, stop)`` of each core field in a buffer's row matrix."""
    widths = (obs_dim, act_dim, 1, obs_dim, 1)
    stops = itertools.accumulate(widths)
    return {k: (stop - w, stop) for k, w, stop in zip(CORE_FIELDS, widths, stops, strict=True)}


class ReplayBuffer:
    """Fixed-capacity FIFO buffer of transitions.

    Args:
        obs_dim: observation size.
        act_dim: action size.
        capacity: number of transitions kept; when full the oldest are overwritten.
        extra: additional per-transition scalar fields, name -> numpy dtype
            (``REAL_EXTRA`` for the real buffer's ``epoch``).
    """

    def __init__(self, obs_dim: int, act_dim: int, capacity: int, *,
                 extra: Mapping[str, npt.DTypeLike] | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        clash = set(extra or {}) & set(CORE_FIELDS)
        if clash:
            raise ValueError(f"extra fields clash with core fields: {sorted(clash)}")
        self.obs_dim, self.act_dim, self.capacity = obs_dim, act_dim, capacity
        self.columns = field_columns(obs_dim, act_dim)
        self.row_width = 2 * obs_dim + act_dim + 2  # floats per row of the core fields
        self._rows = np.zeros((capacity, self.row_width), np.float32)
        self._set_fields({name: np.zeros(capacity, dtype) for name, dtype in (extra or {}).items()})
        self._ptr = 0  # next slot to write
        self._size = 0

    def _set_fields(self, extras: Mapping[str, np.ndarray]) -> None:
        """Core fields as column views of the row matrix, then the extras' own arrays."""
        self._data = {name: _column(self._rows, name, c) for name, c in self.columns.items()}
        self._data.update(extras)

    def __getstate__(self) -> dict[str, object]:
        """For pickle and ``copy.deepcopy``, which would turn the views into separate copies."""
        return {**self.__dict__, "_data": {k: self._data[k] for k in self.extra_fields}}

    def __setstate__(self, state: dict[str, object]) -> None:
        """Restore a :meth:`__getstate__`, the core fields again views of the row matrix."""
        self.__dict__.update(state)
        self._set_fields(self.__dict__.pop("_data"))

    @property
    def fields(self) -> tuple[str, ...]:
        """All field names: :data:`CORE_FIELDS` then the extras."""
        return tuple(self._data)

    @property
    def extra_fields(self) -> tuple[str, ...]:
        """The extra field names."""
        return tuple(k for k in self._data if k not in CORE_FIELDS)

    def __len__(self) -> int:
        return self._size

    def add(self, obs: npt.ArrayLike, act: npt.ArrayLike, reward: float, next_obs: npt.ArrayLike,
            terminated: bool | float, **extra: int | float) -> None:
        """Append one transition; every extra field must be given by name."""
        self.add_batch(np.asarray(obs)[None], np.asarray(act)[None], np.asarray([reward]),
                       np.asarray(next_obs)[None], np.asarray([terminated]),
                       **{k: np.asarray([v]) for k, v in extra.items()})

    def add_batch(self, obs: npt.ArrayLike, act: npt.ArrayLike, reward: npt.ArrayLike,
                  next_obs: npt.ArrayLike, terminated: npt.ArrayLike,
                  **extra: npt.ArrayLike) -> None:
        """Append ``n`` transitions (leading axis); beyond capacity only the last are kept.

        An extra field may be given as a scalar, which is broadcast to all ``n`` rows.
        """
        if set(extra) != set(self.extra_fields):
            raise ValueError(f"extra fields must be exactly {self.extra_fields}, "
                             f"got {tuple(extra)}")
        obs_a = np.asarray(obs, np.float32).reshape(-1, self.obs_dim)
        n = obs_a.shape[0]
        values = {
            "obs": obs_a,
            "act": np.asarray(act, np.float32).reshape(n, self.act_dim),
            "reward": np.asarray(reward, np.float32).reshape(n),
            "next_obs": np.asarray(next_obs, np.float32).reshape(n, self.obs_dim),
            "terminated": np.asarray(terminated, np.float32).reshape(n),
        }
        for name, value in extra.items():
            values[name] = np.broadcast_to(np.asarray(value, self._data[name].dtype), (n,))
        if n == 0:
            return
        if n > self.capacity:  # only the newest `capacity` rows survive a FIFO write
            values = {k: v[n - self.capacity:] for k, v in values.items()}
            n = self.capacity
        first = min(n, self.capacity - self._ptr)
        for name, value in values.items():
            self._data[name][self._ptr:self._ptr + first] = value[:first]
            self._data[name][:n - first] = value[first:]
        self._ptr = (self._ptr + n) % self.capacity
        self._size = min(self._size + n, self.capacity)

    def _start(self) -> int:
        """Slot of the oldest transition."""
        return self._ptr if self._size == self.capacity else 0

    def _indices(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Slots of ``n`` uniform draws, taken as positions in time order (oldest = 0).

        Drawing time positions rather than raw slots makes sampling independent of where the
        ring happens to start, so a buffer rebuilt from :meth:`state_dict` samples exactly the
        same transitions as the original whatever its slot layout: exact resume.
        """
        if self._size == 0:
            raise ValueError("cannot sample from an empty buffer")
        return (self._start() + rng.integers(0, self._size, size=n)) % self.capacity

    def sample(self, n: int, rng: np.random.Generator,
               fields: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """``n`` transitions drawn uniformly with replacement (copies), keyed by field.

        ``fields`` restricts the result (default: all fields).
        """
        idx = self._indices(n, rng)
        return {k: self._data[k][idx] for k in (fields or self.fields)}

    def sample_obs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` observations drawn uniformly with replacement (model-rollout start states)."""
        return self._data["obs"][self._indices(n, rng)]

    def ordered(self) -> dict[str, np.ndarray]:
        """All stored transitions, oldest first (contiguous copies)."""
        order = (self._start() + np.arange(self._size)) % self.capacity
        return {k: v[order] for k, v in self._data.items()}

    def resized(self, capacity: int) -> ReplayBuffer:
        """A new buffer of ``capacity`` keeping the newest transitions in FIFO order.

        The MBPO code rebuilds its model buffer this way when the rollout length changes.
        """
        extra = {k: self._data[k].dtype for k in self.extra_fields}
        out = ReplayBuffer(self.obs_dim, self.act_dim, capacity, extra=extra)
        data = self.ordered()
        out.add_batch(*(data[k] for k in CORE_FIELDS),
                      **{k: data[k] for k in self.extra_fields})
        return out

    def state_dict(self, *, time_order: bool = False) -> dict[str, np.ndarray | int]:
        """Numpy arrays and ints only: ``np.savez(path, **buffer.state_dict())``.

        The arrays are *views* of the buffer (no copy: saving a 5 GB buffer costs no 5 GB more),
        valid until the next write to it. Unless the ring has wrapped they are each field's
        stored rows, oldest first. A wrapped ring gives each field's slots as stored plus
        :data:`RING_START`, the slot of the oldest row; ``time_order=True`` copies it oldest
        first instead (for readers that index by time, e.g. the real buffer's file).
        """
        start = self._start()
        ring = start != 0 and not time_order
        data = (self._data if ring else self.ordered() if start
                else {k: v[:self._size] for k, v in self._data.items()})
        state: dict[str, np.ndarray | int] = {k: data[k] for k in CORE_FIELDS}
        state.update({_EXTRA_PREFIX + k: data[k] for k in self.extra_fields})
        state.update(obs_dim=self.obs_dim, act_dim=self.act_dim, capacity=self.capacity)
        if ring:
            state[RING_START] = start
        return state

    @classmethod
    def from_state_dict(cls, state: Mapping[str, np.ndarray | int]) -> ReplayBuffer:
        """Rebuild (copying) from :meth:`state_dict` or ``np.load(path, allow_pickle=False)``:
        oldest first (every version's files), or a wrapped ring with :data:`RING_START`, whose
        slot layout is kept (the rebuilt buffer's own state dict equals the original's)."""
        extra = {k[len(_EXTRA_PREFIX):]: np.asarray(v).dtype for k, v in state.items()
                 if k.startswith(_EXTRA_PREFIX)}
        out = cls(int(state["obs_dim"]), int(state["act_dim"]), int(state["capacity"]),
                  extra=extra)
        arrays = {k: np.asarray(state[k]) for k in CORE_FIELDS}
        arrays.update({k: np.asarray(state[_EXTRA_PREFIX + k]) for k in extra})
        if RING_START in state:
            out._load_ring(arrays, int(state[RING_START]))
        else:
            out.add_batch(*(arrays[k] for k in CORE_FIELDS), **{k: arrays[k] for k in extra})
        return out

    def _load_ring(self, arrays: Mapping[str, np.ndarray], start: int) -> None:
        """Fill every slot from ``arrays`` as stored; ``start`` is the oldest slot."""
        if not 0 < start < self.capacity or any(len(v) != self.capacity for v in arrays.values()):
            raise ValueError(f"not a wrapped ring of {self.capacity} slots from slot {start}")
        for name, target in self._data.items():
            target[...] = arrays[name].reshape(target.shape)
        self._ptr, self._size = start, self.capacity


def _column(rows: np.ndarray, name: str, cols: tuple[int, int]) -> np.ndarray:
    """The view of field ``name`` in a row matrix (1-D for the scalar fields)."""
    return rows[..., cols[0]] if name in _SCALAR_FIELDS else rows[..., cols[0]:cols[1]]


def _blocks(n: int, columns: Mapping[str, tuple[int, int]]) -> dict[str, _Block]:
    """Where each core field of an ``n``-row batch lies in one flat array: the fields one
    after another, each contiguous (as a separately allocated array would be)."""
    out: dict[str, _Block] = {}
    at = 0
    for name in CORE_FIELDS:
        start, stop = columns[name]
        out[name] = (slice(at, at + n * (stop - start)),
                     (n,) if name in _SCALAR_FIELDS else (n, stop - start))
        at += n * (stop - start)
    return out


def sample_batches(parts: Sequence[tuple[ReplayBuffer, int]], count: int,
                   rng: np.random.Generator, device: torch.device | str
                   ) -> list[dict[str, torch.Tensor]]:
    """``count`` SAC batches on ``device``, each of ``n`` rows of every ``(buffer, n)`` of
    ``parts`` in order, keyed by :data:`CORE_FIELDS`.

    The draws are exactly those of ``count`` rounds of :meth:`ReplayBuffer.sample` calls (the
    same ``rng`` calls in the same order; ``n = 0`` draws nothing): a batch depends only on the
    buffers and ``rng``, so drawing all of them before the updates changes nothing. Then one
    row gather per buffer for all batches, one float32 tensor (one copy to the device), and
    each field of each batch is a contiguous slice of it.
    """
    first = parts[0][0]
    if any((b.obs_dim, b.act_dim) != (first.obs_dim, first.act_dim) for b, _ in parts):
        raise ValueError("buffers of one batch must have the same obs_dim and act_dim")
    parts = [(buf, k) for buf, k in parts if k > 0]
    draws = [[buf._indices(k, rng) for buf, k in parts] for _ in range(count)]
    n, width = sum(k for _, k in parts), first.row_width
    blocks = _blocks(n, first.columns)
    flat = torch.empty(count * n * width, dtype=torch.float32)
    per_batch = flat.numpy().reshape(count, n * width)
    at = 0
    for j, (buf, k) in enumerate(parts):
        idx = np.concatenate([d[j] for d in draws])
        rows = np.take(buf._rows, idx, axis=0, mode="clip").reshape(count, k, width)
        for name, (where, shape) in blocks.items():  # views of `flat`, never copies
            target = per_batch[:, where].reshape(count, *shape)[:, at:at + k]
            np.copyto(target, _column(rows, name, first.columns[name]))
        at += k
    flat = flat.to(device, non_blocking=True)
    return [{name: flat[u * n * width:][where].view(shape) for name, (where, shape)
             in blocks.items()} for u in range(count)]


def mixed_parts(real: ReplayBuffer, model: ReplayBuffer, batch_size: int,
                real_ratio: float) -> list[tuple[ReplayBuffer, int]]:
    """``int(batch_size * real_ratio)`` real rows then the rest model rows, as the MBPO code's
    ``_get_batch`` (256 at 5%: 12 real + 244 model)."""
    n_real = int(batch_size * real_ratio)
    return [(real, n_real), (model, batch_size - n_real)]


def to_torch(batch: Mapping[str, np.ndarray],
             device: torch.device | str) -> dict[str, torch.Tensor]:
    """Move a numpy batch to ``device`` (float arrays as float32, integer fields kept)."""
    out = {}
    for key, value in batch.items():
        tensor = torch.from_numpy(np.ascontiguousarray(value))
        if tensor.is_floating_point() and tensor.dtype != torch.float32:
            tensor = tensor.float()
        out[key] = tensor.to(device, non_blocking=True)
    return out
