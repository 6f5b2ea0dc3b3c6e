"""Benchmark: peak resident memory and time of a checkpoint write with a full model buffer.

Each measurement is a fresh subprocess that builds a run's state at paper settings (``Hopper``:
k = 15, 6M model rows, 0.65 GB; ``Humanoid``: k = 25, 5 retained epochs, 12.5M rows of obs 45
+ act 17, 5.4 GB), fills the model buffer as rollouts do until its ring has wrapped, resets the
kernel's peak-RSS counter (``/proc/self/clear_refs``), then writes epoch 0's checkpoint through
the real path (:func:`boundcheck.mbpo.checkpoint.resume_payload` and friends into
``RunDir.save_checkpoint``). Two styles, alternating:

- ``copy``: the buffers' former ``state_dict``, which copied every field oldest first;
- ``views``: the current one (views of the ring, its oldest slot saved beside it).

The figure is VmHWM after the write minus VmRSS before it: the memory the write adds on top of
the run. Usage::

    python -m bench.memory [--sizes hopper,humanoid] [--repeats 1]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: size name -> environment (the buffer follows from its paper config at its longest k).
SIZES = {"hopper": "Hopper-v5", "humanoid": "Humanoid-v5"}
_ROOT = Path(__file__).resolve().parents[1]
_MB = 2**20


def _status_kb(field: str) -> int:
    """A ``VmRSS``-style line of ``/proc/self/status``, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS; False where the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _copying_state_dict(buffer: Any) -> dict[str, Any]:
    """The former ``ReplayBuffer.state_dict``: every field copied, oldest first."""
    data = buffer.ordered()
    state: dict[str, Any] = {k: data[k] for k in ("obs", "act", "reward", "next_obs",
                                                  "terminated")}
    state.update({"extra." + k: data[k] for k in buffer.extra_fields})
    state.update(obs_dim=buffer.obs_dim, act_dim=buffer.act_dim, capacity=buffer.capacity)
    return state


def _fill(buffer: Any, rows: int, real: bool) -> None:
    """Add ``rows`` transitions in 100k-row chunks (as rollouts add them)."""
    rng = np.random.default_rng(0)
    chunk = rng.random((100_000, 2 * buffer.obs_dim + buffer.act_dim + 2), np.float32)
    o, a = buffer.obs_dim, buffer.act_dim
    for start in range(0, rows, 100_000):
        part = chunk[:min(100_000, rows - start)]
        buffer.add_batch(part[:, :o], part[:, o:o + a], part[:, o + a], part[:, o + a + 1:-1],
                         part[:, -1], **({"epoch": 0} if real else {}))


def child(size: str, style: str, out: Path) -> dict[str, Any]:
    """Build the state, write one checkpoint in ``style``; memory and time of the write."""
    import torch

    from boundcheck.mbpo import checkpoint as ckpt
    from boundcheck.mbpo.loop import start_run
    from boundcheck.mbpo.setup import resolve_config

    config = resolve_config(SIZES[size])
    run, state = start_run(config, out / "run", seed=0, device=torch.device("cpu"), force=False)
    assert state.model_buffer is not None
    k = config.rollout.max_length
    state.model_buffer = state.model_buffer.resized(config.model_buffer_size(k))
    _fill(state.model_buffer, state.model_buffer.capacity + 123_457, real=False)  # wrapped
    _fill(state.real, 100_000, real=True)
    buffer_mb = sum(v.nbytes for v in state.model_buffer._data.values()) / _MB
    gc.collect()
    cleared = _reset_peak()
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    if style == "copy":
        real = {k.removeprefix("extra."): np.asarray(v)
                for k, v in _copying_state_dict(state.real).items()}
        resume = ckpt.resume_payload(state)
        resume.update({"model_buffer." + k: np.asarray(v)
                       for k, v in _copying_state_dict(state.model_buffer).items()})
    else:
        real, resume = ckpt.real_buffer_arrays(state.real), ckpt.resume_payload(state)
    run.save_checkpoint(0, policy=ckpt.policy_payload(state), rng=ckpt.rng_payload(state),
                        buffer=real, model=ckpt.model_payload(state), resume=resume)
    seconds = time.perf_counter() - start
    del real, resume
    peak = _status_kb("VmHWM")
    file_mb = (out / "run" / "checkpoints" / "epoch_0000" / "resume.npz").stat().st_size / _MB
    run.release()
    return {"style": style, "size": size, "model_rows": state.model_buffer.capacity,
            "buffer_mb": buffer_mb, "resume_file_mb": file_mb, "rss_before_mb": before / 1024,
            "peak_increase_mb": (peak - before) / 1024, "write_s": seconds,
            "peak_reset": cleared}


def _room(size: str) -> str | None:
    """Why ``size`` cannot run here (disk or memory), or None."""
    from boundcheck.envs import get_spec
    from boundcheck.mbpo.setup import resolve_config

    config = resolve_config(SIZES[size])
    spec = get_spec(config.env)
    need = config.model_buffer_size(config.rollout.max_length) * (2 * spec.obs_dim
                                                                  + spec.act_dim + 2) * 4
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < 1.3 * need + 2**30:
        return f"disk: {free / 2**30:.1f} GiB free in {tempfile.gettempdir()}, need " \
               f"{(1.3 * need + 2**30) / 2**30:.1f}"
    available = _status_meminfo_kb("MemAvailable") * 1024
    if available < 2.3 * need + 2 * 2**30:  # the buffer, the copying style's copy, the run
        return f"memory: {available / 2**30:.1f} GiB available, need " \
               f"{(2.3 * need + 2 * 2**30) / 2**30:.1f}"
    return None


def _status_meminfo_kb(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _spawn(size: str, style: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        done = subprocess.run([sys.executable, "-m", "bench.memory", "--child", size, style,
                               tmp], cwd=_ROOT, env=env, capture_output=True, text=True,
                              check=False)
    if done.returncode != 0:
        return {"style": style, "error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(*, sizes: str = "hopper,humanoid", repeats: int = 1) -> dict[str, Any]:
    """Peak RSS added by a checkpoint write, ``copy`` vs ``views``, per size (see module doc)."""
    out: dict[str, Any] = {}
    for size in [s for s in sizes.split(",") if s]:
        reason = _room(size)
        if reason is not None:
            out[size] = {"skipped": reason}
            continue
        rows = []
        for r in range(repeats):
            for style in ("copy", "views") if r % 2 == 0 else ("views", "copy"):
                rows.append(_spawn(size, style))
        result: dict[str, Any] = {"runs": rows}
        ok = [row for row in rows if "error" not in row]
        for style in ("copy", "views"):
            mine = [row for row in ok if row["style"] == style]
            if mine:
                result[style] = {key: float(np.median([row[key] for row in mine]))
                                 for key in ("peak_increase_mb", "write_s", "buffer_mb")}
        if "copy" in result and "views" in result:
            result["peak_increase_copy/views"] = (result["copy"]["peak_increase_mb"]
                                                  / max(result["views"]["peak_increase_mb"], 1.0))
            result["write_s_copy/views"] = result["copy"]["write_s"] / result["views"]["write_s"]
        out[size] = result
    return out


def main() -> None:
    """Command-line entry (and the measuring subprocess, ``--child SIZE STYLE DIR``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="hopper,humanoid")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("SIZE", "STYLE", "DIR"))
    args = parser.parse_args()
    if args.child:
        size, style, directory = args.child
        print(json.dumps(child(size, style, Path(directory))))
        return
    print(json.dumps(run(sizes=args.sizes, repeats=args.repeats), indent=2))


if __name__ == "__main__":
    main()
