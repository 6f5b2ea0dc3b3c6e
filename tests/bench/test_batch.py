"""bench.batch's reference path (the former batch construction, on the former field layout)
draws what the loop draws, so its ``identical`` check compares like with like."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.batch import FormerLayout, old_batch, run
from boundcheck.buffers import CORE_FIELDS, REAL_EXTRA, ReplayBuffer, mixed_parts, sample_batches


def _buffer(rows: int, capacity: int, seed: int, real: bool) -> ReplayBuffer:
    rng = np.random.default_rng(seed)
    buf = ReplayBuffer(11, 3, capacity, extra=REAL_EXTRA if real else None)
    buf.add_batch(rng.random((rows, 11)), rng.random((rows, 3)), rng.random(rows),
                  rng.random((rows, 11)), rng.random(rows) < 0.1,
                  **({"epoch": 0} if real else {}))
    return buf


def test_former_layout_batches_equal_the_loops() -> None:
    real, model = _buffer(700, 500, 0, True), _buffer(3000, 2000, 1, False)  # both wrapped
    former = (FormerLayout(real), FormerLayout(model))
    assert not np.shares_memory(former[1].data["obs"], model._rows)
    ref, new = np.random.default_rng(4), np.random.default_rng(4)
    batches = sample_batches(mixed_parts(real, model, 256, 0.05), 5, new, "cpu")
    for batch in batches:
        old = old_batch(*former, ref, "cpu")
        for key in CORE_FIELDS:
            assert torch.equal(old[key], batch[key]), key


@pytest.mark.slow
def test_compiled_updates_are_identical_on_both_paths() -> None:
    result = run(rounds=1, updates_per_step=3, real_rows=2000, model_rows=20_000,
                 assembly_calls=1)
    assert result["identical"] is True
    assert set(result["ms_per_update"]["median"]) == {"bare", "old", "new"}
