"""Small ensemble configs shared by the model tests (imported, unlike conftest)."""

from __future__ import annotations

from boundcheck.config import EnsembleConfig

OBS_DIM, ACT_DIM = 2, 1


def small_config(**overrides: object) -> EnsembleConfig:
    """A 4-member, 2-elite ensemble of 2x32 SiLU MLPs (the paper's is 7/5, 4x200)."""
    fields: dict[str, object] = {
        "num_members": 4, "num_elites": 2, "hidden_width": 32, "num_hidden": 2,
    }
    fields.update(overrides)
    num_hidden = int(fields["num_hidden"])  # type: ignore[call-overload]
    fields.setdefault("weight_decay", (2.5e-5,) * num_hidden + (1e-4,))
    return EnsembleConfig(**fields)  # type: ignore[arg-type]
