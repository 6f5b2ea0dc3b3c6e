"""Everything one MBPO (or plain SAC) run holds, in one explicit object.

Randomness: one ``np.random.SeedSequence(seed)`` is split into independent streams, one per
consumer, so that e.g. a change in evaluation never shifts the training noise:

- ``rng_explore``: uniform exploration actions; ``rng_batches``: SAC batch indices;
  ``rng_starts``: rollout start states; ``torch_sac``: SAC initialisation, exploration noise of
  the acting policy and update noise; ``torch_model``: ensemble initialisation and training;
  ``torch_rollout``: the policy and model samples of branched rollouts; the env is seeded once
  from its own stream; evaluation episode i of epoch e is seeded with (seed, e, i).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np
import torch

from boundcheck.agents import SAC
from boundcheck.buffers import REAL_EXTRA, ReplayBuffer
from boundcheck.config import TrainConfig
from boundcheck.envs import EnvSpec, get_spec, make_env
from boundcheck.envs.oracle import SimulatorOracle
from boundcheck.models import GaussianEnsemble, make_train_step
from boundcheck.models.trainer import StepFn, make_optimizer

#: What branched rollouts step with: the learned ensemble or the simulator (the oracle).
RolloutModel = GaussianEnsemble | SimulatorOracle

#: Label of the transitions collected by uniform-random exploration (before epoch 0).
EXPLORATION_EPOCH = -1


@dataclass
class Streams:
    """The run's independent random streams (see the module docstring)."""

    rng_explore: np.random.Generator
    rng_batches: np.random.Generator
    rng_starts: np.random.Generator
    torch_sac: torch.Generator
    torch_model: torch.Generator
    torch_rollout: torch.Generator
    env_seed: int

    @classmethod
    def from_seed(cls, seed: int, device: torch.device) -> Streams:
        """Split ``seed`` into the streams; torch generators live on ``device``."""
        children = np.random.SeedSequence(seed).spawn(7)
        torch_seeds = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1))
                       for c in children[3:6]]
        gens = [torch.Generator(device=device).manual_seed(s) for s in torch_seeds]
        return cls(
            rng_explore=np.random.default_rng(children[0]),
            rng_batches=np.random.default_rng(children[1]),
            rng_starts=np.random.default_rng(children[2]),
            torch_sac=gens[0], torch_model=gens[1], torch_rollout=gens[2],
            env_seed=int(children[6].generate_state(1)[0]),
        )

    def numpy_generators(self) -> dict[str, np.random.Generator]:
        """Name -> numpy generator, for checkpointing."""
        return {"explore": self.rng_explore, "batches": self.rng_batches,
                "starts": self.rng_starts}

    def torch_generators(self) -> dict[str, torch.Generator]:
        """Name -> torch generator, for checkpointing."""
        return {"sac": self.torch_sac, "model": self.torch_model,
                "rollout": self.torch_rollout}


@dataclass
class EpisodeState:
    """The real environment's current episode."""

    obs: np.ndarray
    ret: float = 0.0
    length: int = 0


@dataclass
class TrainState:
    """The whole mutable state of a run: components, buffers, counters, streams."""

    config: TrainConfig
    spec: EnvSpec
    device: torch.device
    seed: int
    streams: Streams
    env: gymnasium.Env
    agent: SAC
    real: ReplayBuffer
    #: The rollout model: the ensemble, or the simulator itself (``model = "oracle"``).
    model: RolloutModel | None
    model_optimizer: torch.optim.Optimizer | None
    model_buffer: ReplayBuffer | None
    episode: EpisodeState
    env_steps: int = 0
    epoch: int = 0
    rollout_length: int = 0
    finished_returns: list[float] = field(default_factory=list)
    last_model_metrics: dict[str, Any] = field(default_factory=dict)
    #: The ensemble's training step (eager or compiled, ``config.ensemble.backend``).
    model_step: StepFn | None = None

    @property
    def uses_model(self) -> bool:
        """MBPO (True) or the model-free SAC ablation (False)."""
        return self.model is not None

    @property
    def trains_model(self) -> bool:
        """Whether there is a learned model to fit (False for SAC and the oracle ablation)."""
        return isinstance(self.model, GaussianEnsemble)

    def exploring(self) -> bool:
        """Whether the next real step is part of the uniform-random exploration phase."""
        return self.env_steps < self.config.init_exploration_steps


def build_state(config: TrainConfig, *, seed: int, device: torch.device) -> TrainState:
    """A fresh run: components built from ``config``, the env reset with the run's seed."""
    spec = get_spec(config.env)
    streams = Streams.from_seed(seed, device)
    env = make_env(spec, transition_noise=config.transition_noise,
                   reward_noise=config.reward_noise, unit_actions=True)
    obs, _ = env.reset(seed=streams.env_seed)
    env.action_space.seed(streams.env_seed)
    # Never sampled, but its state is saved in rng.json: seeded so equal seeds give equal files.
    env.observation_space.seed(streams.env_seed)
    backend = config.sac_backend(device.type)
    agent = SAC(spec.obs_dim, spec.act_dim, config.sac, device=device,
                generator=streams.torch_sac, compile=backend == "compile",
                cuda_graph=backend == "cuda_graph")
    real = ReplayBuffer(spec.obs_dim, spec.act_dim, min(config.replay_size, config.total_steps),
                        extra=REAL_EXTRA)
    model: RolloutModel | None = None
    optimizer = model_buffer = model_step = None
    if config.algo == "mbpo" and config.model == "oracle":  # nothing to train (docs/trainer.md)
        model = SimulatorOracle(spec, transition_noise=config.transition_noise,
                                reward_noise=config.reward_noise,
                                threads=torch.get_num_threads())
        model_buffer = ReplayBuffer(spec.obs_dim, spec.act_dim, 1)
    elif config.algo == "mbpo":
        model = GaussianEnsemble(spec.obs_dim, spec.act_dim, config.ensemble,
                                 generator=streams.torch_model, device=device,
                                 deterministic=config.model == "deterministic")
        optimizer = make_optimizer(model, config.ensemble)
        model_step = make_train_step(config.ensemble_step_backend(device.type))
        model_buffer = ReplayBuffer(spec.obs_dim, spec.act_dim, 1)
    return TrainState(config=config, spec=spec, device=device, seed=seed, streams=streams,
                      env=env, agent=agent, real=real, model=model,
                      model_optimizer=optimizer, model_buffer=model_buffer, model_step=model_step,
                      episode=EpisodeState(obs=np.asarray(obs, dtype=np.float32)))
