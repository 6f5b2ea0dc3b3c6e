"""The user's choices for where and with what a sweep's cells run (the Ray engine,
:mod:`boundcheck.experiments.sweep.engine`; docs/sweeps.md).

Each setting is documented, bounded and given its option once, in its field
(:func:`boundcheck.config.fields.setting`); ``boundcheck sweep`` derives its options from the
fields (:func:`boundcheck.cli.options.field_option`) and a value outside a field's rule is
refused here, naming the option on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from boundcheck.config.fields import check_fields, setting
from boundcheck.inputs import COUNT, NON_NEGATIVE_INT, NumberRule

#: CPUs of one run (Ray's ``num_cpus`` of a task; fractional values share a core).
CPUS_PER_RUN = NumberRule(gt=0, le=4096)
#: GPUs of one run (Ray's ``num_gpus``; fractional values pack runs on one GPU).
GPUS_PER_RUN = NumberRule(ge=0, le=64)


@dataclass(frozen=True)
class EngineConfig:
    """Where and with what the cells run; every default, bound and meaning lives here."""

    address: str | None = setting(None, "Join a running Ray cluster (auto or HOST:PORT) "
                                  "instead of starting one.")
    cpus: int | None = setting(None, "CPUs of the local Ray instance (default: all cores).",
                               COUNT)
    cpus_per_run: float = setting(1.0, "CPUs per run (torch's threads).", CPUS_PER_RUN)
    gpus_per_run: float = setting(0.0, "GPUs per run; fractional packs runs on one GPU "
                                  "(0.25: four).", GPUS_PER_RUN)
    max_retries: int = setting(3, "Times Ray runs a cell again whose worker died (the run "
                               "resumes from its last checkpoint).", NON_NEGATIVE_INT)

    def __post_init__(self) -> None:
        check_fields(self)

    @property
    def threads(self) -> int:
        """torch threads of one run: its CPUs, at least one."""
        return max(1, int(self.cpus_per_run))
