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
from boundcheck.experiments.common.source import newest_run, run_config
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
    """π_D from the options; raises :class:`InputError` naming the field ``run`` or
    ``epoch`` (missing run, no checkpoint, an epoch without one, a damaged policy)."""
    kind = SourceKind.RUN
    if run_path is not None:
        try:
            run = RunDir.open(run_path)
        except RunError as exc:
            raise InputError("run", str(exc)) from None
    else:
        found = newest_run(runs_root)
        if found is None and reference_dir.is_dir():
            try:
                found, kind = RunDir.open(reference_dir), SourceKind.REFERENCE
            except RunError as exc:
                raise InputError("run", f"reference policy: {exc}") from None
        if found is None:
            raise InputError(
                "run", f"no run with a checkpoint under {runs_root}/ and no reference policy "
                f"in {reference_dir}/; train one (boundcheck train) and pass --run RUN")
        run = found
    try:
        epochs = run.epochs()
        config, seed, prov = run_config(run)
    except RunError as exc:
        raise InputError("run", str(exc)) from None
    if not epochs:
        raise InputError("run", f"{run.path} has no complete checkpoint yet")
    if epoch is None:
        epoch = epochs[-1]
    elif epoch not in epochs:
        raise InputError("epoch", f"{run.path} has no checkpoint for epoch {epoch} "
            f"(complete epochs: {epochs[0]}..{epochs[-1]})")
    try:
        policy = run.load_policy(epoch)
    except RunError as exc:
        raise InputError("run", str(exc)) from None
    return PolicySource(run=run, epoch=epoch, config=config, run_seed=seed, kind=kind,
                        policy_state=policy, run_provenance=prov)
