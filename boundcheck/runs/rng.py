"""Capture and restore random-number-generator states as JSON-able data (``rng.json``).

Resuming a killed run must continue the *same* random streams, so every generator the trainer
draws from is saved with each checkpoint: numpy ``Generator`` objects (their
``bit_generator.state`` dict), torch ``Generator`` objects (CPU or CUDA; ``get_state()`` bytes,
base64-encoded) and gymnasium environments (``env.np_random`` and the action and observation
spaces' generators, which ``action_space.sample()`` uses for random exploration).

Generators are passed by name, explicitly: nothing here touches global RNGs unless the caller
passes one (``torch.default_generator`` is a ``torch.Generator`` like any other). Restoring is
strict: the saved names must equal the given names, so a missing or extra generator is an
error (:class:`RngStateError`), not a silently unseeded stream.

Note: an environment's RNG is not its whole state; the simulator's physical state is not saved
here (a resume mid-episode must restore or reset it separately).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from boundcheck.runs.errors import RngStateError

RNG_FORMAT_VERSION = 1


def numpy_state(gen: np.random.Generator) -> dict[str, Any]:
    """JSON-able state of a numpy ``Generator`` (arrays, e.g. MT19937's key, become lists)."""
    state: dict[str, Any] = _jsonable(gen.bit_generator.state)
    return state


def restore_numpy(gen: np.random.Generator, state: Mapping[str, Any]) -> None:
    """Set ``gen`` to ``state`` (from :func:`numpy_state`); its next draws repeat the saved ones."""
    expected = type(gen.bit_generator).__name__
    if state.get("bit_generator") != expected:
        raise RngStateError(
            f"cannot restore a {state.get('bit_generator')!r} state into a {expected} generator"
        )
    gen.bit_generator.state = dict(state)


def torch_state(gen: torch.Generator) -> dict[str, Any]:
    """JSON-able state of a torch ``Generator``: its device and base64 ``get_state()`` bytes."""
    raw = gen.get_state().numpy().tobytes()
    return {"device": str(gen.device), "state": base64.b64encode(raw).decode("ascii")}


def restore_torch(gen: torch.Generator, state: Mapping[str, Any]) -> None:
    """Set ``gen`` to ``state`` (from :func:`torch_state`) on the same device type."""
    saved, current = str(state.get("device", "")), str(gen.device)
    if saved.split(":")[0] != current.split(":")[0]:
        raise RngStateError(f"cannot restore a {saved} generator state into a {current} generator")
    raw = base64.b64decode(state["state"])
    gen.set_state(torch.frombuffer(bytearray(raw), dtype=torch.uint8).clone())


def env_state(env: Any) -> dict[str, Any]:
    """JSON-able RNG state of a gymnasium env: ``np_random`` and its spaces' generators.

    ``env`` may be wrapped; its ``np_random`` is read through ``env.unwrapped``.
    """
    state = {"np_random": numpy_state(env.unwrapped.np_random)}
    for name in ("action_space", "observation_space"):
        space = getattr(env, name, None)
        if space is not None:
            state[name] = numpy_state(space.np_random)
    return state


def restore_env(env: Any, state: Mapping[str, Any]) -> None:
    """Restore :func:`env_state` into ``env`` (generators are updated in place)."""
    restore_numpy(env.unwrapped.np_random, state["np_random"])
    for name in ("action_space", "observation_space"):
        if name in state:
            restore_numpy(getattr(env, name).np_random, state[name])


def capture_rng(
    *,
    numpy_gens: Mapping[str, np.random.Generator] | None = None,
    torch_gens: Mapping[str, torch.Generator] | None = None,
    envs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Snapshot named generators into one JSON-able dict (the content of ``rng.json``).

    Example: ``capture_rng(numpy_gens={"agent": rng}, torch_gens={"cpu": torch.default_generator},
    envs={"train": env, "eval": eval_env})``.
    """
    return {
        "format_version": RNG_FORMAT_VERSION,
        "numpy": {k: numpy_state(g) for k, g in (numpy_gens or {}).items()},
        "torch": {k: torch_state(g) for k, g in (torch_gens or {}).items()},
        "envs": {k: env_state(e) for k, e in (envs or {}).items()},
    }


def restore_rng(
    state: Mapping[str, Any],
    *,
    numpy_gens: Mapping[str, np.random.Generator] | None = None,
    torch_gens: Mapping[str, torch.Generator] | None = None,
    envs: Mapping[str, Any] | None = None,
) -> None:
    """Restore :func:`capture_rng` output into the same named generators (names must match)."""
    if state.get("format_version") != RNG_FORMAT_VERSION:
        raise RngStateError(f"unsupported rng.json format_version {state.get('format_version')!r}")
    groups: tuple[tuple[str, Mapping[str, Any], Any], ...] = (
        ("numpy", numpy_gens or {}, restore_numpy),
        ("torch", torch_gens or {}, restore_torch),
        ("envs", envs or {}, restore_env),
    )
    for group, targets, _ in groups:
        saved = state.get(group, {})
        if set(saved) != set(targets):
            raise RngStateError(
                f"{group} generators differ: saved {sorted(saved)}, given {sorted(targets)}"
            )
    for group, targets, restore in groups:
        for name, target in targets.items():
            restore(target, state[group][name])


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
