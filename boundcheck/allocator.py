"""Keep glibc's heap between training steps instead of returning it to the kernel after each.

A training step of the paper's ensemble or of SAC allocates and frees several megabytes of
temporaries (activations, gradients, the compiled graph's buffers). glibc's defaults hand the
top of the heap back to the kernel once more than 128 KiB of it is free (``M_TRIM_THRESHOLD``)
and serve blocks above an adaptive size with fresh ``mmap`` pages (``M_MMAP_THRESHOLD``), so
every step takes page faults to get the same memory back, zero-filled by the kernel. On this
project's 2-core machine that cost the compiled ensemble step about 14% (11.1 ms against 9.6 ms;
``make bench``, ``allocator``; docs/trainer.md, "Threads and memory").

:func:`keep_heap` raises both thresholds for the calling process: the heap keeps up to 1 GiB of
freed memory for reuse and blocks below 32 MiB (glibc's largest mmap threshold on 64-bit
systems) come from the heap. The price is memory that stays with the process after a peak
instead of going back to the system. The numbers of a run do not change: only where its memory
comes from.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: ``mallopt`` parameter numbers from glibc's ``malloc.h``.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: Free memory the heap may keep at its top before it is trimmed.
TRIM_THRESHOLD = 1 << 30
#: Blocks at least this large are mmap'ed (glibc rejects values above 32 MiB on 64-bit).
MMAP_THRESHOLD = 32 << 20

#: Any of these in the environment means the user tuned glibc's allocator: leave it alone.
USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES",
                 "LD_PRELOAD")


def keep_heap(environ: dict[str, str] | None = None) -> bool:
    """Raise glibc's trim and mmap thresholds for this process (see the module doc).

    Does nothing, and returns ``False``, off Linux, where the C library has no ``mallopt``
    (musl's always refuses), or where the user tuned the allocator (:data:`USER_SETTINGS`:
    glibc's own variables, or a preloaded allocator such as jemalloc). Call it once, early
    (before the first large allocation); it changes only this process.

    Returns:
        Whether both thresholds were set.
    """
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or any(name in env for name in USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # Order matters: a set M_MMAP_THRESHOLD stops glibc's dynamic adjustment of both.
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
