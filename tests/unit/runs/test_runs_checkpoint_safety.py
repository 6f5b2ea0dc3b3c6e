"""Tampered, truncated and malicious checkpoint files are refused, never executed."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from boundcheck.runs import (
    CheckpointContentError,
    CheckpointCorruptError,
    RunDir,
    RunError,
    errors,
)
from boundcheck.runs.atomic import bytes_digest
from boundcheck.runs.manifest import read_manifest, write_manifest

MakeRun = Callable[..., RunDir]
Contents = Callable[[int], dict[str, Any]]


class Evil:
    """Unpickling this writes a marker file: proof that arbitrary code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "pwned"))


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_flipped_byte_is_refused_with_a_clear_message(make_run: MakeRun) -> None:
    run = make_run(1)
    policy = run.checkpoint_path(0) / "policy.pt"
    _flip_byte(policy, policy.stat().st_size // 2)
    expected = rf"{policy}: checksum mismatch \(sha256 differs\), refusing to load"
    with pytest.raises(CheckpointCorruptError, match=expected):
        run.load_policy(0)
    with pytest.raises(CheckpointCorruptError, match="checksum mismatch"):
        run.latest_complete_epoch()  # a damaged newest checkpoint is never silently skipped


def test_a_truncated_file_is_refused_with_its_sizes(make_run: MakeRun) -> None:
    run = make_run(1)
    buffer = run.checkpoint_path(0) / "buffer.npz"
    size = buffer.stat().st_size
    buffer.write_bytes(buffer.read_bytes()[: size // 2])
    with pytest.raises(CheckpointCorruptError, match=rf"expected {size} bytes, found {size // 2}"):
        run.load_buffer(0)
    (run.checkpoint_path(0) / "rng.json").unlink()
    with pytest.raises(CheckpointCorruptError, match="listed in the manifest but missing"):
        run.load_rng(0)


def test_a_malicious_pickle_is_refused_not_executed(make_run: MakeRun, tmp_path: Path) -> None:
    control = tmp_path / "control_marker"
    pickle.loads(pickle.dumps(Evil(control)))  # the payload does work when fully unpickled
    assert control.read_text() == "pwned"

    run = make_run(1)
    marker = tmp_path / "marker"
    directory = run.checkpoint_path(0)
    torch.save({"actor": {"w": torch.ones(1)}, "hook": Evil(marker)}, directory / "policy.pt")
    manifest = read_manifest(directory)
    assert manifest is not None  # the attacker also rewrites the manifest to match
    files = {**manifest.files, "policy.pt": bytes_digest((directory / "policy.pt").read_bytes())}
    write_manifest(directory, type(manifest)(manifest.epoch, files))
    expected = r"policy\.pt: not a plain tensor file \(it refers to \w+.*\); it may be unsafe"
    with pytest.raises(CheckpointCorruptError, match=expected) as info:
        run.load_policy(0)
    assert not marker.exists()
    # one short line, and never torch's advice to load the file with weights_only=False
    assert "weights_only" not in str(info.value) and len(str(info.value)) < 300


def test_unsafe_contents_are_refused_at_save_time(
    make_run: MakeRun, contents: Contents, tmp_path: Path
) -> None:
    run = make_run(1)
    marker = tmp_path / "marker"
    bad_policy = {**contents(1)["policy"], "hook": Evil(marker)}
    with pytest.raises(CheckpointContentError, match="policy cannot be stored safely"):
        run.save_checkpoint(1, **{**contents(1), "policy": bad_policy})
    with pytest.raises(CheckpointContentError, match="model cannot be stored safely"):
        run.save_checkpoint(1, **{**contents(1), "model": {"scaler_mean": np.zeros(3)}})
    assert not marker.exists() and not run.checkpoint_path(1).exists()
    assert [r["epoch"] for r in run.read_metrics()] == [0]


@pytest.mark.parametrize(
    ("buffer", "message"),
    [
        ({"obs": np.zeros((2, 3))}, "needs a 'epoch' array"),
        ({"obs": np.zeros((2, 3)), "epoch": np.zeros(2)}, "1-D integer array"),
        ({"obs": np.zeros((3, 3)), "epoch": np.zeros(2, int)}, "has 3 rows"),
        ({"info": np.array([{}, {}]), "epoch": np.zeros(2, int)}, "dtype object"),
    ],
)
def test_invalid_buffers_are_refused(
    make_run: MakeRun, contents: Contents, buffer: dict[str, Any], message: str
) -> None:
    run = make_run(0)
    with pytest.raises(CheckpointContentError, match=message):
        run.save_checkpoint(0, **{**contents(0), "buffer": buffer})


def test_buffers_load_without_pickle_and_keep_metadata(
    make_run: MakeRun, contents: Contents
) -> None:
    run = make_run(0)
    buffer = {**contents(0)["buffer"], "capacity": np.int64(1_000_000)}
    run.save_checkpoint(0, **{**contents(0), "buffer": buffer})
    loaded = run.load_buffer(0)
    assert int(loaded["capacity"]) == 1_000_000 and loaded["obs"].dtype == np.float32


@pytest.mark.parametrize(
    ("cut", "message"), [(100, "not a loadable torch file"), (0, "not a plain tensor file")]
)
def test_a_non_torch_file_with_matching_manifest_is_refused(
    make_run: MakeRun, cut: int, message: str
) -> None:
    run = make_run(1)
    directory = run.checkpoint_path(0)
    data = (directory / "model.pt").read_bytes()[:cut] if cut else b"not a torch file"
    (directory / "model.pt").write_bytes(data)
    manifest = read_manifest(directory)
    assert manifest is not None
    write_manifest(directory, type(manifest)(0, {**manifest.files, "model.pt": bytes_digest(data)}))
    with pytest.raises(CheckpointCorruptError, match=message):
        run.load_model(0)


def test_every_error_is_a_run_error_with_a_one_line_message(make_run: MakeRun) -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, RunError) for c in classes) and len(classes) == 11
    run = make_run(1)
    _flip_byte(run.checkpoint_path(0) / "policy.pt", 10)
    with pytest.raises(RunError) as info:
        run.load_policy(0)
    assert "\n" not in str(info.value)
    buf = io.BytesIO()
    torch.save({"x": Evil(Path("unused"))}, buf)
    with pytest.raises(RunError) as info:
        from boundcheck.runs.checkpoint_io import load_torch

        load_torch(Path("p.pt"), buf.getvalue())
    assert "\n" not in str(info.value)
