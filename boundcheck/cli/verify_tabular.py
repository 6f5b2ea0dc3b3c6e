"""``boundcheck verify-tabular``: exact checks of Theorems 4.1–4.3 and Lemmas B.1–B.3."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from boundcheck.cli.common import (
    bad_input,
    check_numbers,
    emit_json,
    ensure_dir,
    phase_progress,
    stdout_console,
)
from boundcheck.cli.errors import EXIT_FAILURE
from boundcheck.cli.options import JsonOption, QuietOption, SeedOption, opt, out_option
from boundcheck.codec import encode
from boundcheck.experiments.tabular.random_check import TARGETS, THEOREMS, Target
from boundcheck.experiments.tabular.verify import (
    MAX_K,
    ImprovementReport,
    RandomCheckReport,
    SearchKind,
    SearchReport,
    check_instance_file,
    check_random_instances,
    run_improvement,
    run_search,
)
from boundcheck.inputs import PROBABILITY_OPEN, SEED, NumberRule
from boundcheck.render.improvement import render_improvement
from boundcheck.render.theory import (
    render_random_check,
    render_search,
    render_tabular_instance,
)
from boundcheck.theory.ladder import Rung

MAX_MDPS = 10_000_000
#: Largest --max-evals (objective evaluations per theorem).
MAX_EVALS = 1_000_000
K_RULE = NumberRule(integer=True, ge=0, le=MAX_K)


def command(
    instance: Annotated[Path | None, opt(
        "--instance", "Evaluate one finite MDP from a JSON instance file exactly.")] = None,
    mdps: Annotated[int, opt(
        "--mdps", "Number of random instances to check (without --instance).")] = 1000,
    seed: SeedOption = 0,
    search: Annotated[str | None, opt(
        "--search", "'tight': optimise instances to make each bound as tight as possible; "
        "'improvement': does improving under the model by C guarantee improving on the true "
        "MDP (Section 4.1)? --mdps random instances, then a search per rule at --gamma.")]
    = None,
    gamma: Annotated[float, opt(
        "--gamma", "Discount factor of the --search instances.")] = 0.9,
    k: Annotated[int, opt("--k", "Rollout length of the --search instances.")] = 1,
    max_evals: Annotated[int, opt(
        "--max-evals", "Objective evaluations per theorem or rung for --search.")] = 4000,
    targets: Annotated[str, opt(
        "--targets", "Comma-separated bounds --search tight optimises: 'all', 'theorems', "
        "'ladder', or names (theorem_4_1, ..., expected_tv_model, coupling, cpo, ...; "
        "docs/verify-tabular.md).")] = "all",
    out: Annotated[Path, out_option("Folder for counterexample and tightest-instance files.")]
    = Path("verify-tabular-out"),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Check the MBPO bounds exactly on finite MDPs; exit 1 if any check is violated."""
    _check_options(instance, search, mdps, seed, gamma, k, max_evals)
    chosen = parse_targets(targets)
    if instance is not None:
        checked = check_instance_file(instance)
        if as_json:
            emit_json(encode(checked))
        else:
            render_tabular_instance(stdout_console(), checked)
        return 0 if checked.holds else EXIT_FAILURE
    ensure_dir("--out", out)
    with phase_progress("{task.completed}/{task.total}", disabled=quiet or as_json) as report_to:
        report: RandomCheckReport | SearchReport | ImprovementReport
        if search is None:
            report = check_random_instances(mdps, seed, out, report_to)
        elif search == SearchKind.IMPROVEMENT:
            report = run_improvement(seed=seed, gamma=gamma, mdps=mdps, max_evals=max_evals,
                                     out=out, progress=report_to)
        else:
            report = run_search(seed=seed, gamma=gamma, k=k, max_evals=max_evals, out=out,
                                targets=chosen, progress=report_to)
    if as_json:
        emit_json(encode(report))
    elif isinstance(report, RandomCheckReport):
        render_random_check(stdout_console(), report)
    elif isinstance(report, ImprovementReport):
        render_improvement(stdout_console(), report)
    else:
        render_search(stdout_console(), report)
    return EXIT_FAILURE if report.violated else 0


def _check_options(instance: Path | None, search: str | None, mdps: int, seed: int,
                   gamma: float, k: int, max_evals: int) -> None:
    """Bad input for options out of range or that do not go together."""
    if instance is not None and search is not None:
        bad_input("--search", "cannot be combined with --instance")
    check_numbers({"--mdps": (mdps, NumberRule(integer=True, ge=1, le=MAX_MDPS)),
                   "--seed": (seed, SEED), "--gamma": (gamma, PROBABILITY_OPEN),
                   "--k": (k, K_RULE),
                   "--max-evals": (max_evals, NumberRule(integer=True, ge=1, le=MAX_EVALS))})
    if search is not None and search not in set(SearchKind):
        bad_input("--search", f"unknown search {search!r} (known: "
                  f"{', '.join(str(kind) for kind in SearchKind)})")


def parse_targets(text: str) -> tuple[Target, ...]:
    """The bounds named by ``--targets`` (groups 'all', 'theorems', 'ladder' or names), in the
    order of :data:`TARGETS`; an unknown or empty name is bad input."""
    groups: dict[str, tuple[Target, ...]] = {"all": TARGETS, "theorems": THEOREMS,
                                              "ladder": tuple(Rung)}
    by_name = {str(t): t for t in TARGETS}
    wanted: set[Target] = set()
    for word in (w.strip() for w in text.split(",")):
        if word in groups:
            wanted.update(groups[word])
        elif word in by_name:
            wanted.add(by_name[word])
        else:
            bad_input("--targets", f"unknown bound {word!r} (known: {', '.join(groups)}, "
                      f"{', '.join(by_name)})")
    return tuple(t for t in TARGETS if t in wanted)
