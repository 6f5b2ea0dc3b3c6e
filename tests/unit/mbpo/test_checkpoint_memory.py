"""A checkpoint write does not copy the model buffer (gigabytes at long rollouts), and the
resume state it writes restores the buffer exactly."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import torch

from boundcheck.buffers import CORE_FIELDS, RING_START, ReplayBuffer
from boundcheck.mbpo import checkpoint as ckpt
from boundcheck.mbpo.loop import start_run
from boundcheck.mbpo.setup import resolve_config
from boundcheck.mbpo.state import build_state
from boundcheck.runs import RunDir
from tests.tiny import TINY


def _wrapped_model_buffer(rows: int, obs_dim: int, act_dim: int) -> ReplayBuffer:
    """A full model buffer whose oldest row sits mid-ring, filled in rollout-sized chunks."""
    buf, rng, chunk = ReplayBuffer(obs_dim, act_dim, rows), np.random.default_rng(0), 500_000
    for _ in range(rows // chunk + 1):
        buf.add_batch(rng.random((chunk, obs_dim), np.float32),
                      rng.random((chunk, act_dim), np.float32), rng.random(chunk, np.float32),
                      rng.random((chunk, obs_dim), np.float32), np.zeros(chunk, np.float32))
    assert len(buf) == rows and buf.state_dict().get(RING_START)
    return buf


def test_checkpoint_write_does_not_copy_the_model_buffer(tmp_path: Path) -> None:
    config = resolve_config("Pendulum-v1", overrides={**TINY, "total_steps": 400})
    run, state = start_run(config, tmp_path / "run", seed=0, device=torch.device("cpu"),
                           force=False)
    obs_dim, act_dim = state.spec.obs_dim, state.spec.act_dim
    buf = state.model_buffer = _wrapped_model_buffer(3_000_000, obs_dim, act_dim)  # 108 MB
    nbytes = buf._rows.nbytes
    tracemalloc.start()
    try:
        resume = ckpt.resume_payload(state)
        for key in CORE_FIELDS:  # the payload is the ring itself, not a copy of it
            assert np.shares_memory(resume["model_buffer." + key], buf._rows), key
        run.save_checkpoint(0, policy=ckpt.policy_payload(state), rng=ckpt.rng_payload(state),
                            buffer=ckpt.real_buffer_arrays(state.real),
                            model=ckpt.model_payload(state), resume=resume)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # numpy writes in 16 MiB chunks; a copy of the buffer would be at least nbytes.
    assert peak < 0.4 * nbytes, (peak, nbytes)
    run.release()
    fresh = build_state(config, seed=1, device=torch.device("cpu"))
    ckpt.restore(fresh, RunDir.open(tmp_path / "run"), 0)
    assert fresh.model_buffer is not None and len(fresh.model_buffer) == len(buf)
    mine, theirs = buf.state_dict(), fresh.model_buffer.state_dict()
    assert mine[RING_START] == theirs[RING_START]
    for key in CORE_FIELDS:
        np.testing.assert_array_equal(theirs[key], mine[key])
    draws = [b.sample(64, np.random.default_rng(3)) for b in (buf, fresh.model_buffer)]
    for key in CORE_FIELDS:
        np.testing.assert_array_equal(draws[0][key], draws[1][key])
