"""Finite-MDP instances: the JSON file format, its validation, and the random generator.

File format (one JSON object)::

    {"gamma": γ, "mu0": [S], "P": [S][A][S], "P_model": [S][A][S], "r": [S][A],
     "pi_data": [S][A], "pi": [S][A], "k": k}

Random generator (``random_instance``), documented here because results depend on it:

- S uniform in {2..10}, A uniform in {2..4};
- true transitions P(·|s, a) ~ Dirichlet(c·1), c drawn per instance from {0.1, 0.5, 1, 5}
  (small c: near-deterministic dynamics, large c: diffuse);
- model P_model = (1 − α) P + α Q with Q(·|s, a) ~ Dirichlet(c·1) and α ~ U(0, 1);
- π_D(·|s) ~ Dirichlet(c·1); π = (1 − β) π_D + β π′ with π′(·|s) ~ Dirichlet(c·1), β ~ U(0, 1);
- r(s, a) ~ U(−1, 1); μ0 ~ Dirichlet(1);
- γ uniform over GAMMA_GRID and k uniform over K_GRID (the sweep checks every k of K_GRID).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck.codec import loads
from boundcheck.theory.tabular import Array, FiniteMDP

GAMMA_GRID: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95, 0.99)
K_GRID: tuple[int, ...] = (0, 1, 2, 3, 5, 10, 20, 50)
CONCENTRATIONS: tuple[float, ...] = (0.1, 0.5, 1.0, 5.0)
ROW_TOL = 1e-6


class InstanceError(ValueError):
    """An instance file or mapping is malformed; ``field`` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


def _array(raw: Mapping[str, Any], name: str, ndim: int) -> Array:
    if name not in raw:
        raise InstanceError(name, "missing")
    try:
        arr = np.asarray(raw[name], dtype=np.float64)
    except (TypeError, ValueError):
        raise InstanceError(name, "must be a (nested) list of numbers of equal lengths") from None
    if arr.ndim != ndim:
        raise InstanceError(name, f"must have {ndim} dimension(s), got {arr.ndim}")
    if not np.all(np.isfinite(arr)):
        raise InstanceError(name, "contains a non-finite number")
    return arr


def _check_shape(arr: Array, name: str, shape: tuple[int, ...]) -> None:
    if arr.shape != shape:
        raise InstanceError(name, f"must have shape {list(shape)}, got {list(arr.shape)}")


def _check_distribution(arr: Array, name: str) -> None:
    if np.any(arr < 0):
        raise InstanceError(name, "has a negative probability")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > ROW_TOL
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InstanceError(name, f"row {list(idx)} sums to {float(sums[idx]):.9g}, not 1")


def parse_instance(raw: Any) -> FiniteMDP:
    """Validate a decoded JSON object and build the :class:`FiniteMDP` (raises InstanceError)."""
    if not isinstance(raw, Mapping):
        raise InstanceError("instance", "must be a JSON object")
    gamma = raw.get("gamma")
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not (
        math.isfinite(gamma) and 0.0 < gamma < 1.0
    ):
        raise InstanceError("gamma", f"must be a number strictly between 0 and 1, got {gamma!r}")
    k = raw.get("k")
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InstanceError("k", f"must be a non-negative integer, got {k!r}")
    P = _array(raw, "P", 3)
    s, a = P.shape[0], P.shape[1]
    if s < 1 or a < 1 or P.shape[2] != s:
        raise InstanceError("P", f"must have shape [S][A][S], got {list(P.shape)}")
    P_model = _array(raw, "P_model", 3)
    _check_shape(P_model, "P_model", (s, a, s))
    mu0 = _array(raw, "mu0", 1)
    _check_shape(mu0, "mu0", (s,))
    r = _array(raw, "r", 2)
    _check_shape(r, "r", (s, a))
    pi_data = _array(raw, "pi_data", 2)
    _check_shape(pi_data, "pi_data", (s, a))
    pi = _array(raw, "pi", 2)
    _check_shape(pi, "pi", (s, a))
    for arr, name in ((mu0, "mu0"), (P, "P"), (P_model, "P_model"), (pi_data, "pi_data"),
                      (pi, "pi")):
        _check_distribution(arr, name)
    return FiniteMDP(gamma=float(gamma), mu0=mu0, P=P, P_model=P_model, r=r, pi_data=pi_data,
                     pi=pi, k=k)


def load_instance(path: Path) -> FiniteMDP:
    """Read and validate an instance file (raises InstanceError naming the problem)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InstanceError("instance", f"cannot read {path}: {exc.strerror}") from None
    try:
        raw = loads(text, allow_nan=True)  # a NaN is then refused by its key, as before
    except json.JSONDecodeError as exc:
        raise InstanceError("instance", f"{path} is not valid JSON ({exc.msg}, line "
                                        f"{exc.lineno})") from None
    return parse_instance(raw)


def instance_to_dict(mdp: FiniteMDP) -> dict[str, Any]:
    """The JSON-ready form of an instance (the file format above)."""
    return {"gamma": mdp.gamma, "k": mdp.k, "mu0": mdp.mu0.tolist(), "P": mdp.P.tolist(),
            "P_model": mdp.P_model.tolist(), "r": mdp.r.tolist(),
            "pi_data": mdp.pi_data.tolist(), "pi": mdp.pi.tolist()}


def random_instance(rng: np.random.Generator, *, max_states: int = 10,
                    max_actions: int = 4) -> FiniteMDP:
    """Draw one instance from the documented generator (module docstring)."""
    s = int(rng.integers(2, max_states + 1))
    a = int(rng.integers(2, max_actions + 1))
    c = float(rng.choice(CONCENTRATIONS))
    P = rng.dirichlet(np.full(s, c), size=(s, a))
    Q = rng.dirichlet(np.full(s, c), size=(s, a))
    alpha = float(rng.random())
    pi_data = rng.dirichlet(np.full(a, c), size=s)
    pi_other = rng.dirichlet(np.full(a, c), size=s)
    beta = float(rng.random())
    return FiniteMDP(
        gamma=float(rng.choice(GAMMA_GRID)),
        mu0=rng.dirichlet(np.ones(s)),
        P=P,
        P_model=(1.0 - alpha) * P + alpha * Q,
        r=rng.uniform(-1.0, 1.0, size=(s, a)),
        pi_data=pi_data,
        pi=(1.0 - beta) * pi_data + beta * pi_other,
        k=int(rng.choice(K_GRID)),
    )
