"""Progress in a log file: with stderr not a terminal the bar is not drawn, so a line per phase
(and at least one every 30 s) says where a long command is."""

from __future__ import annotations

import pytest

from boundcheck.cli.common import phase_progress
from boundcheck.render import progress


def test_a_line_per_phase_when_stderr_is_a_log(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 1.0, 2.0, 40.0, 46.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    with phase_progress("{task.completed}", disabled=False) as report:
        report({"description": "size 5000: model", "completed": 0.1, "total": 1.0})  # 0 s
        report({"description": "size 5000: model", "completed": 0.2, "total": 1.0})  # quiet
        report({"description": "size 5000: epoch 2", "completed": 0.2, "total": 1.0})  # < 5 s
        report({"description": "size 5000: epoch 9", "completed": 0.3, "total": 1.0})  # 40 s
        report({"description": "size 5000: SAC", "completed": 0.5, "total": 1.0})  # new, 6 s
    lines = [line for line in capsys.readouterr().err.splitlines() if "size 5000" in line]
    # The wording is for people; what matters: a line per new phase or after 30 s, quiet
    # otherwise, each naming the phase and how far the command is.
    assert len(lines) >= 3  # (and the bar's last state when it closes)
    for line, phase, done in zip(lines[:3], ("model", "epoch 9", "SAC"), ("10", "30", "50"),
                                 strict=True):
        assert phase in line and done in line
        assert "elapsed" in line  # a person reading the log sees how long it has run


def test_durations_read_as_a_clock() -> None:
    from boundcheck.render.progress import clock

    assert (clock(5), clock(125.9), clock(3723), clock(None)) == \
        ("0:00:05", "0:02:05", "1:02:03", "-")


def test_quiet_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with phase_progress("{task.completed}", disabled=True) as report:
        report({"description": "x", "completed": 0.5, "total": 1.0})
    assert capsys.readouterr().err == ""


def test_train_says_in_a_log_when_a_model_fit_holds_it_up(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from rich.console import Console
    from rich.progress import Progress, TextColumn

    from boundcheck.render.train import follow_training

    clock = iter([0.0, 10.0, 31.0])
    console = Console(stderr=True, force_terminal=False)
    with Progress(TextColumn("{task.description}"), console=console) as bar:
        report = follow_training(bar, 1000, 0, clock=lambda: next(clock))
        info = {"phase": "training", "epoch": 3, "env_steps": 400, "total_steps": 1000, "k": 1,
                "eval_return": 12.0, "holdout_mse": 0.5}
        report(info)  # the epoch's first line
        report({**info, "fit": "fitting the model: epoch 7, 2 member(s) improved"})  # quiet
        report({**info, "fit": "fitting the model: epoch 9, 1 member(s) improved"})  # 31 s
    lines = [line for line in capsys.readouterr().err.splitlines() if "400" in line]
    # The wording is for people: a line opens the epoch, one more when the fit runs 30 s.
    assert len(lines) == 2
    assert "epoch 3" in lines[0] and "400/1000" in lines[0]
    assert "fitting the model: epoch 9" in lines[1]
