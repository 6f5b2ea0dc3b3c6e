"""Environments: the spec registry, termination functions, state maps and the noise wrapper.

``SPECS`` is one explicit dict of :class:`EnvSpec` objects; ``get_spec(name)`` looks one up.
``make_env(spec, transition_noise=..., reward_noise=...)`` builds it, wrapped in
:class:`KnownNoiseWrapper` when a noise std is positive.
"""

from __future__ import annotations

from boundcheck.envs.make import KnownNoiseWrapper, make_env, set_env_state
from boundcheck.envs.specs import SPECS, EnvSpec, UnknownEnvError, get_spec
from boundcheck.envs.state import StateChart, obs_from_env, set_state_from_obs, state_chart
from boundcheck.envs.termination import TerminationFn

__all__ = [
    "SPECS",
    "EnvSpec",
    "KnownNoiseWrapper",
    "StateChart",
    "TerminationFn",
    "UnknownEnvError",
    "get_spec",
    "make_env",
    "obs_from_env",
    "set_env_state",
    "set_state_from_obs",
    "state_chart",
]
