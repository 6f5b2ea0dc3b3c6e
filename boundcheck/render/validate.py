"""Terminal rendering of a ``boundcheck validate`` result: per pair a header (returns, the ε's
and r_max) and one table row per theorem and γ (docs/validate.md, "Verdicts"), then the
conclusion. It draws the document's typed record, so a fresh result (``record_of``) and a
saved ``validation.json`` (``boundcheck show``) print alike. Only the CLI calls this."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rich import box
from rich.console import Console
from rich.table import Table

from boundcheck.experiments.common.measure import ModelErrorEstimate
from boundcheck.experiments.validate.document import (
    PairRecord,
    TheoremRecord,
    ValidationRecord,
)
from boundcheck.experiments.validate.settings import EpsPiStat
from boundcheck.render.table import print_table
from boundcheck.theory.verdict import Estimate, Verdict

_CAPTION = ("slack = eta - bound (paired CI); inf. = informative: C < 2 r_max/(1-gamma); "
            "below: eps_pi,eps_m (measured ratio) where it would be")


def _num(x: float | int | None, fmt: str = ".4g") -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def _pm(e: Estimate, fmt: str = ".4g") -> str:
    """Mean ± half the interval's width (the mean alone without a finite interval)."""
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return _num(e.mean, fmt)
    return f"{_num(e.mean, fmt)} ± {_num((e.high - e.low) / 2.0, '.1g')}"


def _header(result: ValidationRecord, pair: PairRecord) -> list[str]:
    inputs, block = pair.inputs, pair.by_gamma[0]
    ret = block.returns
    shift = pair.policy_shift.stats["pinsker_min"]
    quantiles = ", ".join(f"{q.value} {_num(shift[q.value].value, '.3g')}" for q in EpsPiStat)
    err_d, err_pi = pair.model_error.pi_d, pair.model_error.pi
    env = result.source.env if result.source is not None else "?"
    return [
        f"{env}: pi_D and model from epoch {pair.data_epoch}, pi from epoch "
        f"{pair.epoch}; k = {pair.k}, gamma = {block.gamma:g}, r_max = "
        f"{_num(inputs.r_max)} ({inputs.r_max_source.value})",
        f"  returns (mean ± CI half-width): eta {_pm(ret.eta)}, eta_model "
        f"{_pm(ret.eta_model)}, eta_branch {_pm(ret.eta_branch)}; eta of pi_D "
        f"{_pm(ret.eta_pi_d)}; k-step model return, MBPO's objective (no theorem) "
        f"{_pm(ret.model_k_step)}",
        f"  eps_pi = {_num(inputs.eps_policy, '.3g')} ({inputs.eps_pi_stat.value} over visited "
        f"states of the Pinsker bound, the theorems' definition; {quantiles}; MC TV "
        f"{_num(inputs.eps_policy_mc, '.3g')})",
        f"  eps_m = {_num(inputs.eps_model, '.3g')} ({inputs.eps_model_source.value}), eps_m' = "
        f"{_num(inputs.eps_model_shifted, '.3g')} ({inputs.eps_model_shifted_source.value}); "
        f"proxies: NLL {_num(err_d.nll_mean)} / {_num(err_pi.nll_mean)} nats, MSE "
        f"{_num(err_d.mse_mean)} / {_num(err_pi.mse_mean)} (under pi_D / pi)",
        *_sup_lines(err_d, "eps_m", "pi_D"), *_sup_lines(err_pi, "eps_m'", "pi"),
        "  informative (C < 2 r_max/(1-gamma)) only for gamma below: " + ", ".join(
            f"{thm} {_num(g, '.3g') if g is not None else 'none'}"
            for thm, g in pair.informative_gamma.items()),
        *_ladder_lines(pair),
    ]


def _ladder_lines(pair: PairRecord) -> list[str]:
    """Rung 2a of the bound ladder (docs/ladder.md), where the document has it."""
    rungs = [(b.gamma, b.ladder["rung_2a"]) for b in pair.by_gamma if "rung_2a" in b.ladder]
    if not rungs:
        return []
    half = pair.ladder_gamma_at_half.get("rung_2a")
    return ["  bound ladder, rung 2a (|eta - eta_model| <= B from eps_m' alone, expected-TV "
            "charges t*eps_m'; docs/ladder.md): B/range " + ", ".join(
                f"{_num(r.fraction, '.2f')} at gamma {g:g}" for g, r in rungs)
            + "; eta inside: " + ", ".join("yes" if r.inside else "NO" for _, r in rungs)
            + "; certifies improvement: " + ", ".join(
                "yes" if r.certifies else "no" for _, r in rungs)
            + f"; at most half the range for gamma <= {_num(half, '.3g')}"]


def _sup_lines(error: ModelErrorEstimate, name: str, policy: str) -> list[str]:
    """The sup over time behind a measured eps: point value, where, and its upper bound."""
    sup = error.sup_over_time
    if sup is None or sup.sup_upper is None or sup.measure != "tv":
        return []
    return [f"    {name}: sup over time of the mean TV under {policy}'s episodes: "
            f"{_num(sup.sup_mean, '.3g')} at t = {sup.sup_t_start} (point; selection bias "
            f"~{_num(sup.boot_bias, '.2g')}), upper {_num(sup.sup_upper, '.3g')} at "
            f"{sup.confidence:.0%} over {sup.episodes} episodes; mean over all steps "
            f"{_num(sup.overall_mean, '.3g')}"]


def _table(pair: PairRecord) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), caption=_CAPTION)
    for col in ("γ", "thm", "C", "bound", "slack", "verdict", "inf.", "below"):
        table.add_column(col, justify="right", no_wrap=col != "below")
    for blk in pair.by_gamma:
        for t in blk.theorems.values():
            table.add_row(f"{blk.gamma:g}", t.theorem, _num(t.penalty, ".3g"),
                          _num(t.lower_bound.mean, ".3g"), _pm(t.slack, ".3g"),
                          t.verdict.value, "yes" if t.informative else "no",
                          f"{_num(t.eps_policy_below, '.2g')},"
                          f"{_num(t.eps_model_below[1], '.2g')}")
            if t.unreliable:
                table.add_row("", "", "", "", "", f"({t.unreliable})", "", "")
    return table


def render_validation(console: Console, result: ValidationRecord,
                      paths: Mapping[str, str]) -> None:
    """Every pair's header and table, the notes, the files and the conclusion."""
    for pair in result.pairs:
        for line in _header(result, pair):
            console.print(line, markup=False, highlight=False)
        print_table(console, _table(pair))
    if not result.tv_available:
        console.print(f"eps_m: {result.tv_unavailable_reason} (pass --eps-m to supply a value)",
                      markup=False)
    for warning in result.warnings:
        console.print(f"note: {warning}", markup=False)
    if paths:
        console.print("wrote " + ", ".join(paths.values()), markup=False)
    for sentence in conclusion(result):
        console.print(sentence, markup=False, highlight=False)


def conclusion(result: ValidationRecord) -> list[str]:
    """What was found, in plain sentences: how many checks hold, are violated or inconclusive;
    which are informative; and, for the newest pair at the first γ, at which ε's each theorem
    would become informative."""
    checks = [t for p in result.pairs for b in p.by_gamma for t in b.theorems.values()]
    counts = {v: sum(t.verdict is v for t in checks) for v in Verdict}
    informative = [t for t in checks if t.informative]
    verdict = ("Every bound holds" if counts[Verdict.HOLDS] == len(checks) else
               f"{counts[Verdict.HOLDS]} of {len(checks)} checks hold, "
               f"{counts[Verdict.VIOLATED]} violated, {counts[Verdict.INCONCLUSIVE]} inconclusive")
    gammas = ", ".join(f"{b.gamma:g}" for b in result.pairs[0].by_gamma)
    says = ("none is informative (every penalty C exceeds the trivial range "
            "2 r_max/(1-gamma), so the lower bound says less than nothing)"
            if not informative else f"{len(informative)} of {len(checks)} are informative")
    lines = [f"Conclusion: {verdict} (Theorems 4.1-4.3 at gamma = {gammas}, "
             f"{len(result.pairs)} epoch pair(s)); {says}."]
    pair = result.pairs[-1]
    first = pair.by_gamma[0]
    would = "; ".join(_would_inform(t) for t in first.theorems.values()
                      if not t.informative and t.eps_policy_below is not None)
    if would:
        lines.append(f"At gamma = {first.gamma:g} on epochs {pair.data_epoch}->{pair.epoch}, "
                     f"each would become informative at the measured ratio of the eps's: "
                     f"{would}.")
    rung = first.ladder.get("rung_2a")
    if rung is not None:
        lines.append(f"Ladder rung 2a, the tightest bound on Theorem 4.1's gap "
                     f"|eta - eta_model| from eps_m' alone, takes "
                     f"{rung.fraction:.0%} of the return range there and "
                     f"{'certifies' if rung.certifies else 'does not certify'} an improvement "
                     f"over pi_D.")
    return lines


def _would_inform(check: TheoremRecord) -> str:
    name, value = check.eps_model_below
    label = "eps_m" if name == "eps_m" else "eps_m'"
    return (f"{check.theorem} below eps_pi = {_num(check.eps_policy_below, '.2g')} and "
            f"{label} = {_num(value, '.2g')}")
