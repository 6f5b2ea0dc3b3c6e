"""The one JSON codec of every file and document the project writes: strict, typed, both ways.

Strict: a non-finite float (NaN, ±inf) is written as ``null``, never as the ``NaN`` or
``Infinity`` of Python's JSON dialect, which ``jq``, JavaScript and most other readers reject;
:func:`loads` refuses those tokens on reading. Typed: :func:`encode` turns dataclasses (by their
fields, in order), enums, tuples, mappings, paths and numpy or torch numbers into plain JSON
values; :func:`decode` reads a JSON value back into the type a type hint names (a dataclass, a
union, ``tuple[float, ...]``, an enum, ...), so no reader walks raw key paths.

A field's JSON name is its own unless its metadata says otherwise (:func:`json_meta`): ``key``
renames it in the file, ``aliases`` are older names still read, ``skip`` leaves it out of the
file (it must then have a default), ``omit_none`` leaves it out only while it is None (a key
that older files lack; it must then default to None). A ``null`` read into a ``float`` is NaN
(the value that was written as ``null``); into an optional type it is ``None``. A class that
needs a form the fields do not give defines ``__json_encode__(self)`` and a classmethod
``__json_decode__(cls, obj)`` (which may :func:`decode` its parts with key paths from ``$``:
the codec puts them under the value's own path).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: The metadata key of a field's JSON options (:func:`json_meta`).
JSON = "json"


class JsonFileError(ValueError):
    """A JSON file or document that cannot be read, does not parse, or is not of its type."""


def json_meta(key: str | None = None, aliases: tuple[str, ...] = (), skip: bool = False,
              omit_none: bool = False) -> dict[str, Any]:
    """Field metadata for the codec: ``field(..., metadata=json_meta(key="holdout_mse",
    aliases=("val_loss",)))``."""
    return {JSON: {"key": key, "aliases": tuple(aliases), "skip": skip, "omit_none": omit_none}}


def _options(f: dataclasses.Field[Any]) -> dict[str, Any]:
    return {"key": None, "aliases": (), "skip": False, "omit_none": False,
            **f.metadata.get(JSON, {})}


def encode(value: Any) -> Any:
    """``value`` as plain JSON values (dict, list, str, int, float, bool, None), strictly:
    every non-finite float becomes ``None``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    custom = getattr(type(value), "__json_encode__", None)
    if custom is not None:
        return encode(custom(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            opts, item = _options(f), getattr(value, f.name)
            if not (opts["skip"] or (opts["omit_none"] and item is None)):
                out[opts["key"] or f.name] = encode(item)
        return out
    if isinstance(value, Mapping):
        return {str(encode(k) if isinstance(k, enum.Enum) else k): encode(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encode(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return encode(value.tolist())
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """``value`` as strict JSON text (:func:`encode`; ``allow_nan=False`` as a last guard)."""
    return json.dumps(encode(value), indent=indent, ensure_ascii=False, allow_nan=False)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes, *, allow_nan: bool = False) -> Any:
    """Parse strict JSON: ``NaN``, ``Infinity`` and ``-Infinity`` are refused (ValueError).

    ``allow_nan`` reads them as floats instead, for files written before the writers were
    strict (a reader of such files must still take them; nothing is written that way now).
    """
    if allow_nan:
        return json.loads(text)
    return json.loads(text, parse_constant=_refuse_constant)


def decode(tp: Any, obj: Any, where: str = "$") -> Any:
    """``obj`` (a parsed JSON value) as the type ``tp``; :class:`JsonFileError` naming the key
    path ``where`` when it does not fit."""
    if tp is Any or tp is object:
        return obj
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return _decode_union(typing.get_args(tp), obj, where)
    if origin is typing.Literal:
        if obj not in typing.get_args(tp):
            raise _error(where, f"one of {typing.get_args(tp)}", obj)
        return obj
    if tp is type(None):
        if obj is not None:
            raise _error(where, "null", obj)
        return None
    if tp is float:
        if obj is None:
            return math.nan
        if isinstance(obj, bool) or not isinstance(obj, (int, float)):
            raise _error(where, "a number", obj)
        return float(obj)
    if tp is int:
        if isinstance(obj, bool) or not isinstance(obj, (int, float)) or (
                isinstance(obj, float) and not obj.is_integer()):
            raise _error(where, "an integer", obj)
        return int(obj)
    if tp in (str, bool):
        if not isinstance(obj, tp):
            raise _error(where, tp.__name__, obj)
        return obj
    if tp is Path:
        if not isinstance(obj, str):
            raise _error(where, "a path", obj)
        return Path(obj)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(obj)
        except ValueError:
            raise _error(where, f"one of {[m.value for m in tp]}", obj) from None
    if origin in (tuple, list, set, frozenset):
        return _decode_sequence(tp, origin, obj, where)
    if origin in (dict, Mapping) or tp is dict:
        args = typing.get_args(tp) or (str, Any)
        if not isinstance(obj, dict):
            raise _error(where, "an object", obj)
        return {k: decode(args[1], v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(tp, type):
        custom = getattr(tp, "__json_decode__", None)
        if custom is not None:
            try:
                return custom(obj)
            except JsonFileError as exc:  # a part it decoded, with paths from its own "$"
                text = str(exc)
                raise JsonFileError(where + text[1:] if text.startswith("$") else text) from None
            except (KeyError, TypeError, ValueError) as exc:
                raise _error(where, tp.__name__, obj, str(exc)) from None
        if dataclasses.is_dataclass(tp):
            return _decode_dataclass(tp, obj, where)
    raise TypeError(f"the codec cannot decode {tp!r}")


def _decode_union(args: tuple[Any, ...], obj: Any, where: str) -> Any:
    if obj is None and type(None) in args:
        return None
    problems = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return decode(arg, obj, where)
        except JsonFileError as exc:
            problems.append(str(exc))
    raise JsonFileError(problems[0] if len(problems) == 1 else
                        f"{where}: fits none of {[getattr(a, '__name__', a) for a in args]}")


def _decode_sequence(tp: Any, origin: Any, obj: Any, where: str) -> Any:
    if not isinstance(obj, list):
        raise _error(where, "a list", obj)
    args = typing.get_args(tp)
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        if len(args) != len(obj):
            raise _error(where, f"a list of {len(args)}", obj)
        pairs = enumerate(zip(args, obj, strict=True))
        return tuple(decode(a, v, f"{where}[{i}]") for i, (a, v) in pairs)
    item = args[0] if args else Any
    values = [decode(item, v, f"{where}[{i}]") for i, v in enumerate(obj)]
    return origin(values)


def _decode_dataclass(tp: type[T], obj: Any, where: str) -> T:
    if not isinstance(obj, dict):
        raise _error(where, f"an object ({tp.__name__})", obj)
    hints = typing.get_type_hints(tp)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(tp):  # type: ignore[arg-type]
        if not f.init:
            continue
        opts = _options(f)
        names = [opts["key"] or f.name, *opts["aliases"]]
        found = next((n for n in names if n in obj), None)
        if opts["skip"] or found is None:
            if (f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING):
                raise JsonFileError(f"{where}: missing key {names[0]!r} ({tp.__name__})")
            continue
        kwargs[f.name] = decode(hints[f.name], obj[found], f"{where}.{found}")
    try:
        return tp(**kwargs)
    except (TypeError, ValueError) as exc:
        raise JsonFileError(f"{where}: not a valid {tp.__name__} ({exc})") from None


def _error(where: str, expected: str, got: Any, detail: str = "") -> JsonFileError:
    shown = json.dumps(got)[:60] if _jsonable(got) else type(got).__name__
    extra = f"; {detail}" if detail else ""
    return JsonFileError(f"{where}: expected {expected}, got {shown}{extra}")


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
