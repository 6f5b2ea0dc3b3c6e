"""The oracle ablation (``train --model oracle``): rollouts from the simulator, no model to fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from boundcheck.agents import SAC
from boundcheck.buffers import ReplayBuffer
from boundcheck.envs import SPECS
from boundcheck.envs.oracle import SimulatorOracle
from boundcheck.inputs import InputError
from boundcheck.mbpo.checkpoint import load_ensemble
from boundcheck.mbpo.loop import resume_run, start_run, train
from boundcheck.mbpo.setup import resolve_config
from boundcheck.mbpo.steps import branched_rollout
from boundcheck.runs import RunDir
from tests.tiny import TINY

#: InvertedPendulum, 4 epochs of 100 steps, rollouts of k = 3 (some of them fall).
ORACLE = {**TINY, "total_steps": 600, "eval_episodes": 1, "model": "oracle",
          "rollout.min_length": 3, "rollout.max_length": 3}
CPU = torch.device("cpu")


def _config():
    return resolve_config("InvertedPendulum-v5", overrides=ORACLE)


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory) -> RunDir:
    run, state = start_run(_config(), tmp_path_factory.mktemp("runs") / "oracle", seed=0,
                           device=CPU, force=False)
    assert isinstance(state.model, SimulatorOracle) and state.model_optimizer is None
    assert state.uses_model and not state.trains_model
    train(run, state)
    return RunDir.open(run.path)


def test_oracle_run_rolls_out_and_fits_no_model(oracle_run: RunDir) -> None:
    records = oracle_run.read_metrics()
    assert [r["epoch"] for r in records] == [0, 1, 2, 3]
    assert oracle_run.model_epochs() == []  # no model.pt anywhere
    for r in records:
        assert not any(k.startswith("model/") for k in r)
        assert r["rollout/k"] == 3.0 and r["rollout/samples"] > 0
        assert np.isfinite(r["sac/q1_loss"])
    assert oracle_run.read_config()["config"]["model"] == "oracle"


def test_oracle_run_resumes_exactly(oracle_run: RunDir, tmp_path: Path) -> None:
    run, state = start_run(_config(), tmp_path / "cut", seed=0, device=CPU, force=False)

    def die(info: dict) -> None:
        if info["env_steps"] == 530:  # mid epoch 3: resume from epoch 2
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(run, state, progress=die)
    run.release()  # what the death of a killed process does
    run, state, _ = resume_run(tmp_path / "cut", device=CPU)
    assert isinstance(state.model, SimulatorOracle) and state.epoch == 3
    train(run, state)
    assert run.metrics_path.read_bytes() == oracle_run.metrics_path.read_bytes()


def test_validate_measures_an_oracle_run_with_eps_m_zero(oracle_run: RunDir, capsys) -> None:
    """validate on an oracle run: the model is the simulator, so eps_m = eps_m' = 0 exactly
    (a TV, not a proxy), and the model's returns are the simulator's (eta_model near eta)."""
    import json

    from boundcheck.cli import main

    code = main(["validate", "--run", str(oracle_run.path), "--json", "--episodes", "10",
                 "--model-starts", "50", "--device", "cpu", "--threads", "1",
                 "--out", str(oracle_run.path.parent / "validation")])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    doc = json.loads(out)
    assert doc["tv_available"] is True
    pair = doc["pairs"][0]
    assert (pair["data_epoch"], pair["epoch"]) == (2, 3)  # every epoch has the oracle model
    inputs = pair["inputs"]
    assert inputs["eps_m"] == 0.0 and inputs["eps_model_shifted"] == 0.0
    assert inputs["eps_m_source"] == "tv_sup_over_time_upper"
    err_d = pair["model_error"]["pi_d"]
    assert err_d["tv_mean"] == 0.0 and err_d["mse_mean"] == 0.0
    assert err_d["nll_mean"] is None  # no noise: a point mass has no density
    with pytest.raises(InputError, match="no learned model"):
        load_ensemble(oracle_run, 3, _config())


def test_branched_rollout_applies_the_termination() -> None:
    spec = SPECS["InvertedPendulum-v5"]
    cfg = _config()
    agent = SAC(spec.obs_dim, spec.act_dim, cfg.sac, device=CPU,
                generator=torch.Generator().manual_seed(0))
    rng = np.random.default_rng(0)
    starts = ReplayBuffer(spec.obs_dim, spec.act_dim, 400)
    obs = rng.uniform(-0.19, 0.19, (400, spec.obs_dim)).astype(np.float32)
    obs[:, 2:] = rng.normal(0.0, 3.0, (400, 2))  # fast poles: many fall within a few steps
    starts.add_batch(obs, np.zeros((400, 1), np.float32), np.ones(400, np.float32), obs,
                     np.zeros(400, np.float32))
    into = ReplayBuffer(spec.obs_dim, spec.act_dim, 400 * 5)
    oracle = SimulatorOracle(spec)
    out = branched_rollout(agent, oracle, starts, into, k=5, batch_size=400,
                           termination=spec.termination, rng_starts=np.random.default_rng(1),
                           generator=torch.Generator().manual_seed(2), device=CPU)
    data = into.ordered()
    done = data["terminated"].astype(bool)
    assert 0 < done.sum() < len(done) and out["rollout/mean_length"] < 5
    # The flags are the task's rule on the oracle's transitions, which are the simulator's.
    flags = spec.termination(torch.as_tensor(data["obs"]), torch.as_tensor(data["act"]),
                             torch.as_tensor(data["next_obs"]))
    assert np.array_equal(flags.numpy(), done)
    assert np.array_equal(done, np.abs(data["next_obs"][:, 1]) > 0.2)
    true_obs, true_reward = oracle.step(data["obs"], data["act"])
    assert np.abs(true_obs - data["next_obs"]).max() < 1e-5
    assert np.array_equal(true_reward.astype(np.float32), data["reward"])
    # A terminated row is never continued: rows after step 1 start where a kept row ended.
    assert int(out["rollout/samples"]) == len(done)  # nothing evicted: rows 0..399 are step 1
    kept = data["next_obs"][:400][~done[:400]]
    assert 0 < len(kept) < 400
    assert np.array_equal(data["obs"][400 : 400 + len(kept)], kept)
