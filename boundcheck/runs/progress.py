"""The progress callback of the long-running library functions (training, validation, the
model-generalization experiment): called with one dict per update (training's has ``phase``,
``env_steps``, ``epoch``, ...; the experiments' ``description``, ``completed``, ``total``),
it draws a bar, logs, or does nothing; the library itself never prints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Receives one progress update (a dict, see the module doc).
ProgressFn = Callable[[dict[str, Any]], None]
