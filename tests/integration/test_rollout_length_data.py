"""docs/results/rollout_length.md recomputes from its committed runs: the table's every row, the
best k, the k* ranges and the summary file (docs/results/data/rollout_length_ip*)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from boundcheck.experiments.questions.rollout_length import load_k_runs, rollout_length_study
from boundcheck.render.rollout_length import table_markdown

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "results" / "data" / "rollout_length_ip"
SUMMARY = ROOT / "docs" / "results" / "data" / "rollout_length_ip.json"
PAGE = ROOT / "docs" / "results" / "rollout_length.md"


@pytest.fixture(scope="module")
def study():  # type: ignore[no-untyped-def]
    return rollout_length_study(load_k_runs(DATA))


def test_every_table_row_recomputes(study) -> None:  # type: ignore[no-untyped-def]
    page = PAGE.read_text(encoding="utf-8")
    for row in table_markdown(study):
        assert row in page, row


def test_the_summary_file_and_the_pages_answer_agree(study) -> None:  # type: ignore[no-untyped-def]
    shipped = json.loads(SUMMARY.read_text(encoding="utf-8"))
    s = shipped["study"]
    assert (s["best_k"], s["step"], s["k_star_low"], s["k_star_high"]) == (
        study.best_k, study.step, study.k_star_low, study.k_star_high)
    assert (s["runs_holding_best_k"], s["runs_with_k_star"]) == (
        study.runs_holding_best_k, study.runs_with_k_star)
    assert [g["final_return"]["mean"] for g in s["groups"]] == pytest.approx(
        [g.final_return.mean for g in study.groups])
    assert len(shipped["runs"]) == sum(len(g.seeds) for g in study.groups)
    page = PAGE.read_text(encoding="utf-8")
    assert f"best k is {study.best_k}" in page
    assert (f"{study.runs_holding_best_k} of the {study.runs_with_k_star} validated runs"
            in page)
    assert f"{shipped['cpu_hours']:.1f} CPU hours" in page


@pytest.mark.parametrize("task", ["ip", "hopper"])
def test_the_slope_route_table_recomputes(task: str) -> None:
    from boundcheck.experiments.questions.k_star_slope import slope_route, slope_table

    data = DATA.parent / f"rollout_length_{task}"
    rows = slope_route(data, load_k_runs(data))
    assert rows, "no run keeps its slope-route inputs"
    page = PAGE.read_text(encoding="utf-8")
    for line in slope_table(rows)[2:]:
        assert line in page, line
    shipped = json.loads(data.with_suffix(".json").read_text(encoding="utf-8"))["slope_route"]
    assert [(r["name"], r["point"], r["direct"], r["interval"]) for r in shipped] == [
        (r.name, r.point, r.direct, None if r.interval is None else {
            "low": r.interval.low, "high": r.interval.high,
            "ratio_low": _finite(r.interval.ratio_low),
            "ratio_high": _finite(r.interval.ratio_high)}) for r in rows]


def _finite(value: float) -> object:
    """What the summary file holds for a ratio: the value, or null where it is infinite."""
    return pytest.approx(value) if math.isfinite(value) else None


HOPPER = ROOT / "docs" / "results" / "data" / "rollout_length_hopper"


def test_the_hopper_section_recomputes() -> None:
    """The Hopper grid's finished runs: every table row, the k* points, the CPU hours."""
    study = rollout_length_study(load_k_runs(HOPPER))
    page = PAGE.read_text(encoding="utf-8")
    for row in table_markdown(study):
        assert row in page, row
    shipped = json.loads((HOPPER.parent / "rollout_length_hopper.json").read_text(
        encoding="utf-8"))
    assert shipped["study"]["k_star_points"] == list(study.k_star_points)
    assert len(shipped["runs"]) == sum(len(g.seeds) for g in study.groups)
    runs = len(shipped["runs"])
    assert runs == 9 and "## Hopper-v5: the grid (9 of 9 runs)" in page
    words = "nine"
    text = " ".join(page.split())
    assert f"took {shipped['cpu_hours']:.1f} CPU hours for the {words} runs" in text
    assert f"What the {words} runs say." in text and "all nine ranges hold k = 1" in text
    assert shipped["study"]["best_k"] == 1 and shipped["study"]["runs_holding_best_k"] == 9
    against = shipped["study"]["against_best"]
    for k, comp in against.items():  # the prose's paired differences against the best k
        d = comp["diff"]
        mean = f"{d['mean']:.0f}".replace("-", "−")
        assert f"{mean} [−{-d['ci_low']:.0f}, {d['ci_high']:.0f}]" in text, k
    for group in shipped["study"]["groups"]:
        for value in group["final_return"]["values"]:
            assert f"{value:.0f}" in text
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "On Hopper (all 9 runs, 3 seeds)" in readme
    means = {g["k"]: g["final_return"]["mean"] for g in shipped["study"]["groups"]}
    assert f"({means[1]:.0f} against {means[5]:.0f}" in readme and f"{means[15]:.0f}" in readme


def test_the_hopper_slope_route_prose_recomputes() -> None:
    """The Hopper slope-route section's counts, ranges and CPU hours are its committed files'."""
    from boundcheck.experiments.questions.k_star_slope import GENERALIZATION_FILE, slope_route

    rows = slope_route(HOPPER, load_k_runs(HOPPER))
    assert len(rows) == 9 and all(r.interval is not None for r in rows)
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    points = sorted(r.point for r in rows if r.point is not None)
    assert f"k\\* = {points[0]} to {points[-1]} where the direct route gives 0" in text
    assert all(r.direct == 0 for r in rows)
    holding = sum(r.interval.contains(1) for r in rows if r.interval is not None)
    assert f"{holding} of the 9 slope-route ranges hold k = 1" in text
    eps_m = [r.eps_model for r in rows]
    assert f"{min(eps_m):.2f}–{max(eps_m):.2f}" in text
    slopes = [r.slope for r in rows]
    assert f"(−{-min(slopes):.2f} to {max(slopes):.2f})" in text
    assert all(r.eps_policy == 1.0 for r in rows)
    docs = [json.loads((HOPPER / r.name / GENERALIZATION_FILE).read_text(encoding="utf-8"))
            for r in rows]
    x_max = [d["optimal_k_inputs"]["slope_fit_x_max"] for d in docs]
    assert f"up to a Pinsker TV of {min(x_max):.2f}–{max(x_max):.2f}" in text
    assert all(d["optimal_k_inputs"]["eps_pi_interval"] == [1.0, 1.0] for d in docs)
    hours = sum(d["wall_seconds"] for d in docs) / 3600
    assert f"The nine measurements took {hours:.1f} CPU hours" in text
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (f"gives k* = {points[0]} to {points[-1]} instead, with ranges over three "
            f"repetitions that hold k = 1 on {holding} of the 9 runs") in readme


def test_the_ip_slope_route_prose_recomputes() -> None:
    """The InvertedPendulum slope-route prose: the ranges of the runs with repetitions, and on
    how many runs the two routes' points agree."""
    from boundcheck.experiments.questions.k_star_slope import slope_route

    rows = slope_route(DATA, load_k_runs(DATA))
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    ranged = sorted((r for r in rows if r.interval is not None), key=lambda r: r.k)
    spans = ", ".join(f"{r.interval.low}–{'∞' if r.interval.high is None else r.interval.high}"  # type: ignore[union-attr]
                      for r in ranged).rsplit(", ", 1)
    assert f"they are {' and '.join(spans)}:" in text
    assert all(r.interval.contains(25) and r.interval.contains(1)  # type: ignore[union-attr]
               and r.direct is not None and r.interval.contains(r.direct)  # type: ignore[union-attr]
               for r in ranged)
    agree = sum(r.point == r.direct for r in rows)
    assert f"They agree on {'none' if agree == 0 else agree} of the {len(rows)}" in text.replace(
        "eight", "8")
    assert all(r.point != 25 and r.direct != 25 for r in rows)
