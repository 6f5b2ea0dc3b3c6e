"""The model-training caps in the loop: off by default changes nothing; a cap that fires is
recorded in metrics.jsonl; every retrain is listed in timings.jsonl."""

from __future__ import annotations

from pathlib import Path

from boundcheck.runs.atomic import read_jsonl

from .test_loop import run_tiny


def test_caps_that_never_fire_leave_metrics_byte_identical(tmp_path: Path) -> None:
    one_epoch = {"total_steps": 300}
    free = run_tiny(tmp_path / "free", **one_epoch, **{"ensemble.max_epochs": 0})
    capped = run_tiny(tmp_path / "capped", **one_epoch, **{"ensemble.max_epochs": 10**6,
                                                            "ensemble.max_model_t": 1e9})
    assert (free.path / "metrics.jsonl").read_bytes() == \
        (capped.path / "metrics.jsonl").read_bytes()
    assert not any("model/stop" in r for r in free.read_metrics())
    fits = [f for line in read_jsonl(free.path / "timings.jsonl") for f in line["model_fits"]]
    assert len(fits) == 2  # 1 epoch x (100 steps / retrain every 50)
    assert {f["stop"] for f in fits} == {"no_improvement"}
    assert [f["num_train"] for f in fits] == sorted(f["num_train"] for f in fits)


def test_a_cap_that_fires_is_recorded(tmp_path: Path) -> None:
    run = run_tiny(tmp_path / "run", total_steps=300, **{"ensemble.max_epochs": 1})
    assert [r["model/stop"] for r in run.read_metrics()] == ["epoch_cap"]
    fits = [f for line in read_jsonl(run.path / "timings.jsonl") for f in line["model_fits"]]
    assert all(f["epochs"] == 1 and f["stop"] == "epoch_cap" for f in fits)
