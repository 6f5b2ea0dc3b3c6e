"""A cell's progress as the live view reads it: the run's validated config.json for its total
steps (read again once the file is rewritten), its metrics for the rest."""

from __future__ import annotations

from pathlib import Path

from boundcheck.experiments.sweep.cells import is_finished, progress
from boundcheck.runs import RunDir


def test_progress_of_a_cell_not_started(tmp_path: Path) -> None:
    p = progress(tmp_path / "cell")
    assert (p.epoch, p.env_steps, p.total_steps, p.eval_return) == (None, 0, None, None)
    assert not is_finished(tmp_path / "cell")


def test_progress_reads_the_runs_files(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "cell", {"env": "Pendulum-v1", "seed": 1, "total_steps": 6000})
    try:
        assert progress(run.path).total_steps == 6000
        run.append_metrics({"epoch": 0, "env_steps": 300, "eval/return_mean": -5.0})
        p = progress(run.path)
        assert (p.epoch, p.env_steps, p.eval_return) == (0, 300, -5.0) and not is_finished(run.path)
        run.append_metrics({"epoch": 1, "env_steps": 6000})
        assert is_finished(run.path) and progress(run.path).eval_return is None
        # extended on resume: config.json rewritten, the new total is read
        run.update_config({"env": "Pendulum-v1", "seed": 1, "total_steps": 9000}, {"x": 1})
        assert progress(run.path).total_steps == 9000 and not is_finished(run.path)
    finally:
        run.release()


def test_a_damaged_config_has_no_total(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "cell", {"env": "Pendulum-v1", "total_steps": 6000})
    run.release()
    run.config_path.write_text(run.config_path.read_text().replace("6000", '"many"'))
    assert progress(run.path).total_steps is None and not is_finished(run.path)
