"""The one place where an error that ends a command becomes an exit code and one line.

- Bad input (exit 2): :class:`~boundcheck.inputs.InputError` (it names the option, config key
  or file), and the library errors that mean the user's input is wrong: a config value
  (``ConfigError``), a theory argument out of its domain (``TheoryInputError``, named by its
  option), an unreadable, damaged or tampered file (a run directory, checkpoint, results file,
  instance file: the message names the file), a run another process is writing. Commands add
  the option a file came from with :func:`naming`.
- Runtime failure (exit 1): :class:`CommandFailed`, an ``OSError`` while working (disk full),
  a checkpoint that could not be written, and anything unexpected (named as such, with a hint
  to set ``BOUNDCHECK_TRACEBACK=1``).

Every message is collapsed to a single line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from boundcheck.inputs import InputError

EXIT_FAILURE = 1  # a runtime failure, or a checked bound that is violated
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

#: A field the library names in its input errors -> the option a user typed. The library
#: speaks of its own fields (``InputError("data_epoch", ...)``, ``TheoryInputError`` with
#: ``param="eps_model"``); only here do they become options. A ``where`` not listed (a config
#: key such as ``sac.lr``, a file path, an option a request carried) is shown as it is.
OPTION_OF_FIELD = {
    "run": "--run",
    "epoch": "--epoch",
    "data_epoch": "--data-epoch",
    "all_epochs": "--all-epochs",
    "env": "--env",
    "algo": "--algo",
    "seed": "--seed",
    "device": "--device",
    "config_file": "--config",
    "settings": "--set",
    "seeds": "--seeds",
    "address": "--address",
    "out": "--out",
    "resume": "--resume",
    "sweep": "SWEEP",
    "runs_pattern": "--runs",
    "metric": "--metric",
    "gamma": "--gamma",
    "r_max": "--r-max",
    "eps_model": "--eps-m",
    "eps_policy": "--eps-pi",
    "eps_model_shifted": "--eps-m-shifted",
    "k": "--k",
    "k_max": "--k-max",
    "slope": "--slope",
    "instance": "--instance",
    "runs": "RUNS",
    "at": "--at",
    "train_size": "--train-size",
}


class CommandFailed(Exception):
    """A runtime failure: one line on stderr, exit code 1."""


def _input_error_types() -> tuple[type[Exception], ...]:
    """Library errors that mean bad input (imported here, lazily, to keep start-up light)."""
    from boundcheck.codec import JsonFileError
    from boundcheck.config import ConfigError
    from boundcheck.runs.errors import RunError
    from boundcheck.theory.bounds import TheoryInputError
    from boundcheck.theory.instances import InstanceError

    return (InputError, ConfigError, JsonFileError, RunError, TheoryInputError, InstanceError)


def _is_bad_input(exc: BaseException) -> bool:
    from boundcheck.runs.errors import CheckpointContentError, CheckpointExistsError

    if isinstance(exc, (CheckpointContentError, CheckpointExistsError)):
        return False  # what the trainer tried to save: a bug, not the user's input
    return isinstance(exc, _input_error_types())


def as_input_error(exc: BaseException, option: str) -> InputError | None:
    """``exc`` as bad input for ``option`` (``None`` if it is not bad input).

    An :class:`InputError` (it names its own option or file) is kept; any other bad-input
    error is put under ``option``, its message (which names the file or value) kept whole.
    """
    if isinstance(exc, InputError):
        return exc
    if not _is_bad_input(exc):
        return None
    return InputError(option, one_line(str(exc)))


@contextmanager
def naming(option: str) -> Iterator[None]:
    """Report bad input raised in the block against ``option`` (e.g. a damaged ``--run``)."""
    try:
        yield
    except Exception as exc:
        error = as_input_error(exc, option)
        if error is None:
            raise
        raise error from None


def option_of(where: str) -> str:
    """The option a user typed for the library's field ``where`` (``where`` itself if none)."""
    return OPTION_OF_FIELD.get(where, where)


def exit_status(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line for stderr of an exception that ended a command."""
    if _is_bad_input(exc):
        from boundcheck.theory.bounds import TheoryInputError

        if isinstance(exc, TheoryInputError):  # named by its parameter
            exc = InputError(option_of(exc.param), exc.detail)
        elif isinstance(exc, InputError):  # named by a field, an option or a file
            exc = InputError(option_of(exc.where), exc.detail)
        return EXIT_BAD_INPUT, one_line(str(exc))
    if isinstance(exc, CommandFailed):
        return EXIT_FAILURE, one_line(str(exc))
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, OSError):  # a file we had to read or write while working
        where = f" ({exc.filename})" if exc.filename else ""
        return EXIT_FAILURE, one_line(f"{exc.strerror or exc}{where}")
    return EXIT_FAILURE, one_line(f"unexpected {type(exc).__name__}: {exc} "
                                  "(set BOUNDCHECK_TRACEBACK=1 for the traceback)")


def show_traceback() -> bool:
    """Whether unexpected errors should propagate with their traceback (for debugging)."""
    return bool(os.environ.get("BOUNDCHECK_TRACEBACK"))


def one_line(text: str) -> str:
    """``text`` on one line (whitespace runs, newlines included, become one space)."""
    return " ".join(text.split())
