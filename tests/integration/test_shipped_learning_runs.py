"""The learning result in docs/results is what the shipped run metrics give."""

from __future__ import annotations

import json
from pathlib import Path

from boundcheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "data" / "learning" / "hopper_g20_h100"
DOC = ROOT / "docs" / "results" / "hopper_mbpo_vs_sac_6seeds_h100.json"


def test_the_shipped_hopper_comparison_recomputes(capsys, tmp_path: Path) -> None:
    runs = sorted(str(p) for p in RUNS.glob("*-s?"))
    assert len(runs) == 12
    code = main(["plot-runs", *runs, "--group", "--json", "--out", str(tmp_path / "f.png")])
    out, err = capsys.readouterr()
    assert code == 0, err
    fresh, shipped = json.loads(out), json.loads(DOC.read_text(encoding="utf-8"))
    assert fresh["step"] == shipped["step"] == 20000
    for label in ("mbpo Hopper-v5", "sac Hopper-v5"):
        for key in ("at_step", "window_mean"):
            assert fresh["groups"][label][key] == shipped["groups"][label][key]
    for key in ("at_step", "window_mean"):
        assert fresh["paired"][key] == shipped["paired"][key]
    for run in runs:
        config = json.loads((Path(run) / "config.json").read_text(encoding="utf-8"))
        assert config["config"]["env"] == "Hopper-v5"
        assert config["config"]["updates_per_step"] == 20
