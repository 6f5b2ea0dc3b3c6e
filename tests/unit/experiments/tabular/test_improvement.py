"""``verify-tabular --search improvement``: random instances, the search per rule, the report's
verdict, files and exit codes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.experiments.tabular.improvement import (
    check_improvement_random,
    search_improvement,
)
from boundcheck.experiments.tabular.verify import reach_limit, run_improvement
from boundcheck.theory.improvement import Rule


def test_random_instances_never_certify_and_stay_under_the_bounds() -> None:
    result = check_improvement_random(300, seed=1)
    for rule, tally in result.tallies.items():
        assert tally.certified == 0 and tally.violated == 0
        assert 0.0 < tally.largest_reach <= reach_limit(rule)


def test_the_search_climbs_towards_the_bound_without_passing_it() -> None:
    found = search_improvement(seed=0, gamma=0.5, starts=8, max_evals=600)
    for rule, searched in found.items():
        assert searched.reach >= searched.start_reach - 1e-12
        assert searched.reach <= reach_limit(rule) + 1e-9
        assert not searched.check.certifies(rule) or not searched.check.violated(rule)


def test_a_reach_past_the_bound_fails_the_report(tmp_path: Path) -> None:
    report = run_improvement(seed=0, gamma=0.5, mdps=20, max_evals=50, out=tmp_path)
    assert not report.violated and all(f.exists() for f in report.files.values())
    tally = report.random.tallies[Rule.NAIVE]
    broken = dataclasses.replace(report, random=dataclasses.replace(
        report.random, tallies={**report.random.tallies,
                                Rule.NAIVE: dataclasses.replace(tally, largest_reach=0.6)}))
    assert broken.violated


def test_the_command_writes_the_json_and_the_instances(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify-tabular", "--search", "improvement", "--mdps", "20", "--max-evals",
                 "50", "--gamma", "0.5", "--out", str(tmp_path), "--json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["search"] == "improvement" and doc["random"]["instances"] == 20
    assert set(doc["searched"]) == {"naive", "two_sided", "measured"}
    saved = json.loads((tmp_path / "search_improvement_naive_gamma0.5_seed0.json").read_text())
    assert saved["rule"] == "naive" and "P_model" in saved
    assert main(["verify-tabular", "--search", "improvement", "--mdps", "5", "--max-evals", "20",
                 "--out", str(tmp_path), "--quiet"]) == 0
    assert "Conclusion: no rule certified" in capsys.readouterr().out
