"""Turn a theory function's domain error into a bad-input error naming the CLI option."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from boundcheck.cli.common import BadInput
from boundcheck.theory.bounds import TheoryInputError

#: Theory parameter name -> the option a user typed.
OPTION_OF_PARAM = {
    "gamma": "--gamma",
    "r_max": "--r-max",
    "eps_model": "--eps-m",
    "eps_policy": "--eps-pi",
    "eps_model_shifted": "--slope",
    "k": "--k",
    "k_max": "--k-max",
    "slope": "--slope",
}


@contextmanager
def theory_errors_as_bad_input() -> Iterator[None]:
    """Re-raise :class:`TheoryInputError` as :class:`BadInput` with the option's name."""
    try:
        yield
    except TheoryInputError as exc:
        raise BadInput(OPTION_OF_PARAM.get(exc.param, exc.param), exc.detail) from None
