"""Which policy is π_D: a run's checkpoint, the newest run, or the shipped reference.

Step 1 of the model-generalization experiment (paper Section 4.3; docs/paper.md, "The
model-generalization experiment"; docs/measure-generalization.md): π_D is the policy of RUN
at epoch E. Defaults: E = the run's last complete epoch; RUN = the newest run directory
under ``runs_root`` (``./runs``), newest by the modification time of its newest complete
checkpoint's manifest; if there is none, the reference policy in ``reference_dir``
(``data/reference``), which is laid out as a run directory (``config.json`` and
``checkpoints/epoch_NNNN/`` holding at least ``policy.pt`` and ``MANIFEST.json``).
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


def reference_dir() -> Path:
    """Where the shipped reference policy is: ``data/reference`` under the working directory if
    it is there (a clone's root), else beside the package (an editable install run from
    elsewhere). The path returned may not exist (a wheel install does not ship ``data/``)."""
    local = Path("data") / "reference"
    beside = Path(__file__).resolve().parents[3] / "data" / "reference"
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
