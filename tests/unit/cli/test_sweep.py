"""``boundcheck sweep``'s engine options come from EngineConfig's fields: the same flags, help
and defaults, and bad values refused before anything runs, naming the option (exit 2)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.config.fields import DOC
from boundcheck.experiments.sweep.settings import EngineConfig

OPTIONS = {"address": "--address", "cpus": "--cpus", "cpus_per_run": "--cpus-per-run",
           "gpus_per_run": "--gpus-per-run"}


@pytest.mark.parametrize("command", ["train", "file", "validate", "measure-generalization"])
def test_the_engine_options_and_their_help(command: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(EngineConfig):
        if f.name in OPTIONS:
            assert f"{OPTIONS[f.name]} " in out and " ".join(f.metadata[DOC].split()) in out
    assert "--max-retries" not in out
    assert "[default: 1.0]" in out and "[default: 0.0]" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--cpus", "0"], "--cpus: must be an integer >= 1, got 0"),
    (["--cpus-per-run", "0"], "--cpus-per-run: must be a finite number in (0, 4096], got 0.0"),
    (["--gpus-per-run", "65"], "--gpus-per-run: must be a finite number in [0, 64], got 65.0"),
    (["--cpus-per-run", "nan"], "--cpus-per-run: must be a finite number in (0, 4096], got nan"),
    (["--address", "nope"], "--address: expected auto or HOST:PORT, got 'nope'"),
])
@pytest.mark.parametrize("command", [["train", "--steps", "400"], ["validate", "--runs", "x"]])
def test_a_bad_engine_option_is_refused_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str],
        args: list[str], message: str) -> None:
    out = ["--out", str(tmp_path / "s")] if command[0] == "train" else []
    assert main(["sweep", *command, *out, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"boundcheck: error: {message}") and len(err.splitlines()) == 1
    assert not (tmp_path / "s").exists()
