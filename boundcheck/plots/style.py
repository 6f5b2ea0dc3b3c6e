"""Shared figure set-up: paper-sized, readable fonts, atomic saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boundcheck.runs.atomic import atomic_write


def new_figure(width: float = 4.5, height: float = 3.2, columns: int = 1) -> tuple[Any, Any]:
    """A figure and axes on the non-interactive Agg backend (safe on headless machines); with
    ``columns`` > 1, a row of that many axes (an array)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, columns, figsize=(width, height), dpi=150,
                           constrained_layout=True)
    for one in (ax.flat if columns > 1 else (ax,)):
        one.grid(True, alpha=0.3)
        one.spines[["top", "right"]].set_visible(False)
    return fig, ax


def save_figure(fig: Any, path: Path) -> Path:
    """Save atomically (temp file, then rename) in the format of the suffix; close the figure."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower() or "png"
    try:
        atomic_write(path, lambda f: fig.savefig(f, format=fmt))
    finally:
        plt.close(fig)
    return path
