"""When a long command writes a progress line to a log file.

A rich progress bar is drawn only on a terminal; with output to a log file it appears at the
end. The commands then print plain lines instead, and :class:`LogLines` decides when: at a new
phase (at most one per ``min_s`` seconds) and at least one every ``every_s`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

#: With no terminal: a line at least this often, whatever the phase (seconds).
LOG_EVERY_S = 30.0


class LogLines:
    """Decides, report by report, whether a progress line is due (one clock read per call)."""

    def __init__(self, *, min_s: float = 0.0, every_s: float = LOG_EVERY_S,
                 clock: Callable[[], float] | None = None) -> None:
        self.min_s, self.every_s = min_s, every_s
        self._clock = clock
        self._key: Hashable | None = None
        self._at: float | None = None

    def due(self, key: Hashable) -> bool:
        """Whether to print now for the phase ``key`` (the first call always is)."""
        now = (self._clock or time.monotonic)()
        since = None if self._at is None else now - self._at
        if since is None or since >= self.every_s or (key != self._key and since >= self.min_s):
            self._key, self._at = key, now
            return True
        return False


def clock(seconds: float | None) -> str:
    """A duration as ``h:mm:ss`` (``-`` when unknown): the live views' and the log lines'."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
