"""Every setting is documented once, listed with its type, default and preset values, and
appears in docs/settings.md."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from boundcheck.codec import encode
from boundcheck.config import (
    BASE,
    PRESETS,
    apply_overrides,
    flat_values,
    list_settings,
    setting_keys,
    task_config,
)
from boundcheck.config.fields import DOC
from boundcheck.render.train import settings_markdown

DOCS = Path(__file__).parents[3] / "docs" / "settings.md"


def _fields(config: object) -> list[dataclasses.Field[object]]:
    out = []
    for f in dataclasses.fields(config):  # type: ignore[arg-type]
        out.append(f)
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out += _fields(value)
    return out


def test_every_field_and_section_is_documented() -> None:
    for f in _fields(BASE):
        assert len(f.metadata.get(DOC, "")) > 10, f.name


def test_every_key_is_a_set_key() -> None:
    keys = setting_keys()
    assert keys == tuple(flat_values(BASE))
    assert len(keys) == len(set(keys)) > 40
    for key, value in flat_values(BASE).items():  # each key takes its own default back
        assert apply_overrides(BASE, {key: value}) == BASE


@pytest.mark.parametrize("env", [None, "Humanoid-v5"])
def test_listing_holds_types_defaults_and_preset_values(env: str | None) -> None:
    listing = list_settings(env)
    tasks = [env] if env else list(PRESETS)
    by_key = {s.key: s for s in listing.settings}
    assert tuple(by_key) == setting_keys()
    for task in tasks:
        values = flat_values(task_config(task))
        assert {k: s.presets[task] for k, s in by_key.items()} == values
    assert by_key["sac.target_entropy"].type == "float | None"
    assert by_key["sac.target_entropy"].default is None
    assert by_key["ensemble.weight_decay"].type == "tuple[float, ...]"
    assert by_key["total_steps"].type == "int" and by_key["sac.lr"].default == 3e-4
    doc = json.loads(json.dumps(encode(listing), allow_nan=False))
    assert doc["env"] == env and len(doc["settings"]) == len(by_key)
    assert doc["settings"][0]["key"] == "env" and isinstance(
        next(s for s in doc["settings"] if s["key"] == "ensemble.weight_decay")["default"], list)
    if env:
        assert by_key["rollout.max_epoch"].presets == {env: 300}


def test_docs_list_every_setting_as_generated() -> None:
    text = DOCS.read_text()
    assert settings_markdown(list_settings()) in text
    for key in setting_keys():
        assert f"`{key}`" in text
