"""The ``boundcheck`` command line: a thin typer app. Each command lives in its own module."""

from __future__ import annotations

import os
import sys

import typer

from boundcheck.cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    exit_status,
    one_line,
    show_traceback,
)


def build_app() -> typer.Typer:
    """Assemble the app (imports of the command modules happen here, not at package import)."""
    from boundcheck.cli import (
        bounds,
        measure_generalization,
        optimal_k,
        plot_runs,
        show,
        sweep,
        train,
        validate,
        verify_tabular,
    )
    from boundcheck.cli.options import aliased

    app = typer.Typer(
        name="boundcheck",
        help="Put the theory of MBPO (Janner et al., NeurIPS 2019) to the test.",
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        # Wide enough that each command's one-line summary is shown whole.
        context_settings={"max_content_width": 140},
    )
    @app.callback()
    def _root(version: bool = typer.Option(
            False, "--version", help="Print the version and exit.", is_eager=True,
            callback=_print_version)) -> None:
        """Put the theory of MBPO (Janner et al., NeurIPS 2019) to the test."""

    app.command("bounds")(bounds.command)
    app.command("optimal-k")(optimal_k.command)
    app.command("verify-tabular")(verify_tabular.command)
    app.command("train")(train.command)
    app.command("plot-runs")(plot_runs.command)
    app.command("measure-generalization", cls=aliased(measure_generalization.DEPRECATED))(
        measure_generalization.command)
    app.command("validate", cls=aliased(validate.DEPRECATED))(validate.command)
    app.command("show")(show.command)
    app.add_typer(sweep.build(), name="sweep")
    return app


def _print_version(value: bool) -> None:
    if value:
        from boundcheck import __version__

        sys.stdout.write(f"boundcheck {__version__}\n")
        raise typer.Exit(0)


#: libgomp's spin count for torch's idle CPU threads unless the user chose a wait policy or a
#: count (docs/trainer.md, "Threads"): an idle thread spins about this many iterations (some
#: microseconds) before it sleeps, instead of libgomp's default 300,000 (milliseconds). Short
#: waits between torch's parallel regions stay as fast as spinning on a quiet machine, and on a
#: busy one the idle threads yield the cores to the other jobs almost as soon as passive ones
#: (benchmarked quiet and loaded: docs/results/benchmarks.md, `threads`). libgomp is the OpenMP
#: runtime of torch's Linux wheels; other runtimes ignore the variable.
OPENMP_SPIN_COUNT = "1000"


def bounded_openmp_spin() -> None:
    """Set ``GOMP_SPINCOUNT`` for this process unless the user set it or ``OMP_WAIT_POLICY``;
    it must come before torch loads its OpenMP runtime, which the commands import lazily."""
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = OPENMP_SPIN_COUNT


def _usage_error_class() -> type[Exception]:
    """The usage-error base class of the click that typer runs on.

    Newer typer vendors click privately; both it and plain click expose ``BadParameter``
    publicly, whose parent is ``UsageError``, so we reach it through the MRO.
    """
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "UsageError":
            return cls
    return typer.BadParameter


def _error(message: str, code: int) -> int:
    sys.stderr.write(f"boundcheck: error: {message}\n")
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code.

    Usage errors and bad input print one line on stderr and exit 2; runtime failures exit 1
    (:mod:`boundcheck.cli.errors` decides which is which).
    """
    bounded_openmp_spin()
    app = build_app()
    usage_error = _usage_error_class()
    try:
        result = app(args=argv, prog_name="boundcheck", standalone_mode=False)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stderr.write(ctx.get_help() + "\n")  # bare `boundcheck`: the help, exit 2
            return EXIT_BAD_INPUT
        message = exc.format_message()  # type: ignore[attr-defined]
        return _error(one_line(message), EXIT_BAD_INPUT)
    except typer.Abort:
        return _error("interrupted", EXIT_INTERRUPTED)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (Exception, KeyboardInterrupt) as exc:
        code, line = exit_status(exc)
        if code == EXIT_FAILURE and line.startswith("unexpected") and show_traceback():
            raise
        return _error(line, code)
    return result if isinstance(result, int) else 0
