"""``boundcheck train --list-settings``: every --set key, as a table or one JSON document,
without training or writing anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.config import PRESETS, setting_keys


def list_settings(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["train", "--list-settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_every_key_with_every_preset(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = list_settings(capsys, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["env"] is None
    assert [s["key"] for s in doc["settings"]] == list(setting_keys())
    for setting in doc["settings"]:
        assert set(setting) == {"key", "type", "default", "doc", "presets"}
        assert list(setting["presets"]) == list(PRESETS)
    assert list(tmp_path.iterdir()) == []  # no run directory, nothing written


def test_json_for_one_task(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = list_settings(capsys, "--env", "Ant-v5", "--json")
    assert code == 0, err
    doc = json.loads(out)
    by_key = {s["key"]: s for s in doc["settings"]}
    assert doc["env"] == "Ant-v5"
    assert by_key["rollout.max_length"]["presets"] == {"Ant-v5": 25}
    assert by_key["sac.target_entropy"] == {
        "key": "sac.target_entropy", "type": "float | None", "default": None,
        "doc": by_key["sac.target_entropy"]["doc"], "presets": {"Ant-v5": -4.0}}


def test_table(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = list_settings(capsys, "--env", "Humanoid-v5")
    assert code == 0, err
    for key in setting_keys():
        assert key in out
    assert "Humanoid-v5" in out and "400" in out  # the model's width in Humanoid's preset


def test_unknown_task_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = list_settings(capsys, "--env", "Hopper")
    assert code == 2 and "--env" in err and len(err.strip().splitlines()) == 1
