"""What every config section shares: the error type, the checks, and documented fields.

Each setting is documented once, in its field's metadata (:func:`setting`): the one source that
``boundcheck train --list-settings`` and docs/settings.md show.
"""

from __future__ import annotations

from dataclasses import field
from typing import TypeVar

T = TypeVar("T")

#: The metadata key of a field's documentation.
DOC = "doc"


class ConfigError(ValueError):
    """A configuration value or override is invalid (reported to the user as a bad input)."""


def check(ok: bool, message: str) -> None:
    """Raise :class:`ConfigError` with ``message`` unless ``ok``."""
    if not ok:
        raise ConfigError(message)


def setting(default: T, doc: str) -> T:
    """A config field with its default and its documentation (unit, paper symbol, source)."""
    return field(default=default, metadata={DOC: doc})

