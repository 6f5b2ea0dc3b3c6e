"""Fused probabilistic dynamics ensemble (paper Appendix C and the authors' code; docs/paper.md §7).

E Gaussian MLPs predict the targets ``y = [r, s' - s]`` (dimension ``D = 1 + obs_dim``) from the
standardized input ``x = [s, a]``. All members are evaluated at once: layer ``l`` holds one weight
tensor ``W_l`` [E, in, out] and one bias ``b_l`` [E, 1, out], and a layer is one ``torch.baddbmm``
(no Python loop over members). Each member outputs a mean ``mu`` and a log-variance that is
soft-clamped between two learned bounds shared by the members, as in the original code::

    logvar = max_logvar - softplus(max_logvar - raw)
    logvar = min_logvar + softplus(logvar - min_logvar)

A *deterministic* ensemble (``deterministic=True``, the ``train --model deterministic`` ablation;
docs/trainer.md, "Ablations") has the same layers and initial weights but is trained on the MSE of
its means and rolls out the mean of one uniformly drawn elite: its variance columns and bounds
are kept (unused) so that a seed initializes both kinds alike.

The state is a plain ``state_dict`` of tensors (weights, biases, log-variance bounds, the
normalizer's ``mean``/``std`` and the ``elites`` index buffer), loadable with
``torch.load(..., weights_only=True)``; rebuild with :meth:`GaussianEnsemble.from_state_dict`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from boundcheck.config import EnsembleConfig
from boundcheck.models.functional import ensemble_mlp
from boundcheck.models.normalizer import Normalizer

#: Rows per forward pass on the CPU in :meth:`GaussianEnsemble.sample_step` / ``mean_and_var``:
#: bounds the activation memory of a 100k-sample rollout step: on a 2-core CPU allocation
#: dominates unchunked (all 7 members on 100k rows: 3.5 s whole, 1.6 s in chunks of 4096 with
#: in-place activations). On a GPU the default is one chunk: 100k rows took 2.2 ms whole vs
#: 19 ms in chunks of 4096 on an H100 (launch-bound).
DEFAULT_CHUNK_SIZE = 4096

#: Buffer (a 0-dim bool tensor) present in the ``state_dict`` of a deterministic ensemble only:
#: :meth:`GaussianEnsemble.from_state_dict` reads the kind from it, and a strict load into the
#: other kind fails on the missing or unexpected key.
MEAN_ONLY_KEY = "mean_only"


def make_dataset(obs: Tensor, act: Tensor, reward: Tensor,
                 next_obs: Tensor) -> tuple[Tensor, Tensor]:
    """Training pairs of the original code.

    Returns inputs ``[s, a]`` [N, o + a] and targets ``[r, s' - s]`` [N, 1 + o].
    """
    inputs = torch.cat([obs, act], dim=-1)
    targets = torch.cat([reward.reshape(-1, 1), next_obs - obs], dim=-1)
    return inputs, targets


def _trunc_normal(shape: tuple[int, ...], std: float, generator: torch.Generator,
                  dtype: torch.dtype) -> Tensor:
    """Normal(0, std) truncated at two std (TF's ``truncated_normal_initializer``)."""
    t = torch.empty(shape, device=generator.device, dtype=dtype)
    return nn.init.trunc_normal_(t, 0.0, std, -2.0 * std, 2.0 * std, generator=generator)


def _slot_positions(choice: Tensor, num_slots: int) -> tuple[Tensor, int]:
    """For each row ``i`` a position ``pos[i]`` unique within its slot ``choice[i]``.

    Rows of slot ``k`` get positions ``0 .. count_k - 1``, so ``padded[choice, pos] = x`` packs the
    rows into a [num_slots, max_count, ...] tensor. Returns ``(pos, max_count)``.
    """
    n = choice.shape[0]
    order = torch.argsort(choice, stable=True)
    counts = torch.bincount(choice, minlength=num_slots)
    starts = counts.cumsum(0) - counts
    pos = torch.empty_like(choice)
    pos[order] = torch.arange(n, device=choice.device) - starts[choice[order]]
    return pos, int(counts.max())


class GaussianEnsemble(nn.Module):
    """E probabilistic MLPs (``num_hidden`` x ``hidden_width`` SiLU) fused into batched matmuls.

    Args:
        obs_dim: observation size ``o``.
        act_dim: action size ``a``.
        config: sizes and log-variance bound inits (``num_members``, ``num_elites``,
            ``hidden_width``, ``num_hidden``, ``init_max_logvar``, ``init_min_logvar``).
        generator: source of the initial weights (truncated normal, std ``1 / (2 sqrt(in))``,
            zero biases, as the original ``FC`` layer); it may live on any device.
        device: where parameters and buffers live.
        dtype: floating dtype of parameters and buffers.
        deterministic: the mean-only ablation: the trainer minimizes the MSE of the means (no
            log-variance terms), rollouts use an elite's mean, :meth:`mean_and_var` raises.

    Attributes:
        weights, biases: per layer, [E, in, out] and [E, 1, out].
        max_logvar, min_logvar: learned bounds [1, D], shared by the members (original code).
        normalizer: input standardization, fitted by the trainer on its training split.
        elites: LongTensor [num_elites] of member indices, set by the trainer (lowest holdout
            MSE first); before training it is ``0 .. num_elites - 1``.
        deterministic: whether this is the mean-only ablation (see Args).
    """

    elites: Tensor

    def __init__(
        self, obs_dim: int, act_dim: int, config: EnsembleConfig, *,
        generator: torch.Generator, device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32, deterministic: bool = False,
    ) -> None:
        super().__init__()
        self.deterministic = deterministic
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.in_dim, self.out_dim = obs_dim + act_dim, 1 + obs_dim
        self.num_members, self.num_elites = config.num_members, config.num_elites
        sizes = [self.in_dim] + [config.hidden_width] * config.num_hidden + [2 * self.out_dim]
        e = self.num_members
        self.weights = nn.ParameterList(
            nn.Parameter(_trunc_normal((e, n_in, n_out), 1.0 / (2.0 * n_in**0.5), generator,
                                       dtype).to(device))
            for n_in, n_out in itertools.pairwise(sizes)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(e, 1, n_out, device=device, dtype=dtype))
            for n_out in sizes[1:]
        )
        self.max_logvar = nn.Parameter(
            torch.full((1, self.out_dim), config.init_max_logvar, device=device, dtype=dtype))
        self.min_logvar = nn.Parameter(
            torch.full((1, self.out_dim), config.init_min_logvar, device=device, dtype=dtype))
        self.normalizer = Normalizer(self.in_dim, device=device, dtype=dtype)
        self.register_buffer("elites", torch.arange(self.num_elites, device=device))
        if deterministic:
            self.register_buffer(MEAN_ONLY_KEY, torch.ones((), dtype=torch.bool, device=device))

    @classmethod
    def from_state_dict(
        cls, obs_dim: int, act_dim: int, config: EnsembleConfig, state_dict: Mapping[str, Tensor],
        *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32,
    ) -> GaussianEnsemble:
        """Rebuild a saved ensemble from its constructor arguments and ``state_dict``; the kind
        (probabilistic or deterministic) is read from the state (:data:`MEAN_ONLY_KEY`)."""
        # The initial weights are overwritten, so a fixed throwaway generator is fine here.
        model = cls(obs_dim, act_dim, config, generator=torch.Generator().manual_seed(0),
                    device=device, dtype=dtype, deterministic=MEAN_ONLY_KEY in state_dict)
        model.load_state_dict(state_dict)
        return model

    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.max_logvar.device

    @property
    def dtype(self) -> torch.dtype:
        """Floating dtype of the parameters."""
        return self.max_logvar.dtype

    # ----------------------------------------------------------------------------------------
    # Forward passes
    # ----------------------------------------------------------------------------------------
    def _mlp(self, weights: Sequence[Tensor], biases: Sequence[Tensor],
             x: Tensor) -> tuple[Tensor, Tensor]:
        """Run the members given by ``weights``/``biases`` ([M, ...]) on ``x`` [M, B, in]."""
        # In-place activations halve allocation when no graph is recorded (see DEFAULT_CHUNK_SIZE).
        return ensemble_mlp(weights, biases, self.max_logvar, self.min_logvar, x,
                            inplace=not torch.is_grad_enabled())

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Means and log-variances [E, B, D] of every member on *normalized* inputs [E, B, in].

        Member ``e`` sees ``x[e]``; pass ``x.expand(E, -1, -1)`` to give all members the same rows.
        """
        return self._mlp(list(self.weights), list(self.biases), x)

    def _member_params(self, members: Tensor | None) -> tuple[list[Tensor], list[Tensor]]:
        if members is None:
            return list(self.weights), list(self.biases)
        return ([w.index_select(0, members) for w in self.weights],
                [b.index_select(0, members) for b in self.biases])

    def _chunk_rows(self, chunk_size: int | None, rows: int) -> int:
        if chunk_size is not None:
            return chunk_size
        return DEFAULT_CHUNK_SIZE if self.device.type == "cpu" else max(rows, 1)

    def normalized_inputs(self, obs: Tensor, act: Tensor) -> Tensor:
        """Standardized ``[s, a]`` [B, in] on the model's device and dtype."""
        x = torch.cat([obs, act], dim=-1).to(device=self.device, dtype=self.dtype)
        return self.normalizer.forward(x)

    @torch.no_grad()
    def mean_and_var(
        self, obs: Tensor, act: Tensor, *, elites_only: bool = False,
        chunk_size: int | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Each member's Gaussian over the targets ``y = [r, s' - s]`` at raw ``obs``/``act``.

        Returns ``(mean, var)``, both [M, B, D], where M runs over all members in index order, or
        over ``self.elites`` in that buffer's order when ``elites_only``. The model's predictive
        distribution (used by the estimators) is the uniform mixture over the elites. Rows are
        processed ``chunk_size`` at a time (``None``: :data:`DEFAULT_CHUNK_SIZE` on the CPU, all
        at once elsewhere).

        Raises:
            ValueError: for a deterministic model: its law is a mixture of point masses, with no
                density (a zero variance would make every NLL infinite, and its untrained
                variance head means nothing); use :meth:`predict_mean`.
        """
        if self.deterministic:
            raise ValueError("a deterministic (mean-only) ensemble has no variances: its law is a "
                             "mixture of point masses; use predict_mean (docs/trainer.md, "
                             "'Ablations')")
        mean, var = self._predict(obs, act, elites_only, chunk_size, with_var=True)
        assert var is not None
        return mean, var

    @torch.no_grad()
    def predict_mean(self, obs: Tensor, act: Tensor, *, elites_only: bool = False,
                     chunk_size: int | None = None) -> Tensor:
        """Each member's mean [M, B, D] of ``y = [r, s' - s]`` (both kinds of model); members and
        chunks as in :meth:`mean_and_var`."""
        return self._predict(obs, act, elites_only, chunk_size, with_var=False)[0]

    def _predict(self, obs: Tensor, act: Tensor, elites_only: bool, chunk_size: int | None,
                 with_var: bool) -> tuple[Tensor, Tensor | None]:
        x = self.normalized_inputs(obs, act)
        weights, biases = self._member_params(self.elites if elites_only else None)
        m = weights[0].shape[0]
        means, variances = [], []
        for chunk in torch.split(x, self._chunk_rows(chunk_size, x.shape[0])):
            mean, logvar = self._mlp(weights, biases, chunk.unsqueeze(0).expand(m, -1, -1))
            means.append(mean)
            if with_var:
                variances.append(logvar.exp_())
        return torch.cat(means, dim=1), torch.cat(variances, dim=1) if with_var else None

    @torch.no_grad()
    def sample_step(
        self, obs: Tensor, act: Tensor, generator: torch.Generator, *,
        deterministic: bool = False, chunk_size: int | None = None,
    ) -> tuple[Tensor, Tensor]:
        """One imagined transition per row: ``(next_obs [B, o], reward [B])``.

        For each row an elite is drawn uniformly (as the original ``random_inds``) and the target
        ``[r, s' - s]`` is sampled from that elite's Gaussian (its mean if ``deterministic`` or
        the model is deterministic: then only the elite draw uses ``generator``).
        Only the drawn elite is evaluated: rows are packed per elite into a padded
        [num_elites, max_count, in] batch, so a chunk costs about one member's forward pass
        instead of E. Random numbers come only from ``generator`` (any device). The draws depend
        on the chunking, so pass ``chunk_size`` explicitly where a run must reproduce across
        devices (``None``: :data:`DEFAULT_CHUNK_SIZE` rows on the CPU, all at once elsewhere).
        """
        obs = obs.to(device=self.device, dtype=self.dtype)
        x = self.normalized_inputs(obs, act)
        weights, biases = self._member_params(self.elites)
        deterministic = deterministic or self.deterministic
        targets = torch.cat([self._sample_chunk(weights, biases, chunk, generator, deterministic)
                             for chunk in torch.split(x, self._chunk_rows(chunk_size, x.shape[0]))])
        return obs + targets[:, 1:], targets[:, 0]

    def _sample_chunk(self, weights: list[Tensor], biases: list[Tensor], x: Tensor,
                      generator: torch.Generator, deterministic: bool) -> Tensor:
        n, k = x.shape[0], weights[0].shape[0]
        choice = torch.randint(k, (n,), generator=generator, device=generator.device)
        choice = choice.to(self.device)
        pos, max_count = _slot_positions(choice, k)
        packed = x.new_zeros(k, max_count, self.in_dim)
        packed[choice, pos] = x
        mean, logvar = self._mlp(weights, biases, packed)
        mean = mean[choice, pos]
        if deterministic:
            return mean
        noise = torch.randn(n, self.out_dim, generator=generator, device=generator.device,
                            dtype=self.dtype).to(self.device)
        return mean + noise * logvar[choice, pos].mul_(0.5).exp_()
