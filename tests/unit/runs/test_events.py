"""TensorBoard event files: the record's numeric scalars under their own names at the real
step, and a resumed run purges the events after its checkpoint instead of showing them twice."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from boundcheck.runs.events import EventLog


def _scalars(path: Path, tag: str) -> list[tuple[int, float]]:
    acc = EventAccumulator(str(path))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_numeric_scalars_become_events_at_the_real_step(tmp_path: Path) -> None:
    with EventLog(tmp_path) as log:
        for epoch, steps in enumerate((100, 200)):
            log.write({"epoch": epoch, "env_steps": steps, "eval/return_mean": -10.0 * steps,
                       "model/elites": [0, 1], "model/stop": "max_epochs",
                       "flag": True, "nan": float("nan")})
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["scalars"] == ["eval/return_mean"]
    assert _scalars(tmp_path, "eval/return_mean") == [(100, -1000.0), (200, -2000.0)]


def test_a_resume_purges_what_it_redoes(tmp_path: Path) -> None:
    with EventLog(tmp_path, resume_after_step=0) as log:
        for steps in (100, 200, 300):  # 300: an epoch whose checkpoint never landed
            log.write({"epoch": steps // 100 - 1, "env_steps": steps, "x": float(steps)})
    with EventLog(tmp_path, resume_after_step=200) as log:
        log.write({"epoch": 2, "env_steps": 300, "x": 3.5})
    assert _scalars(tmp_path, "x") == [(100, 100.0), (200, 200.0), (300, 3.5)]
