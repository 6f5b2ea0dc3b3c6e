"""Terminal rendering for ``boundcheck train``: its progress bar, its summary line and the
table of settings (``--list-settings``). Only the CLI calls this."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from boundcheck.render.progress import LogLines
from boundcheck.render.table import print_table

if TYPE_CHECKING:
    from boundcheck.config import SettingsListing
    from boundcheck.mbpo.request import TrainSummary

#: The progress bar's columns after its description and bar (rich text-column templates).
PROGRESS_COLUMNS = ("{task.completed}/{task.total} steps",
                    "eval {task.fields[ret]}  k {task.fields[k]}  model MSE {task.fields[loss]}")


#: With no terminal (output to a log file): a line at least this often (seconds), and at
#: every new epoch or phase.
def follow_training(progress: Progress, total: int, done: int, *,
                    clock: Callable[[], float] | None = None
                    ) -> Callable[[dict[str, Any]], None]:
    """Add the run's task to ``progress`` (a bar made with :data:`PROGRESS_COLUMNS`) and return
    the training loop's progress callback, which moves it (cheap: rich throttles refreshes).

    When the bar's console is not a terminal (a log file), the bar is not drawn until the end,
    so the callback also prints one line per new epoch (or phase) and at least every
    :data:`~boundcheck.render.progress.LOG_EVERY_S` seconds (:class:`LogLines`).
    """
    task = progress.add_task("exploring", total=total, completed=done, ret="-", k="-",
                             loss="-")
    lines = None if progress.disable or progress.console.is_terminal else LogLines(clock=clock)

    def report(info: dict[str, Any]) -> None:
        loss = info.get("holdout_mse")
        ret, k = _return(info.get("eval_return")), str(info.get("k") or "-")
        model = "-" if loss is None else f"{loss:.4g}"
        progress.update(task, completed=info["env_steps"],
                        description=f"{info['phase']} epoch {info['epoch']}", ret=ret, k=k,
                        loss=model)
        if lines is not None and lines.due((info["phase"], info["epoch"])):
            fit = f" ({info['fit']})" if info.get("fit") else ""
            progress.console.print(
                f"{info['phase']} epoch {info['epoch']}: {info['env_steps']}/{total} steps, "
                f"eval {ret}, k {k}, model holdout MSE {model}{fit}",
                highlight=False, soft_wrap=True)

    return report


def render_summary(console: Console, summary: TrainSummary) -> None:
    """One line: the run, its epochs and steps, and its last evaluation return."""
    console.print(f"run {summary.run}: {summary.epochs} epochs, {summary.env_steps} env steps, "
                  f"last evaluation return {_return(summary.last_epoch.get('eval/return_mean'))}")


def render_settings(console: Console, listing: SettingsListing) -> None:
    """Every ``--set`` key: type, default, the preset's value (one task's, or the tasks whose
    preset differs from the default) and its documentation."""
    title = f"train settings (--set key=value), preset {listing.env}" if listing.env else \
        "train settings (--set key=value), presets that differ from the default"
    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=True, pad_edge=False)
    table.add_column("key (type)", no_wrap=True)
    table.add_column("default", max_width=12, overflow="fold")
    table.add_column(listing.env or "presets", max_width=12 if listing.env else 24,
                     overflow="fold")
    table.add_column("meaning", ratio=1)
    for setting in listing.settings:
        if listing.env is not None:
            value = setting.presets[listing.env]
            preset = _value(value) if value != setting.default else "= default"
        else:
            preset = "\n".join(f"{task}: {_value(value)}"
                               for task, value in setting.presets.items()
                               if value not in (setting.default, task))  # env: the task
        key = Text(setting.key)
        key.append(f"\n{setting.type}", style="dim")
        table.add_row(key, _value(setting.default), preset, setting.doc)
    print_table(console, table)


def _value(value: Any) -> str:
    """A setting's value as ``--set`` takes it."""
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(_value(v) for v in value)
    return str(value)


def _return(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def settings_markdown(listing: SettingsListing) -> str:
    """The settings as the Markdown table of docs/settings.md (presets: those that differ)."""
    lines = ["| key | type | default | presets (where not the default) | meaning |",
             "|---|---|---|---|---|"]
    for setting in listing.settings:
        presets = "<br>".join(f"{task}: `{_value(value)}`"
                              for task, value in setting.presets.items()
                              if value not in (setting.default, task))
        cells = (f"`{setting.key}`", setting.type, f"`{_value(setting.default)}`", presets,
                 setting.doc)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
