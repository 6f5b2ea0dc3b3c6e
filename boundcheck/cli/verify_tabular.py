"""``boundcheck verify-tabular``: exact checks of Theorems 4.1–4.3 and Lemmas B.1–B.3."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from boundcheck.cli.common import (
    JsonOption,
    QuietOption,
    bad_input,
    check_numbers,
    emit_json,
    ensure_dir,
    progress_bar,
    stdout_console,
)
from boundcheck.cli.errors import EXIT_FAILURE
from boundcheck.experiments.tabular.search import search_tight
from boundcheck.experiments.tabular.sweep import check_instance, counterexample_docs, sweep
from boundcheck.inputs import PROBABILITY_OPEN, SEED, NumberRule
from boundcheck.render.theory import render_search, render_sweep, render_tabular_instance
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.theory.instances import InstanceError, instance_to_dict, load_instance

MAX_MDPS = 10_000_000
#: Largest rollout length k (an instance's or --k): the exact returns step k times.
MAX_K = 10_000
#: Largest --max-evals (objective evaluations per theorem).
MAX_EVALS = 1_000_000
K_RULE = NumberRule(integer=True, ge=0, le=MAX_K)


def _progress(quiet: bool) -> Progress:
    return progress_bar("{task.completed}/{task.total}", disabled=quiet, transient=True)


def command(
    instance: Annotated[Path | None, typer.Option(
        "--instance", help="Evaluate one finite MDP from a JSON instance file exactly.")] = None,
    mdps: Annotated[int, typer.Option(
        "--mdps", help="Number of random instances to check (without --instance).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random instances.")] = 0,
    search: Annotated[str | None, typer.Option(
        "--search", help="'tight': optimise instances to make each bound as tight as possible.")]
    = None,
    gamma: Annotated[float, typer.Option(
        "--gamma", help="Discount factor of the --search instances.")] = 0.9,
    k: Annotated[int, typer.Option("--k", help="Rollout length of the --search instances.")] = 1,
    max_evals: Annotated[int, typer.Option(
        "--max-evals", help="Objective evaluations per theorem for --search.")] = 4000,
    out: Annotated[Path, typer.Option(
        "--out", help="Folder for counterexample and tightest-instance files.")]
    = Path("verify-tabular-out"),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Check the MBPO bounds exactly on finite MDPs; exit 1 if any check is violated."""
    if instance is not None and search is not None:
        bad_input("--search", "cannot be combined with --instance")
    check_numbers({"--mdps": (mdps, NumberRule(integer=True, ge=1, le=MAX_MDPS)),
                   "--seed": (seed, SEED), "--gamma": (gamma, PROBABILITY_OPEN),
                   "--k": (k, K_RULE),
                   "--max-evals": (max_evals, NumberRule(integer=True, ge=1, le=MAX_EVALS))})
    if search is not None and search != "tight":
        bad_input("--search", f"unknown search {search!r} (the only one is 'tight')")
    if instance is not None:
        try:
            mdp = load_instance(instance)
        except InstanceError as exc:
            bad_input("--instance", f"{instance}: {exc}")
        if mdp.k > MAX_K:
            bad_input("--instance", f"{instance}: k: must be at most {MAX_K}, got {mdp.k}")
        doc = check_instance(mdp)
        doc["instance"] = str(instance)
        _show(doc, as_json, render_tabular_instance)
        return 0 if doc["holds"] else EXIT_FAILURE
    ensure_dir("--out", out)
    if search is not None:
        return _search(seed, gamma, k, max_evals, out, quiet, as_json)
    with _progress(quiet or as_json) as bar:
        task = bar.add_task("checking instances", total=mdps)
        result = sweep(mdps, seed, progress=lambda i, n: bar.update(task, completed=i))
    doc = result.as_dict()
    doc["seed"] = seed
    doc["generator"] = "boundcheck.theory.instances.random_instance (see docs/verify-tabular.md)"
    for name, t in result.tightest.items():
        if t.instance is not None:
            path = out / f"tightest_{name}_seed{seed}.json"
            atomic_write_json(path, {"theorem": name, "tightness": t.tightness,
                                     **instance_to_dict(t.instance)})
            doc["tightest"][name]["file"] = str(path)
    files = []
    for i, cex in enumerate(counterexample_docs(result)):
        path = out / f"counterexample_{i:03d}_{cex['failed_check']}.json"
        atomic_write_json(path, cex)
        files.append(str(path))
    doc["counterexample_files"] = files
    _show(doc, as_json, render_sweep)
    return EXIT_FAILURE if result.total_violations else 0


def _search(seed: int, gamma: float, k: int, max_evals: int, out: Path, quiet: bool,
            as_json: bool) -> int:
    states, actions = 3, 2
    with _progress(quiet or as_json) as bar:
        task = bar.add_task("searching (per theorem)", total=3)
        found = search_tight(seed=seed, states=states, actions=actions, gamma=gamma, k=k,
                             max_evals=max_evals,
                             progress=lambda i, n: bar.update(task, completed=i))
    theorems: dict[str, Any] = {}
    for name, res in found.items():
        path = out / f"search_tight_{name}_seed{seed}.json"
        atomic_write_json(path, {"theorem": name, "tightness": res.tightness,
                                 **instance_to_dict(res.instance)})
        theorems[name] = {"tightness": res.tightness, "start_tightness": res.start_tightness,
                          "evaluations": res.evaluations, "file": str(path),
                          "check": check_instance(res.instance)[name]}
    doc = {"search": "tight", "seed": seed, "states": states, "actions": actions, "gamma": gamma,
           "k": k, "theorems": theorems}
    _show(doc, as_json, render_search)
    violated = any(not t["check"]["holds"] for t in theorems.values())
    return EXIT_FAILURE if violated else 0


def _show(doc: dict[str, Any], as_json: bool, render: Any) -> None:
    if as_json:
        emit_json(doc)
    else:
        render(stdout_console(), doc)
