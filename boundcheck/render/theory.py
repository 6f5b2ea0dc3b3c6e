"""Terminal rendering of the commands' result documents (rich tables). Only the CLI calls this."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_bounds(console: Console, doc: dict[str, Any]) -> None:
    """The three penalties with their parts."""
    console.print(
        f"gamma={_fmt(doc['gamma'])}  r_max={_fmt(doc['r_max'])}  eps_m={_fmt(doc['eps_m'])}  "
        f"eps_pi={_fmt(doc['eps_pi'])}  k={doc['k']}  eps_m'={_fmt(doc['eps_m_prime'])}"
        + ("  (eps_m' clipped to [0, 1])" if doc.get("eps_m_prime_clipped") else "")
    )
    table = Table(title="MBPO penalties C (eta >= reference - C), units of return")
    for col in ("theorem", "reference", "policy-shift part", "model-error part", "C",
                "informative"):
        table.add_column(col, justify="right" if col != "theorem" else "left")
    refs = {"theorem_4_1": "eta_hat (full model)", "theorem_4_2": "eta_branch (k-step)",
            "theorem_4_3": "eta_branch (k-step, eps_m')"}
    for key, ref in refs.items():
        t = doc[key]
        table.add_row(t["theorem"], ref, _fmt(t["policy_shift"]), _fmt(t["model_error"]),
                      _fmt(t["C"]), _fmt(t["informative"]))
    console.print(table)
    console.print(f"trivial return range 2*r_max/(1-gamma) = {_fmt(doc['trivial_range'])}; a "
                  "bound informs only when C is below it.")


def render_optimal_k(console: Console, doc: dict[str, Any]) -> None:
    """k*, its closed form and the per-k table of the Theorem 4.3 bracket."""
    k_star = "unbounded (no finite minimiser)" if doc["k_star_unbounded"] else doc["k_star"]
    console.print(f"k* = {k_star}    eps_m' = {_fmt(doc['eps_m_prime'])}    "
                  f"rho = eps_m'/eps_pi = {_fmt(doc['ratio'])}")
    console.print(doc["closed_form"])
    unchecked = "" if doc["closed_form_agrees"] is not None else (
        " (k* lies beyond the table: not checked)" if not doc["k_star_unbounded"] else "")
    console.print(f"exhaustive argmin over k = 0..{doc['k_max']}: "
                  f"{doc['k_star_exhaustive']}{unchecked}")
    table = Table(title="Theorem 4.3 bracket per k (units of 2*r_max)")
    for col in ("k", "policy shift", "model error", "total"):
        table.add_column(col, justify="right")
    for row in doc["terms"]:
        style = "bold green" if row["k"] == doc["k_star"] else None
        table.add_row(str(row["k"]), _fmt(row["policy_shift"]), _fmt(row["model_error"]),
                      _fmt(row["total"]), style=style)
    console.print(table)


def render_k_by_ratio(console: Console, doc: dict[str, Any]) -> None:
    """k* over the grid of rho, in a compact multi-column table."""
    console.print(f"gamma = {_fmt(doc['gamma'])}: {doc['note']}")
    rows = doc["by_ratio"]
    table = Table(title="k* against rho = eps_m'/eps_pi")
    cols = 5
    for _ in range(cols):
        table.add_column("rho", justify="right")
        table.add_column("k*", justify="right")
    per_col = -(-len(rows) // cols)
    for i in range(per_col):
        cells: list[str] = []
        for c in range(cols):
            j = c * per_col + i
            if j < len(rows):
                ratio = rows[j]["ratio"]
                cells += [">= 1" if ratio >= 1 else f"{ratio:.2f}", _fmt(rows[j]["k_star"])]
            else:
                cells += ["", ""]
        table.add_row(*cells)
    console.print(table)


def render_tabular_instance(console: Console, doc: dict[str, Any]) -> None:
    """One exact finite-MDP evaluation."""
    console.print(
        f"eta={_fmt(doc['eta'])}  eta_model={_fmt(doc['eta_model'])}  "
        f"eta_branch(k={doc['k']})={_fmt(doc['eta_branch'])}  r_max={_fmt(doc['r_max'])}")
    console.print(f"eps_pi={_fmt(doc['eps_pi'])}  eps_m={_fmt(doc['eps_m'])}  "
                  f"eps_m'={_fmt(doc['eps_m_prime'])}  eps_m(worst)={_fmt(doc['eps_m_worst'])}")
    table = Table(title="Exact bound checks (slack = eta - lower bound)")
    for col in ("check", "C", "lower bound", "slack", "tightness", "holds"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for key in ("theorem_4_1", "theorem_4_2", "theorem_4_3"):
        for label, t in ((key, doc[key]), (f"{key} (worst-case eps)", doc["worst_case"][key])):
            table.add_row(label, _fmt(t["C"]), _fmt(t["lower_bound"]), _fmt(t["slack"]),
                          _fmt(t["tightness"]), _fmt(t["holds"]),
                          style=None if t["holds"] else "bold red")
    for name, lemma in doc["lemmas"].items():
        table.add_row(f"{name}: {lemma['detail']}", "", f"lhs {_fmt(lemma['lhs'])}",
                      f"rhs {_fmt(lemma['rhs'])}", "", _fmt(lemma["holds"]),
                      style=None if lemma["holds"] else "bold red")
    console.print(table)


def render_sweep(console: Console, doc: dict[str, Any]) -> None:
    """Counts, violations and tightest instances of a random sweep."""
    console.print(f"instances checked: {doc['instances']}   violations: "
                  f"{doc['total_violations']}")
    table = Table(title="Checks on random finite MDPs")
    for col in ("check", "evaluated", "violations"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for name, count in doc["checks"].items():
        v = doc["violations"][name]
        table.add_row(name, str(count), str(v), style="bold red" if v else None)
    console.print(table)
    tight = Table(title="Tightest instance per theorem ((reference - eta)/C; 1 = attained)")
    for col in ("theorem", "tightness", "instance", "gamma", "k", "file"):
        tight.add_column(col, justify="left" if col in ("theorem", "file") else "right")
    for name, t in doc["tightest"].items():
        tight.add_row(name, _fmt(t["tightness"]), _fmt(t.get("index")), _fmt(t["gamma"]),
                      _fmt(t["k"]), _fmt(t.get("file")))
    console.print(tight)
    for path in doc.get("counterexample_files", []):
        console.print(f"[bold red]counterexample saved:[/] {path}")


def render_search(console: Console, doc: dict[str, Any]) -> None:
    """Results of ``--search tight``."""
    table = Table(title=f"Tightest instances found (S={doc['states']}, A={doc['actions']}, "
                        f"gamma={doc['gamma']}, k={doc['k']})")
    for col in ("theorem", "tightness", "best random start", "evaluations", "file"):
        table.add_column(col, justify="left" if col in ("theorem", "file") else "right")
    for name, r in doc["theorems"].items():
        table.add_row(name, _fmt(r["tightness"]), _fmt(r["start_tightness"]),
                      str(r["evaluations"]), r["file"],
                      style="bold red" if r["tightness"] > 1 else None)
    console.print(table)
    console.print("tightness = (reference - eta)/C: above 1 would be a violation.")
