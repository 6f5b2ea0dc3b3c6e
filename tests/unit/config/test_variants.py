"""The named config variants in configs/ load over their task's preset and say what they say."""

from __future__ import annotations

from pathlib import Path

from boundcheck.mbpo.setup import resolve_config

CONFIGS = Path(__file__).parents[3] / "configs"


def test_the_original_codes_hopper_schedule() -> None:
    paper = resolve_config("Hopper-v5")
    code = resolve_config("Hopper-v5", config_file=CONFIGS / "hopper_original_code_schedule.json")
    assert (paper.rollout.min_epoch, paper.rollout.max_epoch) == (20, 100)
    assert (code.rollout.min_epoch, code.rollout.max_epoch) == (20, 150)
    assert code.rollout.length(100) == 9 and paper.rollout.length(100) == 15
    assert code.rollout.length(code.epochs - 1) == 11  # 125k steps end before k = 15
    assert code == resolve_config("Hopper-v5", overrides={"rollout.max_epoch": 150})


def test_every_variant_is_listed() -> None:
    listed = (CONFIGS / "README.md").read_text()
    assert all(f"`{p.name}`" in listed for p in CONFIGS.glob("*.json"))
