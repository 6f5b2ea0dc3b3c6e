"""Replay a whole SAC update as one CUDA graph (removes kernel-launch and Python overhead).

The update must be a function of tensors that mutates its state *in place* (the agent's
parameters, targets, Adam moments and step count), as :class:`boundcheck.agents.sac.SAC`'s is.
The first ``warmup`` calls run eagerly on a side stream (PyTorch's documented requirement
before capture); they are real updates, so graphed and eager agents follow the same sequence.
Randomness stays outside the graph: the caller draws the noise and passes it in.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


class GraphedUpdate:
    """Callable ``(batch, noise) -> metrics`` that captures ``update`` after ``warmup`` calls.

    Args:
        update: ``update(batch: tuple[Tensor, ...], noise: Tensor) -> Tensor`` on CUDA.
        warmup: eager calls before capture (at least 1).
    """

    def __init__(self, update: Callable[..., Tensor], warmup: int = 3) -> None:
        self._update = update
        self._warmup_left = max(1, warmup)
        self._graph: torch.cuda.CUDAGraph | None = None
        self._inputs: tuple[Tensor, ...] = ()
        self._noise: Tensor | None = None
        self._out: Tensor | None = None

    def __call__(self, batch: tuple[Tensor, ...], noise: Tensor) -> Tensor:
        if self._graph is None and self._warmup_left > 0:
            self._warmup_left -= 1
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                out = self._update(batch, noise)
            torch.cuda.current_stream().wait_stream(stream)
            return out
        if self._graph is None:
            self._capture(batch, noise)
        elif (tuple(t.shape for t in batch) != tuple(t.shape for t in self._inputs)
              or self._noise is None or noise.shape != self._noise.shape):
            raise ValueError("a captured update needs the batch shapes it was captured with")
        else:
            for static, new in zip(self._inputs, batch, strict=True):
                static.copy_(new)
            self._noise.copy_(noise)
        assert self._graph is not None and self._out is not None
        self._graph.replay()
        return self._out.clone()

    def _capture(self, batch: tuple[Tensor, ...], noise: Tensor) -> None:
        self._inputs = tuple(t.clone() for t in batch)
        self._noise = noise.clone()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._out = self._update(self._inputs, self._noise)
        self._graph = graph
