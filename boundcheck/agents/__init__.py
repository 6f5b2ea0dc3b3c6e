"""Soft actor-critic (SAC) as used by MBPO: pure-function networks, losses and a thin agent."""

from __future__ import annotations

from boundcheck.agents.losses import BATCH_KEYS, METRIC_KEYS, sac_loss, soft_td_target
from boundcheck.agents.sac import SAC, ActionScaler, metrics_dict

__all__ = [
    "BATCH_KEYS",
    "METRIC_KEYS",
    "SAC",
    "ActionScaler",
    "metrics_dict",
    "sac_loss",
    "soft_td_target",
]
