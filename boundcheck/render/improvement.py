"""Terminal rendering of ``verify-tabular --search improvement`` (paper Section 4.1;
docs/theory.md, "Monotonic improvement: what the guarantee needs"). Only the CLI calls this."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from boundcheck.experiments.tabular.verify import ImprovementReport, reach_limit
from boundcheck.render.table import print_table
from boundcheck.theory.improvement import Rule

_WHAT = {Rule.NAIVE: "model gain >= C (Section 4.1 as read)",
         Rule.TWO_SIDED: "model gain >= C + C(eps_m, 0)",
         Rule.MEASURED: "model return of pi - C >= true return of pi_D"}


def render_improvement(console: Console, report: ImprovementReport) -> None:
    """Per rule: the largest reach on the random instances and in the search, certifications
    and violations, the proposition's bound, the files; then the conclusion."""
    n = report.random.instances
    table = Table(title=f"Improvement rules: {n:,} random instances (seed {report.random.seed}) "
                        f"and a search at gamma {report.gamma}")
    for col in ("rule", "condition", f"largest reach, {n:,} random", "largest reach, search",
                "bound on reach", "certified / wrong (random)", "file"):
        table.add_column(col, justify="left" if col in ("rule", "condition", "file") else "right")
    for rule in Rule:
        tally, found = report.random.tallies[rule], report.searched[rule]
        table.add_row(str(rule), _WHAT[rule], f"{tally.largest_reach:.4f}",
                      f"{found.reach:.9f}", f"{reach_limit(rule):g}",
                      f"{tally.certified} / {tally.violated}", str(report.files[rule]))
    print_table(console, table)
    console.print("reach = the rule's gain / its threshold; >= 1 would certify improvement.",
                  highlight=False)
    if report.violated:
        console.print("Conclusion: a result contradicts docs/theory.md's proposition (a reach "
                      "past its bound or a wrong certification): see the JSON.", highlight=False)
        return
    largest = ", ".join(
        f"{rule} {max(report.random.tallies[rule].largest_reach, report.searched[rule].reach):.6g}"
        f" (bound {reach_limit(rule):g})" for rule in Rule)
    console.print(f"Conclusion: no rule certified an improvement on any instance; largest reach "
                  f"found: {largest}. Theorem 4.1 never certifies an improvement, so its "
                  "guarantee is never wrong and never used (docs/theory.md, 'Monotonic "
                  "improvement').", highlight=False)
