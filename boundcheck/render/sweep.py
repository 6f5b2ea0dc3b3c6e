"""How a sweep shows itself: a live table on a terminal, one line per event in a log.

On a terminal (stderr), a rich table refreshed at every poll: cell, state, epoch, real steps
of total, last evaluation return, elapsed time and ETA (from the cell's own rate so far). With
no terminal (output piped to a log file), one line per finished epoch and per finished or
failed cell, so a log shows progress at the pace of the runs. The ``--json`` documents of the
same results are made in :mod:`boundcheck.experiments.sweep.documents`.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from boundcheck.experiments.sweep.analyses import RunsAnalysis, SlopeRow, VerdictCounts
from boundcheck.experiments.sweep.cells import CellState
from boundcheck.experiments.sweep.run import CellStatus, SweepResult
from boundcheck.experiments.sweep.summary import SweepReport
from boundcheck.experiments.sweep.summary import interval_text as _interval
from boundcheck.render.progress import clock
from boundcheck.render.table import print_table


def _say(console: Console, text: str) -> None:
    """One plain line (no highlighting, never wrapped: a log keeps one line per event)."""
    console.print(text, highlight=False, soft_wrap=True)


def _eta(row: CellStatus) -> float | None:
    p = row.progress
    if row.state is not CellState.RUNNING or not p.total_steps or not p.env_steps \
            or row.elapsed is None:
        return None
    return row.elapsed * (p.total_steps - p.env_steps) / max(p.env_steps, 1)


def _ret(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def status_table(rows: list[CellStatus]) -> Table:
    """The live view's table."""
    table = Table(title="sweep")
    for column in ("cell", "state", "epoch", "steps", "eval return", "elapsed", "ETA"):
        table.add_column(column, justify="left" if column in ("cell", "state") else "right")
    for row in rows:
        p = row.progress
        total = "?" if p.total_steps is None else str(p.total_steps)
        table.add_row(row.name, row.state.value, "-" if p.epoch is None else str(p.epoch),
                      f"{p.env_steps}/{total}", _ret(p.eval_return), clock(row.elapsed),
                      clock(_eta(row)))
    return table


class SweepWatch:
    """The callback a sweep calls at every poll; a context manager around the live view."""

    def __init__(self, console: Console, *, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self._view: Live | None = None
        self._epochs: dict[str, int | None] = {}
        self._states: dict[str, CellState] = {}

    def __enter__(self) -> SweepWatch:
        if self.live:
            self._view = Live(status_table([]), console=self.console, refresh_per_second=2)
            self._view.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._view is not None:
            self._view.__exit__(*exc)

    def __call__(self, rows: list[CellStatus]) -> None:
        if self._view is not None:
            self._view.update(status_table(rows))
            return
        if self.quiet:
            return
        for row in rows:
            epoch, before = row.progress.epoch, self._epochs.get(row.name)
            if epoch is not None and epoch != before and row.state is CellState.RUNNING:
                _say(self.console,
                    f"{row.name}: epoch {epoch}, {row.progress.env_steps}/"
                    f"{row.progress.total_steps} steps, eval {_ret(row.progress.eval_return)}, "
                    f"elapsed {clock(row.elapsed)}")
            if row.state != self._states.get(row.name) and row.state in (CellState.FINISHED,
                                                                          CellState.FAILED):
                _say(self.console, f"{row.name}: {row.state.value}")
            self._epochs[row.name], self._states[row.name] = epoch, row.state


def render_result(console: Console, result: SweepResult) -> None:
    """The final table: every cell's outcome, then the failed cells with their errors."""
    table = Table(title=f"sweep {result.out}")
    for column in ("cell", "state", "epochs", "steps", "eval return"):
        table.add_column(column, justify="left" if column in ("cell", "state") else "right")
    for c in result.cells:
        table.add_row(c.name, c.state.value, str(c.epochs), str(c.env_steps),
                      _ret(c.eval_return))
    print_table(console, table)
    for c in result.failed:
        _say(console, f"failed: {c.name}: {c.error}")
    for a in result.failed_analyses:
        _say(console, f"analysis failed: {a.name}: {a.error}")


def render_report(console: Console, report: SweepReport) -> None:
    """Per task: the across-seed table and the paired comparisons (report.md has the same)."""
    for task in report.tasks:
        s = task.summary
        seeds = max(len(g.seeds) for g in s.groups.values())
        over = (f"{s.confidence:.0%} interval over seeds" if seeds > 1 else
                "one seed per setting: no interval")
        table = Table(title=f"{task.task}: return at step {s.step} / mean of up to the last "
                            f"{s.window} evaluations ({over})")
        for column in ("setting", "seeds", "at step", "last evaluations"):
            table.add_column(column, justify="left" if column == "setting" else "right")
        for label, g in s.groups.items():
            at, win = g.at_step.summary, g.window_mean.summary
            table.add_row(label, str(len(g.seeds)), _interval(at.mean, at.ci_low, at.ci_high),
                          _interval(win.mean, win.ci_low, win.ci_high))
        print_table(console, table)
        for p in task.pairs:
            d = p.at_step.diff
            _say(console, f"{p.a} vs {p.b} ({p.axis}): wins {p.at_step.wins}/{p.at_step.n}, "
                          f"sign test p = {p.at_step.sign_test_p:.3g}, mean difference "
                          f"{_interval(d.mean, d.ci_low, d.ci_high)}")
        for label, counts in task.verdicts.items():
            _say(console, f"validate, {label} ({counts.runs} runs): {_verdict_text(counts)}")
            if counts.measured:
                _say(console, f"  measured, {label}: {_measured_text(counts)}")
        for label, rows in task.slopes.items():
            _say(console, f"slope of {rows[0].measure} vs Pinsker TV, {label}: "
                          f"{_slope_text(rows)}")
        _say(console, f"figure: {task.figure}")
    if report.missing:
        _say(console, "no evaluation yet: " + ", ".join(report.missing))


def _verdict_text(counts: VerdictCounts) -> str:
    return "; ".join(f"{key}: " + ", ".join(f"{v} {n}" for v, n in c.items())
                     for key, c in counts.counts.items())


def _measured_text(counts: VerdictCounts) -> str:
    return "; ".join(f"{name} {_interval(s.mean, s.ci_low, s.ci_high, '.3g')}"
                     for name, s in counts.measured.items())


def _slope_text(rows: list[SlopeRow] | tuple[SlopeRow, ...]) -> str:
    return "; ".join(f"N={r.train_size}: " + ", ".join(
        f"{kind} {_interval(s.mean, s.ci_low, s.ci_high)}"
        for kind, s in r.summary.items() if s is not None) for r in rows)


def render_runs_analysis(console: Console, result: RunsAnalysis) -> None:
    """Per task and algorithm: the verdict counts and the slopes over its runs."""
    for g in result.groups:
        _say(console, f"{g.label}: {len(g.runs)} runs")
        if g.verdicts is not None:
            _say(console, f"  validate ({g.verdicts.runs} runs): {_verdict_text(g.verdicts)}")
            if g.verdicts.measured:
                _say(console, f"  measured: {_measured_text(g.verdicts)}")
        if g.slopes:
            _say(console, f"  slope of {g.slopes[0].measure} vs Pinsker TV: "
                          f"{_slope_text(g.slopes)}")
    for a in result.failed:
        _say(console, f"analysis failed: {a.name}: {a.error}")
