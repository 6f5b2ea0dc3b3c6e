"""Which policy is π_D: a run's checkpoint, the newest run, or the shipped reference.

Step 1 of the model-generalization experiment (paper Section 4.3; docs/paper.md, "The
model-generalization experiment"; docs/measure-generalization.md): π_D is the policy of RUN
at epoch E. Defaults: E = the run's last complete epoch; RUN = the newest run directory
under ``runs_root`` (``./runs``), newest by the modification time of its newest complete
checkpoint's manifest; if there is none, the shipped reference policy in ``reference_dir``,
laid out as a run directory (``config.json`` and ``checkpoints/epoch_NNNN/`` holding at least
``policy.pt`` and ``MANIFEST.json``).

The default reference is ``data/reference-noise`` (Hopper-v5 trained with known Gaussian
noise σ = σ_r = 0.03): there the true transition law is known, so the model error is measured
as a true total variation. ``data/reference`` is the paper's deterministic setting, where the
TV of any continuous model to the simulator is 1 by definition and only the NLL/MSE proxies
say anything; it is measured when named (``--run data/reference``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundcheck.config import TrainConfig
from boundcheck.experiments.common.source import resolve_run, run_config
from boundcheck.experiments.generalization.results import SourceKind
from boundcheck.inputs import InputError
from boundcheck.runs import RunDir, RunError


@dataclass(frozen=True)
class PolicySource:
    """π_D: the run, its epoch, the run's resolved config and seed, and the policy state."""

    run: RunDir
    epoch: int
    config: TrainConfig
    run_seed: int
    kind: SourceKind
    policy_state: dict[str, Any]
    run_provenance: dict[str, Any]


#: The shipped reference measured when no run is given: known noise, so a true TV.
DEFAULT_REFERENCE = "reference-noise"
#: The paper's deterministic setting (TV 1 by definition; proxies only).
DETERMINISTIC_REFERENCE = "reference"


def reference_dir(name: str = DEFAULT_REFERENCE) -> Path:
    """Where the shipped reference policy ``name`` is: ``data/<name>`` under the working
    directory if it is there (a clone's root), else beside the package (an editable install
    run from elsewhere). The path returned may not exist (a wheel install does not ship
    ``data/``)."""
    local = Path("data") / name
    beside = Path(__file__).resolve().parents[3] / "data" / name
    return local if local.is_dir() or not beside.is_dir() else beside


def resolve_source(run_path: Path | None, epoch: int | None, *, runs_root: Path,
                   reference_dir: Path) -> PolicySource:
    """π_D from the options (:func:`~boundcheck.experiments.common.source.resolve_run`, with the
    reference policy as the fallback). Raises ``RunError`` for a missing or damaged run or
    policy, ``InputError("epoch", ...)`` for an epoch without a checkpoint."""
    run = resolve_run(run_path, runs_root, fallback=reference_dir)
    kind = SourceKind.REFERENCE if run_path is None and run.path == reference_dir \
        else SourceKind.RUN
    epochs = run.epochs()
    config, seed, prov = run_config(run)
    if not epochs:
        raise RunError(f"{run.path} has no complete checkpoint yet")
    if epoch is None:
        epoch = epochs[-1]
    elif epoch not in epochs:
        raise InputError("epoch", f"{run.path} has no checkpoint for epoch {epoch} "
            f"(complete epochs: {epochs[0]}..{epochs[-1]})")
    return PolicySource(run=run, epoch=epoch, config=config, run_seed=seed, kind=kind,
                        policy_state=run.load_policy(epoch), run_provenance=prov)


def describe_source(source: PolicySource, *, given: bool) -> str:
    """One line saying which π_D is measured and why (the command's first line)."""
    cfg = source.config
    noise = (f"known noise sigma = {cfg.transition_noise:g}, sigma_r = {cfg.reward_noise:g}: "
             "the model error is a true TV") if cfg.transition_noise > 0 else \
        "no known noise: the TV to the simulator is 1 by definition, NLL/MSE are proxies"
    why = ("given by --run" if given else "the shipped reference (no run with a checkpoint "
           "under ./runs)" if source.kind is SourceKind.REFERENCE else
           "the newest run under ./runs")
    return (f"pi_D: {source.run.path}, epoch {source.epoch} ({cfg.env}, {why}; {noise})")
