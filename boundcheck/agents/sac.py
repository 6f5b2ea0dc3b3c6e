"""Soft actor-critic as used by MBPO (softlearning's SAC; paper Appendix C, docs/paper.md §7).

Twin Q critics (batched), a tanh-squashed Gaussian actor, Polyak targets (``tau`` every update),
Adam, automatic entropy tuning on ``log_alpha``. Actions live in ``[-1, 1]^act_dim``; mapping
them to an environment's bounds is the caller's job (``boundcheck.envs.make_env`` rescales the
action space with ``unit_actions``).

An update is one pure function of tensors (:func:`boundcheck.agents.losses.sac_loss`, its
gradient, :func:`boundcheck.agents.adam.adam_step_` and the Polyak step) so it can run eagerly,
compiled with ``torch.compile`` (CPU: ~1.5x faster once compiled, tens of seconds to compile),
or captured as a CUDA graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.adam import AdamState, adam_step_
from boundcheck.agents.cuda_graph import GraphedUpdate
from boundcheck.agents.losses import METRIC_KEYS, sac_loss
from boundcheck.agents.networks import actor_forward, init_actor, init_twin_critic
from boundcheck.buffers import CORE_FIELDS
from boundcheck.config import SACConfig

Batch = tuple[Tensor, Tensor, Tensor, Tensor, Tensor]


def _grad_autograd(loss_fn: Callable[..., tuple[Tensor, Tensor]], params: list[Tensor],
                   *args: Any) -> tuple[list[Tensor], Tensor]:
    """Gradient by plain reverse-mode autograd (fastest eagerly)."""
    with torch.enable_grad():
        leaves = [p.detach().requires_grad_() for p in params]
        total, metrics = loss_fn(leaves, *args)
        grads = torch.autograd.grad(total, leaves)
    return list(grads), metrics


def _grad_func(loss_fn: Callable[..., tuple[Tensor, Tensor]], params: list[Tensor],
               *args: Any) -> tuple[list[Tensor], Tensor]:
    """Gradient by ``torch.func.grad`` (traceable by ``torch.compile`` as one graph)."""
    grads, metrics = torch.func.grad(loss_fn, has_aux=True)(params, *args)
    return list(grads), metrics


class SAC:
    """SAC agent whose state is plain tensors and whose update returns metrics.

    Args:
        obs_dim: observation size.
        act_dim: action size (actions in ``[-1, 1]``).
        config: hyper-parameters; ``config.target_entropy=None`` means ``-act_dim``.
        device: where all tensors live.
        generator: the *only* source of randomness of initialisation and updates; it must live
            on ``device`` (a CUDA generator for a CUDA device).
        compile: wrap the update in ``torch.compile`` (pays compile time once per process).
        cuda_graph: on CUDA, run the first updates eagerly and then replay one captured graph.
    """

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        config: SACConfig,
        *,
        device: torch.device | str,
        generator: torch.Generator,
        compile: bool = False,
        cuda_graph: bool = False,
    ) -> None:
        self.device = torch.device(device)
        if generator.device.type != self.device.type:
            raise ValueError(f"generator is on {generator.device}, agent on {self.device}")
        if cuda_graph and (self.device.type != "cuda" or compile):
            raise ValueError("cuda_graph needs a CUDA device and compile=False")
        self.obs_dim, self.act_dim, self.config = obs_dim, act_dim, config
        self.generator = generator
        self.target_entropy = (
            float(-act_dim) if config.target_entropy is None else float(config.target_entropy)
        )
        width, depth = config.hidden_width, config.num_hidden
        self.actor = init_actor(obs_dim, act_dim, width, depth, device=self.device,
                                generator=generator)
        self.critic = init_twin_critic(obs_dim, act_dim, width, depth, device=self.device,
                                       generator=generator)
        self.log_alpha = torch.full((), float(np.log(config.init_alpha)), device=self.device)
        self.target_critic = [p.clone() for p in self.critic]
        self.adam = AdamState.zeros_like(self._params)
        # Host-side Adam scalars only where reading the step count is free (eager CPU).
        self._capturable = compile or self.device.type != "cpu"
        loss = partial(sac_loss, num_actor=len(self.actor), gamma=config.gamma,
                       target_entropy=self.target_entropy)
        grad = partial(_grad_func if compile else _grad_autograd, loss)
        update: Callable[..., Tensor] = partial(self._update_fn, grad)
        if compile:
            update = torch.compile(update, fullgraph=True, dynamic=False)
        self._graph = GraphedUpdate(update, warmup=3) if cuda_graph else None
        self._update = update

    @property
    def _params(self) -> list[Tensor]:
        return [*self.actor, *self.critic, self.log_alpha]

    @property
    def alpha(self) -> float:
        """Current entropy temperature ``exp(log_alpha)``."""
        return float(self.log_alpha.exp())

    def policy_distribution(self, obs: Tensor | np.ndarray) -> tuple[Tensor, Tensor]:
        """Pre-tanh Gaussian ``(mean, log_std)``, each ``[B, act_dim]``, at a batch of obs."""
        with torch.no_grad():
            return actor_forward(self.actor, self._as_tensor(obs))

    def act_tensor(self, obs: Tensor, deterministic: bool = False,
                   generator: torch.Generator | None = None) -> Tensor:
        """Actions in ``[-1, 1]`` for a ``[B, obs_dim]`` tensor, left on the agent's device.

        ``deterministic`` gives ``tanh(mean)``; otherwise a sample drawing from ``generator``
        (default: the agent's own, which then shifts the updates' random stream).
        """
        mean, log_std = self.policy_distribution(obs)
        if deterministic:
            return torch.tanh(mean)
        noise = torch.randn(mean.shape, generator=generator or self.generator,
                            device=self.device)
        return torch.tanh(mean + log_std.exp() * noise)

    def act(self, obs: np.ndarray | Tensor, deterministic: bool = False,
            generator: torch.Generator | None = None) -> np.ndarray:
        """Like :meth:`act_tensor` for one obs ``[obs_dim]`` or a batch, returned as numpy."""
        x = self._as_tensor(obs)
        single = x.ndim == 1
        action = self.act_tensor(x.unsqueeze(0) if single else x, deterministic, generator)
        out = action.cpu().numpy()
        return out[0] if single else out

    def _as_tensor(self, obs: Tensor | np.ndarray) -> Tensor:
        return torch.as_tensor(obs, dtype=torch.float32, device=self.device)

    def _update_fn(self, grad: Callable[..., tuple[list[Tensor], Tensor]], batch: Batch,
                   noise: Tensor) -> Tensor:
        params = self._params
        grads, metrics = grad(params, self.target_critic, batch, noise)
        adam_step_(params, grads, self.adam, lr=self.config.lr, capturable=self._capturable)
        with torch.no_grad():
            torch._foreach_lerp_(self.target_critic, self.critic, self.config.tau)
        return metrics

    def step(self, batch: Mapping[str, Tensor | np.ndarray]) -> Tensor:
        """One SAC update on ``batch`` (keys :data:`~boundcheck.buffers.CORE_FIELDS`); returns the
        metrics tensor.

        The result is detached, ordered as :data:`METRIC_KEYS`, and still on the device, so a
        caller can skip the host sync that converting it costs.
        """
        tensors = self._batch(batch)
        noise = torch.randn((2, tensors[0].shape[0], self.act_dim), generator=self.generator,
                            device=self.device)
        if self._graph is not None:
            return self._graph(tensors, noise)
        return self._update(tensors, noise)

    def update(self, batch: Mapping[str, Tensor | np.ndarray]) -> dict[str, float]:
        """One SAC update; returns ``{metric key: value}`` (see :data:`METRIC_KEYS`)."""
        return metrics_dict(self.step(batch))

    def _batch(self, batch: Mapping[str, Tensor | np.ndarray]) -> Batch:
        def get(key: str) -> Tensor:
            return torch.as_tensor(batch[key], device=self.device).to(torch.float32)

        obs, act, reward, next_obs, terminated = (get(k) for k in CORE_FIELDS)
        return obs, act, reward.reshape(-1), next_obs, terminated.reshape(-1)

    def state_dict(self) -> dict[str, Any]:
        """A snapshot (cloned tensors) of networks, targets, ``log_alpha`` and Adam state.

        Only tensors, lists and dicts: loadable with ``torch.load(weights_only=True)``. The
        generator is the caller's: save ``generator.get_state()`` beside it to resume exactly.
        """
        adam = {k: ([t.clone() for t in v] if isinstance(v, list) else v.clone())
                for k, v in self.adam.state_dict().items()}  # type: ignore[union-attr]
        return {
            "actor": [p.clone() for p in self.actor],
            "critic": [p.clone() for p in self.critic],
            "target_critic": [p.clone() for p in self.target_critic],
            "log_alpha": self.log_alpha.clone(),
            "adam": adam,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy ``state`` into this agent in place (shapes must match)."""
        with torch.no_grad():
            for name in ("actor", "critic", "target_critic"):
                mine, theirs = getattr(self, name), state[name]
                if [p.shape for p in mine] != [p.shape for p in theirs]:
                    raise ValueError(f"{name}: parameter shapes do not match")
                torch._foreach_copy_(mine, [t.to(self.device) for t in theirs])
            self.log_alpha.copy_(state["log_alpha"])
        self.adam.load_state_dict(state["adam"])


def metrics_dict(metrics: Tensor) -> dict[str, float]:
    """``{key: float}`` from a stacked metrics tensor (one host sync)."""
    return dict(zip(METRIC_KEYS, metrics.tolist(), strict=True))
