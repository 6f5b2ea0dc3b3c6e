"""Replay buffers for real (D_env) and model (D_model) transitions (PAPER.md, Algorithm 2).

A :class:`ReplayBuffer` is a FIFO ring of numpy arrays: ``obs``, ``act``, ``reward``,
``next_obs``, ``terminated`` (float32; 1.0 only for a true termination, never for a time-limit
truncation) plus optional scalar *extra* fields, e.g. the real buffer's ``epoch`` (the epoch of
the policy that collected each transition, used to measure policy shift). Sampling is uniform
with replacement through a passed ``np.random.Generator``; nothing here holds randomness.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import torch

#: The fields every buffer has, in order; they are the keys of a SAC batch.
CORE_FIELDS: tuple[str, ...] = ("obs", "act", "reward", "next_obs", "terminated")
#: Name of the real buffer's extra field: the epoch of the collecting policy.
EPOCH_FIELD = "epoch"
#: ``extra`` for the real buffer.
REAL_EXTRA: dict[str, npt.DTypeLike] = {EPOCH_FIELD: np.int64}
_EXTRA_PREFIX = "extra."


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
        self._data: dict[str, np.ndarray] = {
            "obs": np.zeros((capacity, obs_dim), np.float32),
            "act": np.zeros((capacity, act_dim), np.float32),
            "reward": np.zeros(capacity, np.float32),
            "next_obs": np.zeros((capacity, obs_dim), np.float32),
            "terminated": np.zeros(capacity, np.float32),
        }
        for name, dtype in (extra or {}).items():
            self._data[name] = np.zeros(capacity, dtype)
        self._ptr = 0  # next slot to write
        self._size = 0

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
        ring happens to start, so a buffer rebuilt from :meth:`state_dict` (oldest first, from
        slot 0) samples exactly the same transitions as the original: exact resume.
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
        """All stored transitions, oldest first (copies)."""
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

    def state_dict(self) -> dict[str, np.ndarray | int]:
        """Numpy arrays and ints only, oldest first: ``np.savez(path, **buffer.state_dict())``."""
        data = self.ordered()
        state: dict[str, np.ndarray | int] = {k: data[k] for k in CORE_FIELDS}
        state.update({_EXTRA_PREFIX + k: data[k] for k in self.extra_fields})
        state.update(obs_dim=self.obs_dim, act_dim=self.act_dim, capacity=self.capacity)
        return state

    @classmethod
    def from_state_dict(cls, state: Mapping[str, np.ndarray | int]) -> ReplayBuffer:
        """Rebuild from :meth:`state_dict` (or ``np.load(path, allow_pickle=False)``)."""
        extra = {k[len(_EXTRA_PREFIX):]: np.asarray(v).dtype for k, v in state.items()
                 if k.startswith(_EXTRA_PREFIX)}
        out = cls(int(state["obs_dim"]), int(state["act_dim"]), int(state["capacity"]),
                  extra=extra)
        out.add_batch(*(np.asarray(state[k]) for k in CORE_FIELDS),
                      **{k: np.asarray(state[_EXTRA_PREFIX + k]) for k in extra})
        return out


def mixed_batch(real: ReplayBuffer, model: ReplayBuffer, batch_size: int, real_ratio: float,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A SAC batch of ``int(batch_size * real_ratio)`` real rows then the rest model rows.

    As the MBPO code's ``_get_batch``: 256 at 5% gives 12 real + 244 model. Only the
    :data:`CORE_FIELDS` are returned (the buffers' extras differ).
    """
    n_real = int(batch_size * real_ratio)
    n_model = batch_size - n_real
    parts = [buf.sample(n, rng, CORE_FIELDS) for buf, n in ((real, n_real), (model, n_model))
             if n > 0]
    return {k: np.concatenate([p[k] for p in parts]) for k in CORE_FIELDS}


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
