"""Fixtures over :mod:`tests.unit.runs.support` for the run-directory tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from boundcheck.runs import Retention, RunDir

from .support import checkpoint_contents
from .support import make_run as _make_run


@pytest.fixture
def contents() -> Callable[[int], dict[str, Any]]:
    """``contents(epoch)``: keyword arguments for ``RunDir.save_checkpoint``."""
    return checkpoint_contents


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., RunDir]:
    """``make_run(n_epochs, retention=...)``: a run with checkpoints 0..n-1 and their metrics."""

    def make(n_epochs: int, retention: Retention | None = None) -> RunDir:
        return _make_run(tmp_path / "run", n_epochs, retention)

    return make
