"""The one place where errors become exit codes: bad input 2, failures 1, one line each."""

from __future__ import annotations

import pytest

from boundcheck.cli.errors import CommandFailed, as_input_error, exit_status, naming
from boundcheck.config import ConfigError
from boundcheck.inputs import InputError
from boundcheck.runs import (
    CheckpointContentError,
    CheckpointCorruptError,
    CheckpointExistsError,
    RunLockedError,
)
from boundcheck.theory.bounds import TheoryInputError


@pytest.mark.parametrize(("exc", "code", "line"), [
    (InputError("--seed", "must be an integer >= 0, got -1"), 2,
     "--seed: must be an integer >= 0, got -1"),
    (TheoryInputError("eps_policy", "must lie in [0, 1]"), 2, "--eps-pi: must lie in [0, 1]"),
    (CheckpointCorruptError("/r/policy.pt: checksum mismatch\n(sha256 differs)"), 2,
     "/r/policy.pt: checksum mismatch (sha256 differs)"),
    (RunLockedError("/r is being written by another process (pid 7)"), 2,
     "/r is being written by another process (pid 7)"),
    (CheckpointExistsError("/r: cannot write epoch 1"), 1, "unexpected CheckpointExistsError"),
    (CheckpointContentError("policy cannot be stored"), 1, "unexpected CheckpointContentError"),
    (CommandFailed("the run diverged"), 1, "the run diverged"),
    (OSError(28, "No space left on device", "/r/x"), 1, "No space left on device (/r/x)"),
    (KeyboardInterrupt(), 130, "interrupted"),
    (ValueError("boom"), 1, "unexpected ValueError: boom"),
])
def test_exit_status(exc: BaseException, code: int, line: str) -> None:
    got_code, got_line = exit_status(exc)
    assert got_code == code and got_line.startswith(line) and "\n" not in got_line


def test_naming_puts_the_option_before_the_file() -> None:
    with pytest.raises(InputError) as info, naming("--run"):
        raise CheckpointCorruptError("/r/model.pt: checksum mismatch")
    assert str(info.value) == "--run: /r/model.pt: checksum mismatch"
    with pytest.raises(InputError, match=r"^--seed: "), naming("--run"):
        raise InputError("--seed", "kept as it is")
    with pytest.raises(ZeroDivisionError), naming("--run"):
        raise ZeroDivisionError  # not bad input: left alone
    assert str(as_input_error(ConfigError("sac.lr: bad"), "--set")) == "--set: sac.lr: bad"
    assert as_input_error(CheckpointExistsError("a bug"), "--out") is None
