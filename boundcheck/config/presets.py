"""The task presets: typed deltas from :data:`~boundcheck.config.run.BASE`, one per task.

A preset is a function ``TrainConfig -> TrainConfig`` made of ``dataclasses.replace`` calls,
so a preset that names a field that does not exist, or gives it a value of the wrong type, is
an error for mypy (and a ``TypeError`` at import). The values are the per-task columns of the
paper's hyperparameter table (Appendix C; docs/paper.md, §7, marks the entries from the
authors' code); every value not from that table says where it comes from. The task names are
those of :mod:`boundcheck.envs` (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from boundcheck.config.fields import ConfigError
from boundcheck.config.run import BASE, TrainConfig

#: A task's delta: the config ``BASE`` becomes for that task.
Preset = Callable[[TrainConfig], TrainConfig]


@dataclass(frozen=True)
class PaperColumn:
    """One task's column of the paper's table (Appendix C). ``k = (x, y, a, b)`` is the model
    horizon "x → y over epochs a → b". Every entry is written out, even where it equals
    ``BASE``, so that a preset reads complete on its own and does not change if ``BASE`` does.
    """

    total_steps: int
    updates_per_step: int
    target_entropy: float
    k: tuple[int, int, int, int] = (1, 1, 20, 100)
    epoch_length: int = 1000
    model_hidden_width: int = 200
    model_train_freq: int = 250
    retain_epochs: int = 1
    init_exploration_steps: int = 5000

    def apply(self, config: TrainConfig) -> TrainConfig:
        """``config`` with this column's values."""
        min_length, max_length, min_epoch, max_epoch = self.k
        return replace(
            config, total_steps=self.total_steps, epoch_length=self.epoch_length,
            updates_per_step=self.updates_per_step, model_train_freq=self.model_train_freq,
            retain_epochs=self.retain_epochs, init_exploration_steps=self.init_exploration_steps,
            rollout=replace(config.rollout, min_length=min_length, max_length=max_length,
                            min_epoch=min_epoch, max_epoch=max_epoch),
            sac=replace(config.sac, target_entropy=self.target_entropy),
            ensemble=replace(config.ensemble, hidden_width=self.model_hidden_width))


#: Hopper's k: the paper says 1 → 15 over epochs 20 → 100; the authors' code uses 20 → 150.
_HOPPER = PaperColumn(total_steps=125_000, updates_per_step=20, target_entropy=-1.0,
                      k=(1, 15, 20, 100))
_WALKER = PaperColumn(total_steps=300_000, updates_per_step=20, target_entropy=-3.0)
_CHEETAH = PaperColumn(total_steps=400_000, updates_per_step=40, target_entropy=-3.0)
_ANT = PaperColumn(total_steps=300_000, updates_per_step=20, target_entropy=-4.0,
                   k=(1, 25, 20, 100))
_HUMANOID = PaperColumn(total_steps=300_000, updates_per_step=20, target_entropy=-2.0,
                        k=(1, 25, 20, 300), model_hidden_width=400, model_train_freq=1000,
                        retain_epochs=5)
_INVERTED_PENDULUM = PaperColumn(total_steps=15_000, epoch_length=250, updates_per_step=10,
                                 target_entropy=-0.05, init_exploration_steps=500)
#: Not in the paper: InvertedPendulum's column with twice the steps (a harder task).
_DOUBLE_PENDULUM = replace(_INVERTED_PENDULUM, total_steps=30_000)
_PENDULUM = PaperColumn(total_steps=1000, epoch_length=200, updates_per_step=2,
                        target_entropy=-1.0, model_hidden_width=64, model_train_freq=100,
                        init_exploration_steps=200)


def _pendulum(config: TrainConfig) -> TrainConfig:
    """Not from the paper: a small, fast preset for smoke tests (4 epochs of 200 steps after
    200 random ones; small networks and rollout batches). Raise total_steps and
    updates_per_step to learn."""
    config = _PENDULUM.apply(config)
    return replace(config, rollout_batch_size=1000,
                   sac=replace(config.sac, hidden_width=64),
                   ensemble=replace(config.ensemble, max_epochs=20))


#: Task name -> its preset.
PRESETS: Mapping[str, Preset] = MappingProxyType({
    "Hopper-v5": _HOPPER.apply,
    "Walker2d-v5": _WALKER.apply,
    "HalfCheetah-v5": _CHEETAH.apply,
    "Ant-v5": _ANT.apply,
    "Humanoid-v5": _HUMANOID.apply,
    "InvertedPendulum-v5": _INVERTED_PENDULUM.apply,
    "InvertedDoublePendulum-v5": _DOUBLE_PENDULUM.apply,
    "Pendulum-v1": _pendulum,
})


def sac_baseline(config: TrainConfig) -> TrainConfig:
    """The paper's model-free baseline: standard SAC (Haarnoja et al., 2018) with its usual
    settings, one gradient update per real step and the target entropy -|A|, on the task's
    budget, epochs and exploration. SAC at MBPO's update ratio stays reachable with
    ``--set updates_per_step=20`` (docs/trainer.md, "The SAC baseline")."""
    return replace(config, updates_per_step=1, sac=replace(config.sac, target_entropy=None))


def task_config(task: str, algo: str = "mbpo") -> TrainConfig:
    """``BASE`` with ``task``'s preset, for ``algo``: MBPO's settings, or for ``"sac"`` the
    paper's SAC baseline (:func:`sac_baseline`). :class:`ConfigError` for a task without a
    preset."""
    try:
        preset = PRESETS[task]
    except KeyError:
        raise ConfigError(f"no preset for task {task!r}; known: {', '.join(PRESETS)}") from None
    config = replace(preset(BASE), env=task, algo=algo)
    return sac_baseline(config) if algo == "sac" else config
