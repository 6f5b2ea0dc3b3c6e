"""Benchmark: the fused ensemble (baddbmm) vs a loop over 7 separate MLPs, interleaved.

Hopper-v5 sizes (obs 11, act 3), the paper's ensemble (7 members, 4x200 SiLU). Two workloads:

* a training step: 256 rows per member, Gaussian NLL + per-layer L2 decay + log-variance bound
  penalty, backward, Adam. Fused: one :func:`boundcheck.models.trainer.train_step` (eager
  autograd); fused compiled: :class:`boundcheck.models.FunctionalTrainStep` (the loss and its
  gradient as one ``torch.compile`` graph, what a long CPU run uses). Loop: 7 ``nn.Sequential``
  MLPs, each with its own Adam, stepped one after the other. GEMM floor: only the step's
  matrix products (:mod:`bench.floor`); ``loop / floor`` bounds what any fp32 step can gain.
* a rollout step of 100k samples: next state and reward sampled from one uniformly drawn elite
  per row. Fused: :meth:`GaussianEnsemble.sample_step` (only the drawn elite is evaluated, rows
  packed per elite; chunks of 4096 rows on the CPU, the whole batch on a GPU). Loop: the
  original's way, every one of the 7 looped models predicts every row (same chunks, in-place
  activations), then one elite's output per row is kept. ``fused_all_members`` does the
  original's way with the fused model (``mean_and_var``).

Variants alternate order round after round, so machine-speed drift hits all alike; compare the
ratios, not the milliseconds. Usage: ``python -m bench.ensemble [--repeats 15] [--device cuda]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.functional import softplus

from bench.floor import Gemm, ensemble_step_gemms, gemm_step, gflop
from boundcheck.config import EnsembleConfig
from boundcheck.models import FunctionalTrainStep, GaussianEnsemble, make_optimizer
from boundcheck.models.trainer import train_step

OBS_DIM, ACT_DIM, BATCH = 11, 3, 256  # Hopper-v5's sizes
IN_DIM, OUT_DIM = OBS_DIM + ACT_DIM, 1 + OBS_DIM
CHUNK = 4096


class _LoopMember(nn.Module):
    """One member as a plain MLP with its own log-variance bounds (the loop baseline)."""

    def __init__(self, config: EnsembleConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width_in = IN_DIM
        for _ in range(config.num_hidden):
            layers += [nn.Linear(width_in, config.hidden_width), nn.SiLU()]
            width_in = config.hidden_width
        layers.append(nn.Linear(width_in, 2 * OUT_DIM))
        self.net = nn.Sequential(*layers)
        self.linears = [m for m in layers if isinstance(m, nn.Linear)]
        self.max_logvar = nn.Parameter(torch.full((OUT_DIM,), config.init_max_logvar))
        self.min_logvar = nn.Parameter(torch.full((OUT_DIM,), config.init_min_logvar))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(x)
        logvar = self.max_logvar - softplus(self.max_logvar - out[:, OUT_DIM:])
        return out[:, :OUT_DIM], self.min_logvar + softplus(logvar - self.min_logvar)

    def loss(self, x: Tensor, y: Tensor, config: EnsembleConfig) -> Tensor:
        mean, logvar = self(x)
        nll = ((mean - y).square() * torch.exp(-logvar) + logvar).mean()
        decay = sum(d * 0.5 * lin.weight.square().sum()
                    for d, lin in zip(config.weight_decay, self.linears, strict=True))
        return nll + decay + config.logvar_penalty * (self.max_logvar.sum()
                                                      - self.min_logvar.sum())

    @torch.no_grad()
    def predict(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = x
        for i, lin in enumerate(self.linears):
            h = torch.addmm(lin.bias, h, lin.weight.T)
            if i < len(self.linears) - 1:
                torch.nn.functional.silu(h, inplace=True)
        logvar = self.max_logvar - softplus(self.max_logvar - h[:, OUT_DIM:])
        return h[:, :OUT_DIM], self.min_logvar + softplus(logvar - self.min_logvar)


def _floor_gemms(config: EnsembleConfig) -> list[Gemm]:
    return ensemble_step_gemms(IN_DIM, OUT_DIM, config.hidden_width, config.num_hidden,
                               config.num_members, BATCH)


def _training_steps(config: EnsembleConfig, gen: torch.Generator, compile: bool
                    ) -> dict[str, Callable[[], object]]:
    dev = gen.device
    model = GaussianEnsemble(OBS_DIM, ACT_DIM, config, generator=gen, device=dev)
    opt = make_optimizer(model, config)
    model_c = GaussianEnsemble(OBS_DIM, ACT_DIM, config, generator=gen, device=dev)
    opt_c, step_c = make_optimizer(model_c, config), FunctionalTrainStep()
    # The same compiled step with torch's per-tensor Adam (the optimizer before it was fused).
    model_p = GaussianEnsemble(OBS_DIM, ACT_DIM, config, generator=gen, device=dev)
    opt_p = torch.optim.Adam(model_p.parameters(), lr=config.lr, foreach=False)
    x = torch.randn(config.num_members, BATCH, IN_DIM, generator=gen, device=dev)
    y = torch.randn(config.num_members, BATCH, OUT_DIM, generator=gen, device=dev)
    members = [_LoopMember(config).to(dev) for _ in range(config.num_members)]
    opts = [torch.optim.Adam(m.parameters(), lr=config.lr) for m in members]

    def fused() -> object:
        return train_step(model, opt, x, y, config)

    def loop() -> object:
        for e, (member, member_opt) in enumerate(zip(members, opts, strict=True)):
            member_opt.zero_grad(set_to_none=True)
            loss = member.loss(x[e], y[e], config)
            loss.backward()
            member_opt.step()
        return None

    variants = {"train_fused": fused, "train_loop": loop,
                "train_gemm_floor": gemm_step(_floor_gemms(config), gen)}
    if compile:
        variants["train_fused_compiled"] = lambda: step_c(model_c, opt_c, x, y, config)
        variants["train_fused_compiled_per_tensor_adam"] = (
            lambda: step_c(model_p, opt_p, x, y, config))
    return variants


def _rollout_steps(config: EnsembleConfig, gen: torch.Generator, samples: int, chunk: int
                   ) -> dict[str, Callable[[], object]]:
    dev = gen.device
    model = GaussianEnsemble(OBS_DIM, ACT_DIM, config, generator=gen, device=dev)
    members = [_LoopMember(config).to(dev) for _ in range(config.num_members)]
    obs = torch.randn(samples, OBS_DIM, generator=gen, device=dev)
    act = torch.rand(samples, ACT_DIM, generator=gen, device=dev) * 2 - 1
    elites = model.elites
    rows = torch.arange(samples, device=dev)

    def sample_elite_rows(mean: Tensor, std: Tensor) -> tuple[Tensor, Tensor]:
        pick = elites[torch.randint(len(elites), (samples,), generator=gen, device=dev)]
        noise = torch.randn(samples, OUT_DIM, generator=gen, device=dev)
        y = mean[pick, rows] + std[pick, rows] * noise
        return obs + y[:, 1:], y[:, 0]

    def fused() -> object:
        return model.sample_step(obs, act, gen, chunk_size=chunk)

    def fused_all_members() -> object:
        mean, var = model.mean_and_var(obs, act, chunk_size=chunk)
        return sample_elite_rows(mean, var.sqrt_())

    def loop() -> object:
        x = model.normalizer(torch.cat([obs, act], dim=1))
        mean = torch.empty(len(members), samples, OUT_DIM, device=dev)
        logvar = torch.empty_like(mean)
        for e, member in enumerate(members):
            for start in range(0, samples, chunk):
                m, lv = member.predict(x[start : start + chunk])
                mean[e, start : start + chunk] = m
                logvar[e, start : start + chunk] = lv
        return sample_elite_rows(mean, logvar.mul_(0.5).exp_())

    return {"rollout_fused": fused, "rollout_fused_all_members": fused_all_members,
            "rollout_loop": loop}


def _time(variants: dict[str, Callable[[], object]], repeats: int, per_round: int,
          sync: Callable[[], None]) -> dict[str, float]:
    for step in variants.values():  # warm-up
        step()
    sync()
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            for _ in range(per_round):
                variants[name]()
            sync()
            times[name].append((time.perf_counter() - start) / per_round * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def run(repeats: int = 15, *, steps_per_round: int = 5, rollout_repeats: int = 5,
        rollout_samples: int = 100_000, threads: int = 2, seed: int = 0,
        device: str = "cpu", compile: bool = True) -> dict[str, Any]:
    """Median ms of each variant on ``device`` and the loop/fused ratios.

    Returns ``{"ms": {variant: median ms}, "speedup": {"train": loop/fused, "train_compiled":
    loop/fused compiled, "train_gemm_floor": loop/GEMM floor (the ceiling of any fp32 step),
    "rollout": loop/fused, "rollout_vs_all_members": all_members/fused}, "compile_s": ...}``.
    ``compile=False`` leaves out the compiled variant.
    """
    torch.set_num_threads(threads)
    config = EnsembleConfig()
    gen = torch.Generator(device=device).manual_seed(seed)
    sync = torch.cuda.synchronize if gen.device.type == "cuda" else (lambda: None)
    variants = _training_steps(config, gen, compile)
    start = time.perf_counter()
    if compile:
        variants["train_fused_compiled"]()
    compile_s = time.perf_counter() - start
    ms = _time(variants, repeats, steps_per_round, sync)
    # Chunks bound CPU allocation (models.ensemble.DEFAULT_CHUNK_SIZE); a GPU takes one chunk.
    chunk = CHUNK if gen.device.type == "cpu" else rollout_samples
    ms |= _time(_rollout_steps(config, gen, rollout_samples, chunk), rollout_repeats, 1, sync)
    return {
        "ms": ms,
        "speedup": {
            "train": ms["train_loop"] / ms["train_fused"],
            **({"train_compiled": ms["train_loop"] / ms["train_fused_compiled"],
                # What the fused Adam (make_optimizer) gains over torch's per-tensor Adam.
                "fused_adam": (ms["train_fused_compiled_per_tensor_adam"]
                               / ms["train_fused_compiled"])}
               if compile else {}),
            # The most any fp32 step could gain over the loop with this GEMM library (floor.py).
            "train_gemm_floor": ms["train_loop"] / ms["train_gemm_floor"],
            "rollout": ms["rollout_loop"] / ms["rollout_fused"],
            "rollout_vs_all_members": ms["rollout_fused_all_members"] / ms["rollout_fused"],
        },
        "train_gemm_gflop": gflop(_floor_gemms(config)),
        "members": config.num_members, "hidden": [config.hidden_width] * config.num_hidden,
        "batch_per_member": BATCH, "rollout_samples": rollout_samples, "threads": threads,
        "repeats": repeats, "device": device,
        "compile_s": compile_s if compile else None, "rollout_chunk": chunk,
        "torch": torch.__version__,
    }


def main() -> None:
    """Command-line entry: print :func:`run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--rollout-repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, rollout_repeats=args.rollout_repeats,
                         threads=args.threads, device=args.device), indent=2))


if __name__ == "__main__":
    main()
