"""A tiny MBPO run end to end: files, finite losses, determinism, exact resume after a kill.

A real SIGKILL of a training process is in tests/integration/test_kill.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from boundcheck.agents import SAC
from boundcheck.mbpo.loop import resume_run, start_run, train
from boundcheck.mbpo.setup import resolve_config
from boundcheck.models.trainer import train_step
from boundcheck.runs import RunDir, RunLockedError
from tests.tiny import TINY

#: tests/tiny.py's settings, 4 epochs of 100 steps, one evaluation episode.
SHORT = {**TINY, "total_steps": 400, "eval_episodes": 1}


def tiny_config(**extra):
    return resolve_config("Pendulum-v1", overrides={**SHORT, **extra})


def run_tiny(out: Path, seed: int = 0, **extra) -> RunDir:
    run, state = start_run(tiny_config(**extra), out, seed=seed, device=torch.device("cpu"),
                           force=False)
    train(run, state)
    return run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> RunDir:
    return run_tiny(tmp_path_factory.mktemp("runs") / "a")


def test_files_and_metrics(tiny_run: RunDir) -> None:
    records = tiny_run.read_metrics()
    assert [r["epoch"] for r in records] == [0, 1]
    assert records[-1]["env_steps"] == 400
    for r in records:
        for key in ("q1_loss", "q2_loss", "actor_loss", "alpha", "model/holdout_mse",
                    "model/holdout_nll", "eval/return_mean", "rollout/k"):
            matching = [k for k in r if k.endswith(key)]
            assert matching, key
            assert all(math.isfinite(r[k]) for k in matching), (key, r)
    assert tiny_run.epochs() == [0, 1]
    assert tiny_run.model_epochs() == [0, 1]
    cfg = tiny_run.read_config()
    assert cfg["config"]["env"] == "Pendulum-v1" and cfg["config"]["seed"] == 0
    buffer = tiny_run.load_buffer(1)
    assert buffer["obs"].shape == (400, 3)
    labels = buffer["epoch"]
    assert (labels[:200] == -1).all() and (labels[200:300] == 0).all()
    assert (labels[300:] == 1).all()
    assert (tiny_run.path / "timings.jsonl").exists()


def test_checkpoint_round_trip(tiny_run: RunDir) -> None:
    policy = tiny_run.load_policy(1)
    cfg = tiny_config()
    agent = SAC(3, 1, cfg.sac, device="cpu", generator=torch.Generator().manual_seed(1))
    agent.load_state_dict(policy)
    obs = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    again = SAC(3, 1, cfg.sac, device="cpu", generator=torch.Generator().manual_seed(2))
    again.load_state_dict(policy)
    assert np.array_equal(agent.act(obs, deterministic=True), again.act(obs, deterministic=True))


def test_same_seed_same_metrics(tiny_run: RunDir, tmp_path: Path) -> None:
    reports: list[dict] = []
    run, state = start_run(tiny_config(), tmp_path / "b", seed=0, device=torch.device("cpu"),
                           force=False)
    train(run, state, progress=reports.append)  # watching the run changes nothing in it
    other = RunDir.open(tmp_path / "b")
    assert other.metrics_path.read_bytes() == tiny_run.metrics_path.read_bytes()
    # The model fits report their epochs while they run (a fit can take minutes).
    fits = [r["fit"] for r in reports if "fit" in r]
    assert fits and fits[0].startswith("fitting the model: epoch 1, ")
    assert len(fits) >= 4  # 2 epochs x 2 retrains (every 50 of 100 steps), >= 1 fit epoch each
    different = run_tiny(tmp_path / "c", seed=1)
    assert different.metrics_path.read_bytes() != tiny_run.metrics_path.read_bytes()


def test_resume_after_interrupt_is_exact(tiny_run: RunDir, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    run, state = start_run(tiny_config(), out, seed=0, device=torch.device("cpu"), force=False)

    def die(info: dict) -> None:
        if info["env_steps"] == 350:  # mid epoch 1, after epoch 0's checkpoint
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(run, state, progress=die)
    assert RunDir.open(out).epochs() == [0]
    with pytest.raises(RunLockedError, match="this process"):  # the handle still holds it
        resume_run(out, device=torch.device("cpu"))
    run.release()  # what the death of a killed process does
    run, state, _ = resume_run(out, device=torch.device("cpu"))
    assert state.epoch == 1 and state.env_steps == 300
    train(run, state)
    assert run.metrics_path.read_bytes() == tiny_run.metrics_path.read_bytes()


def test_sac_ablation_has_no_model(tmp_path: Path) -> None:
    run = run_tiny(tmp_path / "sac", algo="sac")
    assert run.model_epochs() == []
    assert not any(k.startswith("model/") for k in run.read_metrics()[-1])


def test_resume_is_exact_when_rollouts_terminate(tmp_path: Path) -> None:
    # InvertedPendulum terminates, and with k = 3 rollouts add a varying number of rows, so the
    # model buffer's ring is misaligned at checkpoints (Pendulum never exercises this).
    # Four epochs: the ring has wrapped (at a misaligned slot) by the epoch-2 checkpoint.
    extra = {"rollout.min_length": 3, "rollout.max_length": 3, "total_steps": 600}

    def config():
        return resolve_config("InvertedPendulum-v5", overrides={**SHORT, **extra})

    full_run, full_state = start_run(config(), tmp_path / "full", seed=0,
                                     device=torch.device("cpu"), force=False)
    train(full_run, full_state)
    rows = RunDir.open(tmp_path / "full").load_resume(3)
    assert rows is not None
    assert int(rows["model_buffer.capacity"]) == 1 * 3 * 200 * 2
    assert RunDir.open(tmp_path / "full").read_metrics()[1]["rollout/mean_length"] < 3  # falls
    run, state = start_run(config(), tmp_path / "cut", seed=0, device=torch.device("cpu"),
                           force=False)

    def die(info: dict) -> None:
        if info["env_steps"] == 530:  # mid epoch 3: resume from epoch 2
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(run, state, progress=die)
    run.release()  # what the death of a killed process does
    run, state, _ = resume_run(tmp_path / "cut", device=torch.device("cpu"))
    train(run, state)
    assert run.metrics_path.read_bytes() == full_run.metrics_path.read_bytes()


def test_a_run_from_before_the_model_backend_resumes_eagerly(tmp_path: Path) -> None:
    """A config.json without ``ensemble.backend`` (older runs) resumes with the eager step the
    run was trained with, not with whatever ``auto`` would pick today."""
    out = tmp_path / "old"
    start_run(tiny_config(), out, seed=0, device=torch.device("cpu"), force=False)
    path = out / "config.json"
    doc = json.loads(path.read_text())
    del doc["config"]["ensemble"]["backend"]
    del doc["config"]["resolved_backends"]
    path.write_text(json.dumps(doc))
    _, state, config = resume_run(out, device=torch.device("cpu"))
    assert config.ensemble.backend == "eager"
    assert state.model_step is train_step
