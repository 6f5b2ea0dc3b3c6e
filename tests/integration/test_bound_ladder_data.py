"""docs/results/bound_ladder.md recomputes from committed files: the exact table from the
verify-tabular JSON, the measured table from the committed validations, the summary file and
the page's counts; the saved tightest instances re-evaluate to their tightness."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from boundcheck.codec import encode
from boundcheck.experiments.tabular.verify import check_instance_file
from tests.tool_module import load_tool

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "results" / "data"
PAGE = ROOT / "docs" / "results" / "bound_ladder.md"
SUMMARY = DATA / "bound_ladder.json"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool("bound_ladder")


@pytest.fixture(scope="module")
def runs(tool: ModuleType) -> dict[str, Any]:
    return tool.measured(DATA)


def test_both_tables_recompute(tool: ModuleType, runs: dict[str, Any]) -> None:
    page = PAGE.read_text(encoding="utf-8")
    for row in tool.exact_table(tool.exact(DATA / "bound_ladder")):
        assert row in page, row
    summary = {label: tool.group_summary(rs) for label, rs in runs.items()}
    for row in tool.measured_table(summary):
        assert row in page, row


def test_the_summary_file_matches(tool: ModuleType, runs: dict[str, Any]) -> None:
    shipped = json.loads(SUMMARY.read_text(encoding="utf-8"))
    assert shipped["exact"] == json.loads(json.dumps(tool.exact(DATA / "bound_ladder")))
    fresh = {label: encode(rs) for label, rs in runs.items()}
    for label, rows in fresh.items():
        assert [r["name"] for r in shipped["runs"][label]] == [r["name"] for r in rows]
        for old, new in zip(shipped["runs"][label], rows, strict=True):
            assert old["eps_model_shifted"] == pytest.approx(new["eps_model_shifted"])
            assert [g["fraction"] for g in old["gammas"]] == pytest.approx(
                [g["fraction"] for g in new["gammas"]])


def test_the_pages_counts(runs: dict[str, Any]) -> None:
    page = PAGE.read_text(encoding="utf-8")
    everything = [r for rs in runs.values() for r in rs]
    n = len(everything)
    inside = sum(all(g.inside for g in r.gammas) for r in everything)
    certifying = sum(g.certifies for r in everything for g in r.gammas)
    assert f"{n} validated MuJoCo runs" in page
    assert f"η inside on {inside} of {n} runs" in page
    assert certifying == 0 and f"0 of {n} at" in page
    largest = max(r.gamma_at_half or 0.0 for r in everything)
    assert f"0.5–{largest:.2f}" in page


@pytest.mark.parametrize("name", ["expected_tv_data_branch", "cpo_saturated", "coupling"])
def test_saved_tightest_instances_reevaluate(name: str) -> None:
    path = DATA / "bound_ladder" / "random" / f"tightest_{name}_seed0.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    report = check_instance_file(path)
    assert report.holds
    assert report.checks.ladder[name].tightness == pytest.approx(saved["tightness"], rel=1e-9)


def test_the_figure_s_rung_2c_recomputes(tool: ModuleType) -> None:
    shipped = json.loads(SUMMARY.read_text(encoding="utf-8"))["branch_rungs"]
    fresh = tool.branch_summary(json.loads(tool.BRANCH.read_text(encoding="utf-8")))
    assert shipped == json.loads(json.dumps(fresh))
    runs = json.loads(tool.BRANCH.read_text(encoding="utf-8"))["runs"]
    assert sum(group["runs"] for group in shipped.values()) == len(runs)


def test_the_value_aware_tables_recompute(tool: ModuleType) -> None:
    page = PAGE.read_text(encoding="utf-8")
    shipped = json.loads(SUMMARY.read_text(encoding="utf-8"))["value_aware"]
    files = {label: path for label, path in tool.VALUE_AWARE.items() if path.is_file()}
    assert set(shipped) == set(files)
    for label, path in files.items():
        doc = json.loads(path.read_text(encoding="utf-8"))
        fresh = tool.value_aware_summary(doc)
        for row in tool.value_aware_summary_table(fresh) + tool.value_aware_table(doc):
            assert row in page, row
        assert shipped[label] == json.loads(json.dumps(fresh))
    doc = json.loads(tool.VALUE_AWARE["InvertedPendulum, k grid (sigma 0.03)"].read_text(
        encoding="utf-8"))
    summary = tool.value_aware_summary(doc)
    n = summary["runs"]
    assert f"measured on {n} InvertedPendulum" in page
    for gamma in (0.99, 0.98, 0.95):
        assert f"{summary[f'gamma={gamma}']['fraction']['median']:.2f} of the range" in page
    assert f"floor {summary['gamma=0.99']['noise_floor']['median']:.2f}" in page
    # every measured run is a committed run of the rollout-length grid, which names its source
    grid = DATA / "rollout_length_ip"
    for run in doc["runs"]:
        assert (grid / run["run"] / "validation.json").is_file(), run["run"]


def test_the_pages_rung_4_counts(runs: dict[str, Any]) -> None:
    """Rung 4 ruled out by the mean policy shift: the page's counts and the margin at 0.99."""
    page = PAGE.read_text(encoding="utf-8")
    everything = [r for rs in runs.values() for r in rs]
    n = len(everything)
    out = {g: sum(next(x for x in r.gammas if abs(x.gamma - g) < 1e-12).cpo_ruled_out
                  for r in everything) for g in (0.99, 0.9)}
    assert f"ruled out on {out[0.99]} of {n} runs at γ = 0.99" in page
    assert f"on {out[0.9]} of {n} at γ = 0.9" in page
    low = min(r.tv_mean for r in everything) / ((1 - 0.99) / (2 * 0.99))
    high = max(r.tv_mean for r in everything) / ((1 - 0.99) / (2 * 0.99))
    assert f"about {low:.0f} to\n  {10 * round(high / 10):.0f} times the threshold" in page


def test_the_small_step_table_recomputes(tool: ModuleType) -> None:
    rows = tool.small_step_rows(DATA / "noise_hopper_generalization_results.json")
    page = PAGE.read_text(encoding="utf-8")
    for line in tool.small_step_table(rows):
        assert line in page, line
    shipped = json.loads(SUMMARY.read_text(encoding="utf-8"))["small_steps"]
    assert shipped["source"] == "noise_hopper_generalization_results.json"
    assert [(r["train_size"], r["index"]) for r in shipped["rows"]] == [
        (r.train_size, r.index) for r in rows]
    assert [r["eps_model_shifted"] for r in shipped["rows"]] == pytest.approx(
        [r.eps_model_shifted for r in rows])
    # The page's ranges: the smallest step's KL, max-state Pinsker TV and Theorem 4.3 at 0.99.
    first = [r for r in rows if r.index == 1]
    assert (f"mean KL of {min(r.kl_mean for r in first):.3f}–{max(r.kl_mean for r in first):.3f}"
            in page)
    assert (f"{min(r.eps_policy for r in first):.2f}–{max(r.eps_policy for r in first):.2f}"
            in page)
    t43 = [dict(r.fraction_4_3)[0.99] for r in first]
    assert f"{min(t43):.0f}–{max(t43):.0f} ranges" in page


def test_validates_own_rung_2a_matches_the_summary() -> None:
    """Validations written since validate reports rung 2a carry it; the summary's value, made
    from the same file's inputs, is the same number."""
    from boundcheck.experiments.questions.bound_ladder import measure_pair
    from boundcheck.experiments.validate.document import read_validation

    files = sorted((DATA / "rollout_length_hopper").glob("*/validation.json"))
    assert files, "no validation written by the current validate"
    for path in files:
        record = read_validation(path)
        pair = record.pairs[-1]
        measured = measure_pair(path.parent.name, pair)
        for block, row in zip(pair.by_gamma, measured.gammas, strict=True):
            own = block.ladder["rung_2a"]
            assert own.fraction == pytest.approx(row.fraction)
            assert (own.inside, own.certifies) == (row.inside, row.certifies)
        assert pair.ladder_gamma_at_half["rung_2a"] == pytest.approx(measured.gamma_at_half)


def test_the_hopper_value_aware_prose(tool: ModuleType) -> None:
    """The Hopper section's absolute numbers at γ = 0.99 come from its file."""
    path = tool.VALUE_AWARE["Hopper, k grid (sigma 0.03)"]
    doc = json.loads(path.read_text(encoding="utf-8"))
    rows = [next(g for g in r["gammas"] if g["gamma"] == 0.99) for r in doc["runs"]]
    page = " ".join(PAGE.read_text(encoding="utf-8").split())

    def both(values: list[float]) -> str:
        text = [f"{v:,.0f}" for v in values]
        return ", ".join(text[:-1]) + " and " + text[-1] if len(text) > 1 else text[0]

    assert f"B is {both([g['rung']['bound'] for g in rows])}" in page
    assert f"η = {both([g['eta']['mean'] for g in rows])}" in page
    ratios = [g["rung"]["bound"] / g["eta"]["mean"] for g in rows]
    assert f"{min(ratios):.1f}–{max(ratios):.1f} times the return itself" in page
    assert not any(g["certifies"] for r in doc["runs"] for g in r["gammas"])
    for run in doc["runs"]:  # every measured run is a committed run of the Hopper grid
        assert (DATA / "rollout_length_hopper" / run["run"] / "validation.json").is_file()
