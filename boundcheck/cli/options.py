"""The command line's one option vocabulary: every shared option, declared once, and the options
that set a config's fields, derived from the fields.

Every option is declared the same way, ``name: Annotated[type, <declaration>] = default``:

- a shared option is one of the aliases below (``out`` takes :func:`out_option`);
- a setting of a config is ``Annotated[T, field_option(Config, "field")] =
  default_of(Config, "field")``: its flag, help and default come from the field
  (:func:`boundcheck.config.fields.setting`), and :func:`config_from_options` checks it by the
  field's rule, naming the option;
- any other option is ``Annotated[T, opt("--name", "help")]``.

An old spelling of a renamed option keeps working, hidden, with one deprecation line on stderr:
a command lists them in ``DEPRECATED`` and is registered with :func:`aliased`.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

import typer
from typer.core import TyperCommand

from boundcheck.config.fields import (
    DOC,
    ConfigError,
    config_field,
    default_of,
    option_of_field,
)
from boundcheck.inputs import InputError

C = TypeVar("C")

__all__ = ["default_of"]


def opt(name: str, text: str) -> Any:
    """A typer option with its help text (for ``Annotated[...]`` parameters)."""
    return typer.Option(name, help=text)


def field_option(cls: Any, name: str) -> Any:
    """The option that sets field ``name`` of the config ``cls``: its flag and help from the
    field (the field's default is :func:`default_of`)."""
    f = config_field(cls, name)
    return typer.Option(option_of_field(f), help=f.metadata[DOC])


def option_for(cls: Any, key: str) -> str:
    """The option of ``cls``'s field ``key`` (the one place a field becomes its option)."""
    return option_of_field(config_field(cls, key))


def config_from_options(cls: type[C], options: Mapping[str, Any], **given: Any) -> C:
    """``cls`` from a command's ``options`` (its parameters, e.g. ``locals()``: those named as a
    field of ``cls`` are taken) and ``given`` values, each checked by its field's rule and the
    fields together; bad input names the option of the field at fault (exit 2)."""
    values = {f.name: options[f.name] for f in dataclasses.fields(cls)  # type: ignore[arg-type]
              if f.name in options}
    try:
        return cls(**{**values, **given})
    except ConfigError as exc:
        if exc.key is None:
            raise
        raise InputError(option_for(cls, exc.key), exc.detail) from None


def out_option(what: str) -> Any:
    """``--out``: where a command writes; ``what`` says what it is and its default."""
    return typer.Option("--out", help=what)


JsonOption = Annotated[bool, opt("--json", "Print one JSON document instead of tables.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q",
                                           help="No progress bars or notes on stderr.")]
DeviceOption = Annotated[str, opt("--device", "auto, cpu or cuda.")]
ThreadsOption = Annotated[int | None, opt("--threads", "torch CPU threads (default: torch's "
                                                       "choice).")]
ForceOption = Annotated[bool, opt("--force", "Replace what --out already holds.")]
ResumeOption = Annotated[bool, opt(
    "--resume", "Continue the work in --out from where it stopped: the same command again, "
    "with --resume added (a larger --steps or --repetitions extends it).")]
SeedOption = Annotated[int, opt("--seed", "Base seed of every random stream (an integer "
                                          ">= 0).")]


def check_resume_force(resume: bool, force: bool) -> None:
    """``--resume`` continues what ``--force`` would replace: they do not go together."""
    if resume and force:
        raise InputError("--resume", "cannot be combined with --force")


def renamed(args: list[str], deprecated: Mapping[str, str]) -> list[str]:
    """``args`` with every old spelling in ``deprecated`` (old -> new) replaced, and one line on
    stderr per old spelling used. Arguments after ``--`` are left alone."""
    out: list[str] = []
    warned: set[str] = set()
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        name, eq, value = arg.partition("=")
        new = deprecated.get(name)
        if new is None:
            out.append(arg)
            continue
        if name not in warned:
            warned.add(name)
            sys.stderr.write(f"boundcheck: warning: {name} is deprecated; use {new}\n")
        out.append(new + eq + value)
    return out


class _AliasedCommand(TyperCommand):
    # Not ``deprecated``: click's commands have an attribute of that name.
    old_spellings: ClassVar[Mapping[str, str]] = {}

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, renamed(args, self.old_spellings))


def aliased(deprecated: Mapping[str, str]) -> type[TyperCommand]:
    """A command class that reads the old spellings ``deprecated`` (old -> new option) as the
    new ones, hidden from ``--help`` (for ``app.command(name, cls=...)``)."""
    return type("AliasedCommand", (_AliasedCommand,), {"old_spellings": dict(deprecated)})


#: ``--slope`` of ``bounds`` and ``optimal-k``: one meaning, one wording.
SLOPE_HELP = "d eps_m'/d eps_pi: eps_m' = eps_m + eps_pi*slope (default 0, so eps_m' = eps_m)."
