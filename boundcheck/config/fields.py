"""What every config shares: the error type, the checks, and documented fields.

Each setting is documented once, in its field's metadata (:func:`setting`): its default, its
documentation (the one source that ``--help``, ``boundcheck train --list-settings`` and
docs/settings.md show), the rule its number obeys (:class:`~boundcheck.inputs.NumberRule`),
the command-line option that sets it, and the old names it is still read under.
:func:`check_fields` checks every field against its rule, whatever the value came from (an
option, a ``--set``/``--gen-set``/``--val-set``, a file).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import field
from typing import Any, TypeVar

from boundcheck.inputs import InputError, NumberRule

T = TypeVar("T")

#: The metadata keys of a field: its documentation, number rule, option and old names.
DOC = "doc"
RULE = "rule"
OPTION = "option"
ALIASES = "aliases"


class ConfigError(ValueError):
    """A configuration value or override is invalid (reported to the user as a bad input).

    ``key``: the field at fault when one is (the command line names its option instead).
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.detail = message.removeprefix(f"{key}: ") if key else message


def check(ok: bool, message: str, key: str | None = None) -> None:
    """Raise :class:`ConfigError` with ``message`` (about field ``key``) unless ``ok``."""
    if not ok:
        raise ConfigError(message, key)


def setting(default: T, doc: str, rule: NumberRule | None = None, option: str | None = None,
            aliases: Iterable[str] = ()) -> T:
    """A config field with its default, documentation (unit, paper symbol, source), number
    ``rule`` (checked by :func:`check_fields`; ``None`` passes where the type allows it), the
    ``option`` that sets it on the command line (default ``--`` + its name with dashes) and
    the old names (``aliases``) an override may still use."""
    return field(default=default, metadata=_metadata(doc, rule, option, aliases))


def required(doc: str, rule: NumberRule | None = None, option: str | None = None) -> Any:
    """A config field without a default (see :func:`setting`)."""
    return field(metadata=_metadata(doc, rule, option, ()))


def _metadata(doc: str, rule: NumberRule | None, option: str | None,
              aliases: Iterable[str]) -> dict[str, Any]:
    return {DOC: doc, RULE: rule, OPTION: option, ALIASES: tuple(aliases)}


def config_field(cls: Any, name: str) -> dataclasses.Field[Any]:
    """The field ``name`` of the dataclass ``cls`` (``KeyError`` if it has none)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f
    raise KeyError(f"{getattr(cls, '__name__', cls)} has no field {name!r}")


def default_of(cls: Any, name: str) -> Any:
    """The default of field ``name`` of ``cls``."""
    f = config_field(cls, name)
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    raise KeyError(f"{name!r} has no default")


def rule_of(f: dataclasses.Field[Any]) -> NumberRule | None:
    """The number rule of a field (``None``: not a number, or no rule)."""
    rule = f.metadata.get(RULE)
    return rule if isinstance(rule, NumberRule) else None


def option_of_field(f: dataclasses.Field[Any]) -> str:
    """The command-line option of a field: its own, else ``--`` + its name with dashes."""
    option = f.metadata.get(OPTION)
    return option if isinstance(option, str) else "--" + f.name.replace("_", "-")


def field_names(cls: Any) -> dict[str, str]:
    """Every name an override may use -> the field's name (its own, then its old names)."""
    names: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        names[f.name] = f.name
        for alias in f.metadata.get(ALIASES, ()):
            names.setdefault(alias, f.name)
    return names


def check_fields(config: Any) -> None:
    """Check every field of ``config`` that has a number rule (each item of a tuple);
    :class:`ConfigError` naming the field. ``None`` is left to the type."""
    for f in dataclasses.fields(config):
        rule = rule_of(f)
        value = getattr(config, f.name)
        if rule is None or value is None:
            continue
        for item in value if isinstance(value, tuple) else (value,):
            try:
                rule.check(item, f.name)
            except InputError as exc:
                raise ConfigError(str(exc), f.name) from None
