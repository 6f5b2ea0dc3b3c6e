"""tools/q_bias.py: runs are labelled by algorithm and update ratio, and a SAC baseline given a
target entropy of its own (MBPO's, to separate the model data from the entropy target) is told
apart from the plain baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.tool_module import load_tool

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "results" / "data"
SAC_IP = DATA / "overfit_ip" / "InvertedPendulum-v5_sac_seed0_updates_per_step=20"
MBPO_HOPPER = DATA / "rollout_length_hopper" / "Hopper-v5_mbpo_seed0_rollout.fixed_length=1"


def test_labels_name_algorithm_ratio_and_a_set_target_entropy(tmp_path: Path) -> None:
    tool = load_tool("q_bias")
    assert tool.label(SAC_IP) == "SAC G=20"
    assert tool.label(MBPO_HOPPER) == "MBPO G=20"  # MBPO's own target entropy is not named
    run = tmp_path / "sac-ent"
    shutil.copytree(SAC_IP, run)
    doc = json.loads((run / "config.json").read_text(encoding="utf-8"))
    doc["config"]["sac"]["target_entropy"] = -0.05
    (run / "config.json").write_text(json.dumps(doc), encoding="utf-8")
    assert tool.label(run) == "SAC G=20 H=-0.05"
