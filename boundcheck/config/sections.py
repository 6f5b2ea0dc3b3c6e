"""The nested sections of a run's config: the model ensemble, SAC, the rollout schedule.

Defaults are the paper's (Appendix C) and the authors' code, jannerm/mbpo, as docs/paper.md
(Section 7) lists them; docs/trainer.md lists every deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from boundcheck.config.fields import check, setting

#: ``ensemble.backend = "auto"`` compiles the CPU training step for data sets of this many rows.
AUTO_COMPILE_MODEL_ROWS = 20_000


@dataclass(frozen=True)
class EnsembleConfig:
    """The probabilistic ensemble p_θ and its trainer (paper, Appendix C; docs/paper.md, §7)."""

    num_members: int = setting(7, "B, the ensemble size: Gaussian MLPs, each trained on its "
                               "own bootstrap of the real data (paper, Appendix C: 7).")
    num_elites: int = setting(5, "Elites: the members with the lowest holdout MSE, one of "
                              "which is drawn per rollout sample (code: 5).")
    hidden_width: int = setting(200, "Units per hidden layer of each member (paper, Appendix "
                                "C: 200; Humanoid 400).")
    num_hidden: int = setting(4, "Hidden layers per member, SiLU (swish) activations (paper, "
                              "Appendix C: 4).")
    weight_decay: tuple[float, ...] = setting(
        (2.5e-5, 5e-5, 7.5e-5, 7.5e-5, 1e-4), "L2 decay per layer, one value per layer "
        "(num_hidden hidden layers, then the output); comma-separated with --set (code).")
    lr: float = setting(1e-3, "Adam learning rate of the model (code: 1e-3).")
    batch_size: int = setting(256, "Rows per model gradient step (code: 256).")
    holdout_ratio: float = setting(0.2, "Fraction of the real data held out to measure each "
                                   "member's MSE, in (0, 1) (code: 0.2).")
    max_holdout: int = setting(5000, "Cap on the held-out rows (code: 5000).")
    patience: int = setting(5, "Stop after more than this many epochs in a row in which no "
                            "member improved its holdout MSE by improvement_threshold (code: 5).")
    improvement_threshold: float = setting(
        0.01, "Relative holdout-MSE improvement that snapshots a member's weights (code: 0.01, "
        "i.e. 1%).")
    max_epochs: int = setting(0, "Cap on epochs per (re)training, as the code's BNN.train "
                              "max_epochs; 0: no cap (the paper's runs). docs/trainer.md.")
    max_model_t: float = setting(
        0.0, "Wall-clock cap per (re)training in seconds, checked after each epoch, as the "
        "code's max_model_t; 0: no cap (the paper's runs). A capped run depends on the "
        "machine's speed: it is not reproducible bit for bit.")
    logvar_penalty: float = setting(0.01, "Weight of the penalty on the learned log-variance "
                                    "bounds, 0.01 · (Σ max − Σ min) (code).")
    init_max_logvar: float = setting(0.5, "Initial upper bound of the learned log-variance, "
                                     "log of squared target units (code: 0.5).")
    init_min_logvar: float = setting(-10.0, "Initial lower bound of the learned "
                                     "log-variance, log of squared target units (code: -10).")
    backend: str = setting(
        "auto", "How model training steps run: eager (autograd), compile (loss and gradient "
        "as one torch.compile graph, models/fast_step.py: ~1.2-1.5x faster on 2 CPU cores, "
        "~20 s to compile once), or auto: compile on the CPU when the training data can reach "
        f"{AUTO_COMPILE_MODEL_ROWS} rows, eager elsewhere (docs/trainer.md, 'Model backend').")

    def __post_init__(self) -> None:
        check(self.num_members >= 1, "ensemble.num_members must be >= 1")
        check(1 <= self.num_elites <= self.num_members,
              "ensemble.num_elites must be in [1, ensemble.num_members]")
        check(self.hidden_width >= 1 and self.num_hidden >= 1, "ensemble layers must be >= 1")
        check(len(self.weight_decay) == self.num_hidden + 1,
              "ensemble.weight_decay needs one value per layer (num_hidden + 1)")
        check(self.lr > 0 and self.batch_size >= 1, "ensemble.lr and batch_size must be > 0")
        check(0.0 < self.holdout_ratio < 1.0, "ensemble.holdout_ratio must be in (0, 1)")
        check(self.patience >= 1, "ensemble.patience must be >= 1")
        check(self.max_epochs >= 0, "ensemble.max_epochs must be >= 0 (0 = no cap)")
        check(math.isfinite(self.max_model_t) and self.max_model_t >= 0,
              "ensemble.max_model_t must be a finite number of seconds >= 0 (0 = no cap)")
        check(self.backend in ("auto", "eager", "compile"),
              "ensemble.backend must be one of auto, eager, compile")

    def step_backend(self, device_type: str, rows: int) -> str:
        """The training-step backend for ``rows`` rows of data on ``device_type``.

        ``auto`` is decided once, from the real buffer's capacity in a run and from the
        training-set size in measure-generalization; compile on CUDA is unmeasured.
        """
        if self.backend != "auto":
            return self.backend
        compile_pays = device_type == "cpu" and rows >= AUTO_COMPILE_MODEL_ROWS
        return "compile" if compile_pays else "eager"


#: ``sac.backend = "auto"`` compiles the CPU update from this many updates in a run on.
AUTO_COMPILE_UPDATES = 100_000


@dataclass(frozen=True)
class SACConfig:
    """Soft actor-critic: twin Q, squashed-Gaussian actor, automatic entropy tuning (paper,
    Appendix C; docs/paper.md, §7)."""

    hidden_width: int = setting(256, "Units per hidden layer of the actor and of each critic "
                                "(code: 256).")
    num_hidden: int = setting(2, "Hidden layers of the actor and of each critic (code: 2).")
    lr: float = setting(3e-4, "Adam learning rate of the actor, the critics and the "
                        "temperature (code: 3e-4).")
    tau: float = setting(5e-3, "τ, the target networks' smoothing per update, in (0, 1] "
                         "(code: 5e-3).")
    gamma: float = setting(0.99, "γ, the discount of the SAC objective, in (0, 1) (code: "
                           "0.99).")
    batch_size: int = setting(256, "Rows per SAC update, real_ratio of them real (code: 256).")
    target_entropy: float | None = setting(
        None, "Target entropy of the automatic temperature tuning, nats; none: -|A| (the SAC "
        "paper's heuristic). The presets set the code's per-task values (docs/paper.md, §7).")
    init_alpha: float = setting(1.0, "Initial entropy temperature α (> 0).")
    backend: str = setting(
        "auto", "How SAC updates run: eager, compile (torch.compile, CPU or CUDA), cuda_graph "
        "(CUDA only), or auto: a CUDA graph on CUDA; on CPU, compile when the run makes at "
        f"least {AUTO_COMPILE_UPDATES} updates (~40 s once, then ~1.3x faster updates).")

    def __post_init__(self) -> None:
        check(0.0 < self.gamma < 1.0, "sac.gamma must be in (0, 1)")
        check(0.0 < self.tau <= 1.0, "sac.tau must be in (0, 1]")
        check(self.lr > 0 and self.batch_size >= 1, "sac.lr and sac.batch_size must be > 0")
        check(self.init_alpha > 0, "sac.init_alpha must be > 0")
        check(self.backend in ("auto", "eager", "compile", "cuda_graph"),
              "sac.backend must be one of auto, eager, compile, cuda_graph")


#: The longest rollout a run may ask for (``rollout.max_length``, ``rollout.fixed_length``): the
#: episode horizon of the MuJoCo tasks (1,000 steps). Longer model rollouts than any real
#: episode have no use, and the model buffer holds rollout_batch_size × k rows per retrain.
MAX_ROLLOUT_LENGTH = 1000


@dataclass(frozen=True)
class RolloutSchedule:
    """The model horizon k, linear "x → y over epochs a → b" (paper, Appendix C; docs/paper.md,
    §7): f(e) = min(max(x + (e - a) / (b - a) * (y - x), x), y), floored to an integer; or one
    k for every epoch (``fixed_length``, not the paper's: docs/trainer.md, "A fixed rollout
    length")."""

    min_epoch: int = setting(20, "a, the epoch (from 0, after exploration) where k starts to "
                             "grow from min_length.")
    max_epoch: int = setting(100, "b, the epoch where k reaches max_length (> min_epoch).")
    min_length: int = setting(1, "x, the model horizon k up to epoch a, model steps (>= 1).")
    max_length: int = setting(1, "y, the model horizon k from epoch b on, model steps "
                              "(paper, Appendix C: 15 Hopper, 25 Ant and Humanoid, else 1; "
                              f"at most {MAX_ROLLOUT_LENGTH}).")
    fixed_length: int | None = setting(
        None, "k for every epoch, in place of the schedule (min/max_length and _epoch are then "
        f"unused): 1 to {MAX_ROLLOUT_LENGTH} model steps; none: the schedule. Not the paper's; "
        "a sweep axis (docs/trainer.md, 'A fixed rollout length').")

    def __post_init__(self) -> None:
        check(self.min_length >= 1 and self.max_length >= self.min_length,
              "rollout lengths must satisfy 1 <= min_length <= max_length")
        check(self.max_length <= MAX_ROLLOUT_LENGTH,
              f"rollout.max_length must be at most {MAX_ROLLOUT_LENGTH}, got {self.max_length}")
        check(self.max_epoch > self.min_epoch, "rollout.max_epoch must exceed rollout.min_epoch")
        check(self.fixed_length is None or 1 <= self.fixed_length <= MAX_ROLLOUT_LENGTH,
              f"rollout.fixed_length must be none or 1 to {MAX_ROLLOUT_LENGTH}, "
              f"got {self.fixed_length} (k = 0, no model data, is --algo sac)")

    def length(self, epoch: int) -> int:
        """Rollout length k at (0-based) ``epoch``."""
        if self.fixed_length is not None:
            return self.fixed_length
        x, y = self.min_length, self.max_length
        frac = (epoch - self.min_epoch) / (self.max_epoch - self.min_epoch)
        return math.floor(min(max(x + frac * (y - x), x), y))
