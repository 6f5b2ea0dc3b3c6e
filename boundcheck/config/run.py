"""The config of one run: :class:`TrainConfig` and its defaults, :data:`BASE`.

Defaults are the paper's (Appendix C) and the authors' code, jannerm/mbpo, for Hopper
(docs/paper.md, §7); the task presets (:mod:`boundcheck.config.presets`) are deltas from
:data:`BASE`. docs/trainer.md lists every deviation, docs/settings.md every setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from boundcheck.config.fields import DOC, ConfigError, check, setting
from boundcheck.config.sections import (
    AUTO_COMPILE_UPDATES,
    EnsembleConfig,
    RolloutSchedule,
    SACConfig,
)

#: The models MBPO can roll out (``TrainConfig.model``).
MODELS = ("ensemble", "deterministic", "oracle")


@dataclass(frozen=True)
class TrainConfig:
    """One MBPO (or plain SAC) run. ``algo="sac"`` is the paper's "no model" ablation."""

    env: str = setting("Hopper-v5", "The task (docs/envs.md). Chosen with --env, which also "
                       "picks the preset; a config naming another task is refused.")
    algo: str = setting("mbpo", "mbpo, or sac: the paper's SAC baseline (docs/trainer.md, "
                        "'The SAC baseline').")
    model: str = setting(
        "ensemble", "The model MBPO rolls out (docs/trainer.md, 'Ablations'): ensemble (the "
        "paper's probabilistic ensemble), deterministic (the same ensemble trained with MSE on "
        "its mean, rollouts from the mean) or oracle (the simulator itself: eps_m = 0). "
        "--model sets it.")
    total_steps: int = setting(
        125_000, "Real environment steps in all, the random exploration included (paper, "
        "Appendix C: N epochs × E; docs/trainer.md, 'Step counting'). --steps sets it.")
    epoch_length: int = setting(1000, "E, real environment steps per epoch (paper, Appendix "
                                "C: 1000; InvertedPendulum 250).")
    model_train_freq: int = setting(
        250, "Real steps between model retrains; each retrain is followed by "
        "rollout_batch_size branched rollouts (code: 250; Humanoid 1000).")
    rollout_batch_size: int = setting(
        100_000, "Branched rollouts started after each retrain: M = rollout_batch_size / "
        "model_train_freq per environment step (paper, Appendix C: M = 400).")
    retain_epochs: int = setting(1, "Epochs of model rollouts the model buffer D_model keeps "
                                 "(code: 1; Humanoid 5).")
    real_ratio: float = setting(0.05, "Fraction of real data in each SAC batch, in [0, 1] "
                                "(code: 0.05).")
    updates_per_step: int = setting(20, "G, SAC gradient updates per real environment step "
                                    "(paper, Appendix C: 20; HalfCheetah 40; "
                                    "InvertedPendulum 10).")
    init_exploration_steps: int = setting(
        5000, "Uniform-random real steps before epoch 0; they count toward total_steps "
        "(code: 5000; pendulums 500).")
    eval_episodes: int = setting(1, "Deterministic evaluation episodes after each epoch "
                                 "(code: 1).")
    replay_size: int = setting(1_000_000, "Capacity of the real-data buffer D_env, "
                               "transitions.")
    model_checkpoint_stride: int = setting(
        1, "Save the model every this many epochs (the last epoch is always saved).")
    transition_noise: float = setting(
        0.0, "Std of known Gaussian noise added to the next state, observation units (0: the "
        "plain simulator); makes the true dynamics known, so the model error ε_m can be "
        "estimated (docs/paper.md, §2). --transition-noise sets it.")
    reward_noise: float = setting(0.0, "Std of known Gaussian noise added to the reward, "
                                  "reward units (0: none). --reward-noise sets it.")
    rollout: RolloutSchedule = field(default_factory=RolloutSchedule,
                                     metadata={DOC: "The model horizon k per epoch."})
    ensemble: EnsembleConfig = field(default_factory=EnsembleConfig,
                                     metadata={DOC: "The model ensemble and its trainer."})
    sac: SACConfig = field(default_factory=SACConfig, metadata={DOC: "Soft actor-critic."})

    def __post_init__(self) -> None:
        check(self.algo in ("mbpo", "sac"), "algo must be 'mbpo' or 'sac'")
        check(self.model in MODELS, f"model must be one of {', '.join(MODELS)}")
        check(self.total_steps >= 1, "total_steps must be >= 1")
        check(self.epoch_length >= 1, "epoch_length must be >= 1")
        check(self.model_train_freq >= 1, "model_train_freq must be >= 1")
        check(self.rollout_batch_size >= 1, "rollout_batch_size must be >= 1")
        check(self.retain_epochs >= 1, "retain_epochs must be >= 1")
        check(0.0 <= self.real_ratio <= 1.0, "real_ratio must be in [0, 1]")
        check(self.updates_per_step >= 0, "updates_per_step must be >= 0")
        check(self.init_exploration_steps >= 0, "init_exploration_steps must be >= 0")
        check(self.total_steps > self.init_exploration_steps,
              f"total_steps ({self.total_steps}) must exceed init_exploration_steps "
              f"({self.init_exploration_steps}): exploration steps count toward the total")
        check(self.eval_episodes >= 0, "eval_episodes must be >= 0")
        check(self.replay_size >= 1, "replay_size must be >= 1")
        check(self.model_checkpoint_stride >= 1, "model_checkpoint_stride must be >= 1")
        check(self.transition_noise >= 0 and self.reward_noise >= 0, "noise must be >= 0")

    def sac_backend(self, device_type: str) -> str:
        """The SAC update backend this run uses on ``device_type`` ("cpu" or "cuda")."""
        backend = self.sac.backend
        if backend == "auto":
            if device_type == "cuda":
                return "cuda_graph"
            updates = (self.total_steps - self.init_exploration_steps) * self.updates_per_step
            return "compile" if updates >= AUTO_COMPILE_UPDATES else "eager"
        if backend == "cuda_graph" and device_type != "cuda":
            raise ConfigError("sac.backend=cuda_graph needs a CUDA device")
        return backend

    def ensemble_step_backend(self, device_type: str) -> str:
        """The model's training-step backend: decided from the real buffer's capacity."""
        return self.ensemble.step_backend(device_type, min(self.replay_size, self.total_steps))

    @property
    def epochs(self) -> int:
        """Epochs after the exploration phase (the last one possibly partial).

        Every real step counts toward ``total_steps``, exploration included (see
        :mod:`boundcheck.mbpo.loop`).
        """
        return -(-(self.total_steps - self.init_exploration_steps) // self.epoch_length)

    def model_buffer_size(self, k: int) -> int:
        """retain_epochs × k × rollout_batch_size × (epoch_length / model_train_freq): the
        model buffer of the authors' code (docs/paper.md, §7)."""
        per_epoch = self.epoch_length // self.model_train_freq
        return self.retain_epochs * k * self.rollout_batch_size * max(per_epoch, 1)


#: The base configuration (Hopper's paper defaults); the task presets are deltas from it.
BASE = TrainConfig()
