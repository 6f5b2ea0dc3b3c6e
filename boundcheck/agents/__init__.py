"""Soft actor-critic (SAC) as used by MBPO: pure-function networks, losses and a thin agent."""

from __future__ import annotations

from boundcheck.agents.losses import METRIC_KEYS, sac_loss, soft_td_target
from boundcheck.agents.sac import SAC, metrics_dict

__all__ = [
    "METRIC_KEYS",
    "SAC",
    "metrics_dict",
    "sac_loss",
    "soft_td_target",
]
