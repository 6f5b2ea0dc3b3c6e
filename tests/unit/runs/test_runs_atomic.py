"""Atomic writes leave old-or-new content and no partial files; JSON lines survive torn writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from boundcheck.runs import MetricsCorruptError, atomic
from boundcheck.runs.atomic import (
    append_jsonl,
    atomic_savez,
    atomic_torch_save,
    atomic_write,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    file_digest,
    read_json_object,
    read_jsonl,
    remove_stale_tmp_files,
    rewrite_jsonl,
)


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_writers_round_trip_and_leave_only_the_target(tmp_path: Path) -> None:
    digest = atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    assert digest == file_digest(tmp_path / "a.bin") and digest.size == 2
    atomic_write_text(tmp_path / "b.txt", "héllo")
    atomic_write_json(tmp_path / "c.json", {"x": np.float32(0.5), "y": np.arange(2)})
    atomic_torch_save({"w": torch.ones(2)}, tmp_path / "d.pt")
    atomic_savez(tmp_path / "e.npz", obs=np.eye(2))
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "héllo"
    assert json.loads((tmp_path / "c.json").read_text()) == {"x": 0.5, "y": [0, 1]}
    assert torch.equal(torch.load(tmp_path / "d.pt", weights_only=True)["w"], torch.ones(2))
    with np.load(tmp_path / "e.npz") as z:  # written at the exact path, no ".npz.npz"
        assert np.array_equal(z["obs"], np.eye(2))
    assert _listing(tmp_path) == ["a.bin", "b.txt", "c.json", "d.pt", "e.npz"]


def test_crash_mid_write_keeps_old_content_and_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "policy.pt"
    atomic_write_bytes(target, b"old content")

    def half_then_crash(f: object) -> None:
        f.write(b"new con")  # type: ignore[attr-defined]
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"old content"
    assert _listing(tmp_path) == ["policy.pt"]


def test_crash_at_rename_keeps_old_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "config.json"
    atomic_write_json(target, {"v": 1})

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk vanished"):
        atomic_write_json(target, {"v": 2})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"v": 1}
    assert _listing(tmp_path) == ["config.json"]


def test_crash_before_target_exists_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        atomic_write(tmp_path / "x.npz", lambda f: (_ for _ in ()).throw(ValueError("boom")))
    assert _listing(tmp_path) == []


def test_stale_tmp_files_of_a_killed_process_are_hidden_and_removable(tmp_path: Path) -> None:
    (tmp_path / ".policy.pt.1a2b3c4d.tmp").write_bytes(b"partial")
    (tmp_path / "policy.pt").write_bytes(b"real")
    removed = remove_stale_tmp_files(tmp_path)
    assert [p.name for p in removed] == [".policy.pt.1a2b3c4d.tmp"]
    assert _listing(tmp_path) == ["policy.pt"]


def test_torn_last_line_is_ignored_on_read_and_cut_on_append(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"epoch": 0, "ret": 1.0})
    append_jsonl(path, {"epoch": 1, "ret": np.float64(2.0)})
    with open(path, "ab") as f:  # a kill in the middle of the third append
        f.write(b'{"epoch": 2, "re')
    assert read_jsonl(path) == [{"epoch": 0, "ret": 1.0}, {"epoch": 1, "ret": 2.0}]
    append_jsonl(path, {"epoch": 2, "ret": 3.0})
    assert [r["epoch"] for r in read_jsonl(path)] == [0, 1, 2]
    assert path.read_bytes().endswith(b"\n") and path.read_bytes().count(b"\n") == 3


def test_torn_line_without_any_newline_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    assert read_jsonl(path) == []
    path.write_bytes(b'{"epoch": 0}')  # complete JSON but no newline: still torn
    assert read_jsonl(path) == []
    append_jsonl(path, {"epoch": 5})
    assert read_jsonl(path) == [{"epoch": 5}]


def test_a_corrupt_complete_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"epoch": 0}\nnot json\n')
    with pytest.raises(MetricsCorruptError, match=r"m\.jsonl:2: not a JSON object"):
        read_jsonl(path)


def test_rewrite_jsonl_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"epoch": 0}\n{"epoch": 1}\n{"ep')
    rewrite_jsonl(path, [{"epoch": 0}])
    assert path.read_bytes() == b'{"epoch": 0}\n'


@settings(max_examples=40, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=8), max_size=3),
        max_size=5,
    ),
    cut=st.integers(min_value=0, max_value=40),
)
def test_any_prefix_of_a_record_is_ignored(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, object]], cut: int
) -> None:
    path = tmp_path_factory.mktemp("jsonl") / "m.jsonl"
    for record in records:
        append_jsonl(path, record)
    torn = json.dumps({"epoch": 99, "pad": "x" * 40}).encode()[:cut]
    with open(path, "ab") as f:
        f.write(torn)
    assert read_jsonl(path) == records


def test_files_written_before_the_strict_codec_read_their_nan_tokens(tmp_path: Path) -> None:
    """The readers parse with the codec's loader, ``allow_nan=True``: a NaN, Infinity or
    -Infinity token of an older file is read as the float, as the json module read it."""
    path = tmp_path / "old.json"
    path.write_text('{"a": NaN, "b": Infinity, "c": [-Infinity, 1]}')
    doc = read_json_object(path)
    assert np.isnan(doc["a"]) and doc["b"] == np.inf and doc["c"] == [-np.inf, 1]
    lines = tmp_path / "old.jsonl"
    lines.write_text('{"epoch": 0, "loss": NaN}\n{"epoch": 1, "loss": 1.5}\n')
    records = read_jsonl(lines)
    assert np.isnan(records[0]["loss"]) and records[1] == {"epoch": 1, "loss": 1.5}
    assert "NaN" not in atomic.to_json({"a": float("nan")})  # written strictly: null
