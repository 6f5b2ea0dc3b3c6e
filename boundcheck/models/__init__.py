"""Dynamics model: the fused probabilistic ensemble (or its deterministic ablation) and its
trainer (docs/paper.md §7; docs/trainer.md, "Ablations")."""

from __future__ import annotations

from boundcheck.models.ensemble import (
    DEFAULT_CHUNK_SIZE,
    MEAN_ONLY_KEY,
    GaussianEnsemble,
    make_dataset,
)
from boundcheck.models.fast_step import FunctionalTrainStep, make_train_step
from boundcheck.models.normalizer import Normalizer
from boundcheck.models.trainer import make_optimizer, train_ensemble

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MEAN_ONLY_KEY",
    "FunctionalTrainStep",
    "GaussianEnsemble",
    "Normalizer",
    "make_dataset",
    "make_optimizer",
    "make_train_step",
    "train_ensemble",
]
