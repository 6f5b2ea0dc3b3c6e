"""docs/results/bound_ladder.md, "Rung 2 measured", recomputes from the committed file
docs/results/data/bound_ladder/branch_rungs.json (and the runs' committed validations): both
tables, and every range the prose quotes."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.tool_module import load_tool

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "docs" / "results" / "data" / "bound_ladder" / "branch_rungs.json"
PAGE = ROOT / "docs" / "results" / "bound_ladder.md"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool("branch_rungs")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return dict(json.loads(FILE.read_text(encoding="utf-8")))


def _section() -> str:
    page = PAGE.read_text(encoding="utf-8")
    start = page.index("## Rung 2 measured")
    return page[start: page.index("\n## ", start + 1)]


def _span(values: list[float], digits: int = 2) -> str:
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def test_the_tables_recompute(tool: ModuleType, doc: dict[str, Any]) -> None:
    section = _section()
    for gamma in (0.99, 0.9, 0.5):
        for line in tool.tables(doc, gamma, ROOT):
            if line.startswith("|"):
                assert line in section, line
    assert all("/" not in r["run"] for r in doc["runs"])  # run names, never a machine's paths
    assert not doc["skipped"]
    assert f"It was run on the {WORDS[len(doc['runs'])]} runs" in " ".join(section.split())
    assert doc["settings"]["stride"] == 1 and doc["settings"]["episodes"] == 20


def _rows(doc: dict[str, Any], gamma: float, task: str) -> list[dict[str, Any]]:
    return [next(g for g in r["gammas"] if g["gamma"] == gamma) for r in doc["runs"]
            if r["run"].startswith(task)]


RUNGS = ("rung_2a", "rung_2b", "rung_2c")
WORDS = {6: "six", 8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen"}


def test_the_prose_recomputes(tool: ModuleType, doc: dict[str, Any]) -> None:
    text = " ".join(_section().split())
    at = {g: [row[k]["point"] for row in _rows(doc, g, "") for k in RUNGS]
          for g in (0.99, 0.9, 0.5)}
    assert f"take {_span(at[0.99])} of the range on all {WORDS[len(doc['runs'])]} runs" in text
    assert f"At γ = 0.9 they still take {_span(at[0.9])}" in text
    assert f"At γ = 0.5 they take {_span(at[0.5])}" in text
    half = {task: [r["gamma_at_half"][k] for r in doc["runs"] if r["run"].startswith(task)
                   for k in ("2a", "2b", "2c")] for task in ("Hopper", "Inverted")}
    assert (f"only below γ = {_span(half['Hopper'])} on Hopper and "
            f"{_span(half['Inverted'])} on InvertedPendulum") in text
    for task, name in (("Inverted", "InvertedPendulum"), ("Hopper", "Hopper")):
        per = [r["per_step"] for r in doc["runs"] if r["run"].startswith(task)]
        m = [p[k] for p in per for k in ("m_at_pi", "m_per_branch_step")]
        assert f"{_span(m)} on {name}" in text
        policy = [row["rung_2c_policy_only"]["point"] for row in _rows(doc, 0.99, task)]
        tau = [p["tau_at_pi_d"] for p in per]
        assert _span(policy) in text and _span(tau) in text
    ip = [r for r in doc["runs"] if r["run"].startswith("Inverted")]
    steps = [1.0 / r["per_step"]["tau_at_pi_d"] for r in ip]
    assert f"{min(steps):.0f}–{max(steps):.0f} steps on InvertedPendulum" in text
    hop = [1.0 / r["per_step"]["tau_at_pi_d"] for r in doc["runs"] if r["run"].startswith("Hop")]
    assert f"and {min(hop):.0f}–{max(hop):.0f} on Hopper" in text
    by_k = {r["k"]: next(g for g in r["gammas"] if g["gamma"] == 0.9) for r in ip}
    assert (f"falls from {by_k[2]['rung_2c_policy_only']['point']:.2f} at k = 2 to "
            f"{by_k[25]['rung_2c_policy_only']['point']:.2f} at k = 25") in text
    for g, words in ((0.99, "That gives"), (0.5, "costs more:")):
        relaxed = [tool.validate_2a(r, g, ROOT) for r in doc["runs"]]
        per_step = [row["rung_2a"]["point"] for row in _rows(doc, g, "")]
        digits = 3 if g == 0.99 else 2
        assert f"{words} {_span(relaxed, digits)}" in text
        assert f"against {_span(per_step, digits)}" in text
    rows = [row for r in doc["runs"] for row in r["gammas"]]
    assert all(row["holds_2c"] == "holds" for row in rows)
    assert not any(row["certifies_2c"] for row in rows)
    b_half = [row["rung_2c"]["point"] for row in _rows(doc, 0.5, "")]
    assert f"at γ = 0.5 B is {_span(b_half)} of it" in text
    assert max(abs(row["gap"]["mean"]) for row in _rows(doc, 0.5, "")) <= 0.1
    per = [r["per_step"] for r in doc["runs"]]
    assert max(p["diverged_branches"] for p in per) == 0.0
    hopper = [r for r in doc["runs"] if r["run"].startswith("Hopper")]
    clip = [100 * r["per_step"]["share_at_clip"] for r in hopper]
    assert f"{min(clip):.1f}–{max(clip):.1f}% of Hopper's real states" in text
    above = [r for r in hopper if r["reward_bound"] > r["r_max"]]
    assert f"on {len(above)} of the {len(hopper)} Hopper runs" in text

    def listed(key: str) -> str:
        values = [f"{r[key]:.1f}" for r in above]
        return ", ".join(values[:-1]) + " and " + values[-1]

    assert f"({listed('reward_bound')} against {listed('r_max')})" in text


def test_the_summaries_quote_the_same_ranges(doc: dict[str, Any]) -> None:
    at99 = [row[k]["point"] for row in _rows(doc, 0.99, "")
            for k in ("rung_2a", "rung_2b", "rung_2c")]
    policy = [row["rung_2c_policy_only"]["point"] for row in _rows(doc, 0.99, "")]
    page = " ".join(PAGE.read_text(encoding="utf-8").split())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for text in (page, readme):
        assert f"{_span(at99)} of the range at γ = 0.99" in text
        assert f"policy charges alone would still take {_span(policy)}" in text
    assert f"measured on {len(doc['runs'])} runs" in readme
