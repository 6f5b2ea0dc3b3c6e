"""boundcheck.allocator: glibc keeps freed memory for reuse, and a user's own tuning wins."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from boundcheck.allocator import USER_SETTINGS, keep_heap

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Allocates 64 blocks of 1 MiB with the C library, frees them, and prints how many bytes the
# heap still holds free (mallinfo2's fordblks): kept memory, or memory handed back.
_PROBE = """
import ctypes, sys
from boundcheck.allocator import keep_heap
if sys.argv[1] == "keep":
    assert keep_heap({})
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc.mallinfo2.restype = Info
blocks = [libc.malloc(1 << 20) for _ in range(64)]
for b in blocks:
    ctypes.memset(b, 1, 1 << 20)
for b in reversed(blocks):
    libc.free(b)
print(libc.mallinfo2().fordblks)
"""


def _free_bytes_after_peak(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k not in USER_SETTINGS}
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], check=True, capture_output=True,
                         text=True, env=env)
    return int(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="mallopt's thresholds are glibc's")
def test_kept_heap_holds_freed_blocks_for_reuse() -> None:
    """With glibc's defaults 64 MiB freed go back to the kernel (fresh zeroed pages next time);
    after keep_heap the heap keeps them."""
    assert _free_bytes_after_peak("default") < 8 << 20
    assert _free_bytes_after_peak("keep") >= 60 << 20


@pytest.mark.parametrize("name", USER_SETTINGS)
def test_a_users_allocator_settings_are_left_alone(name: str) -> None:
    assert keep_heap({name: "1"}) is False


def test_nothing_happens_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert keep_heap({}) is False


def test_the_cli_keeps_the_heap(monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """Every command runs with the kept heap (the CLI calls keep_heap before any work)."""
    import boundcheck.cli as cli

    calls: list[str] = []
    monkeypatch.setattr(cli, "keep_heap", lambda: bool(calls.append("kept")))
    assert cli.main(["--version"]) == 0
    assert calls == ["kept"]
    assert "boundcheck" in capsys.readouterr().out
