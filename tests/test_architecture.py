"""The architecture contract (docs/architecture.md) holds: a new layer violation fails CI.

The contracts live in ``[tool.importlinter]`` of pyproject.toml; ``make lint`` runs the same
check as ``lint-imports``. Building the import graph takes well under a second.
"""

from __future__ import annotations

import pkgutil
import sys
from pathlib import Path
from typing import Any

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

import boundcheck

if sys.version_info >= (3, 11):
    import tomllib
else:  # import-linter depends on tomli before Python 3.11
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _contracts() -> dict[str, dict[str, Any]]:
    """The import-linter contracts of pyproject.toml, by id."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _top_level_modules() -> set[str]:
    """``boundcheck.X`` for every module and package directly inside ``boundcheck``."""
    return {f"boundcheck.{info.name}" for info in pkgutil.iter_modules(boundcheck.__path__)}


def test_import_contracts_are_kept(capsys: Any) -> None:
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, capsys.readouterr().out


def test_every_module_has_a_layer() -> None:
    # A module outside the layers would escape the contract; only the entry point may.
    layered = {name.strip() for layer in _contracts()["layers"]["layers"]
               for name in layer.split("|")}
    assert _top_level_modules() - {"boundcheck.__main__"} == layered


def test_nothing_below_the_cli_may_import_it() -> None:
    sources = set(_contracts()["cli-on-top"]["source_modules"])
    assert sources == _top_level_modules() - {"boundcheck.__main__", "boundcheck.cli"}
