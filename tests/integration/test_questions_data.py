"""docs/results/questions.md recomputes from its committed files: the improvement question's
random tallies and the search's reaches per γ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.cli import main
from tests.tool_module import load_tool

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "results" / "data" / "improvement"
PAGE = ROOT / "docs" / "results" / "questions.md"
GAMMAS = ("0.1", "0.5", "0.9", "0.99")
RULES = ("naive", "two_sided", "measured")
BOUND = {"naive": 0.5, "two_sided": 0.5, "measured": 1.0}


def _report(gamma: str) -> dict:
    return json.loads((DATA / f"report_gamma{gamma}.json").read_text(encoding="utf-8"))


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize("gamma", GAMMAS)
def test_the_search_row_recomputes(gamma: str) -> None:
    searched = _report(gamma)["searched"]
    cells = " | ".join(f"{searched[r]['reach']:.4f} ({BOUND[r] - searched[r]['reach']:.1e})"
                       for r in RULES)
    assert f"| {gamma} | {cells} |" in _page()
    assert all(searched[r]["reach"] <= BOUND[r] for r in RULES)


def test_the_random_tallies_recompute_and_agree_across_files() -> None:
    tallies = [_report(g)["random"] for g in GAMMAS]
    assert all(t == tallies[0] for t in tallies) and tallies[0]["instances"] == 10_000
    first = tallies[0]["tallies"]
    assert all(first[r]["certified"] == first[r]["violated"] == 0 for r in RULES)
    reach = [f"{first[r]['largest_reach']:.3f}" for r in RULES]
    assert (f"the largest reach was {reach[0]} (`naive`), {reach[1]} (`two_sided`) and "
            f"{reach[2]} (`measured`)") in " ".join(_page().split())


def test_a_searched_instance_evaluates_again(capsys: pytest.CaptureFixture[str]) -> None:
    """The saved instances are instance files (the theorems hold on them)."""
    path = DATA / "search_improvement_two_sided_gamma0.9_seed0.json"
    assert json.loads(path.read_text(encoding="utf-8"))["rule"] == "two_sided"
    assert main(["verify-tabular", "--instance", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["holds"] is True


def _pi_d_row(run: dict) -> str:
    last, mix = run["against_last"], run["against_mixture"]

    def mean(s: dict) -> str:
        m = s["mean"]
        return f"{m['value']:.2f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}]"
    return (f"| {run['run'][-2:]} | {run['data_epoch']} | {run['weights']['-1']:.2f} | "
            f"{mean(last)} | {last['max']['value']:.2f} | {mean(mix)} | "
            f"{mix['max']['value']:.2f} |")


def test_the_pi_d_table_recomputes() -> None:
    doc = json.loads((DATA.parent / "questions_pi_d.json").read_text(encoding="utf-8"))
    assert len(doc["runs"]) == 9 and doc["states"] == 2000 and doc["n_mc"] == 256
    page = _page()
    for run in doc["runs"]:
        assert _pi_d_row(run) in page
    means = [r["against_mixture"]["mean"]["value"] - r["against_last"]["mean"]["value"]
             for r in doc["runs"]]
    assert all(m > 0 for m in means)  # "the mixture is further from pi, on average"


def test_the_model_buffer_holds_the_last_four_rollouts() -> None:
    for seed in (0, 1, 2):
        path = DATA.parent / f"noise_hopper_s0.03_seed{seed}_2026-12-05_metrics.jsonl"
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert len(records) == 10
        for r in records:
            assert (r["rollout/k"], r["rollout/samples"], r["rollout/mean_length"],
                    r["rollout/model_buffer_size"]) == (1.0, 100_000.0, 1.0, 400_000.0)


def test_the_humanoid_answer_recomputes() -> None:
    """Question 4: the cost file is what tools/run_cost.py makes of the committed run, and the
    page's table and numbers are the file's."""
    tool = load_tool("run_cost")
    data = ROOT / "docs" / "results" / "data"
    fresh = json.loads(json.dumps(tool.summary(data / "humanoid_seed0", 300_000)))
    shipped = json.loads((data / "humanoid_seed0_cost.json").read_text(encoding="utf-8"))
    assert fresh == shipped
    page = " ".join(_page().split())
    for e in shipped["epochs"]:
        assert (f"| {e['epoch']} | {e['env_steps']:,} | {e['eval_return']:.0f} | "
                f"{e['model_epochs']} |") in page
    per = dict(shipped["cost"]["per_1000"])
    assert f"SAC {per['sac']:.0f}, model fitting {per['model_train']:.0f}" in page
    total = shipped["projection"]["total_hours"]
    assert f"about {total:.0f} hours of this machine's CPU" in page
    assert f"in all {total:.0f} h" in page
    returns = [e["eval_return"] for e in shipped["epochs"]]
    assert f"rose from about {round(returns[0], -2):.0f} to" in page


def _q_bias_tables_in_page(name: str) -> tuple[dict, dict, str]:
    """The committed measurement ``name``, tools/q_bias.py's late summary of it, and the page,
    after checking that every row of the tool's tables is on the page."""
    tool = load_tool("q_bias")
    doc = json.loads((ROOT / "docs" / "results" / "data" / name).read_text(encoding="utf-8"))
    page = _page()
    late = tool.late(doc)
    for line in tool.late_table(late) + tool.table(tool.summary(doc)):
        assert line in page, line
    return doc, late, page


def _training_hours(runs: Path) -> float:
    """CPU hours of training of the committed runs under ``runs``: their epochs' seconds."""
    seconds = sum(json.loads(line)["epoch"] for p in runs.glob("*/timings.jsonl")
                  for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    return seconds / 3600


def test_the_overfitting_answer_recomputes() -> None:
    """Question 5: the tables are what tools/q_bias.py makes of the committed measurement, every
    measured run is a committed run, and the CPU hours come from their timings."""
    doc, late, page = _q_bias_tables_in_page("q_bias_ip.json")
    runs = ROOT / "docs" / "results" / "data" / "overfit_ip"
    assert sorted(r["run"] for r in doc["runs"]) == sorted(
        p.name for p in runs.iterdir() if (p / "config.json").is_file())
    assert f"The 12 runs took {_training_hours(runs):.2f} CPU hours" in page
    sac, mbpo = late["labels"]["SAC G=20"], late["labels"]["MBPO G=20"]
    flat = " ".join(page.split())
    assert f"{sac['over_epochs']} of its {sac['epochs']} epochs" in flat
    assert f"and {sac['over_at_top']} of those while its policy held the pole" in flat
    assert f"{mbpo['over_epochs']} of {mbpo['epochs']} epochs, {mbpo['over_at_top']} of them" \
        in flat


def test_the_overfitting_answer_on_hopper_recomputes() -> None:
    """Question 5 on Hopper: the tables are tools/q_bias.py's of the committed measurement, its
    runs are committed (SAC in overfit_hopper, MBPO in the rollout-length grid), the prose's
    counts and paired difference are the measurement's, and the CPU hours the timings'."""
    doc, late, page = _q_bias_tables_in_page("q_bias_hopper.json")
    data = ROOT / "docs" / "results" / "data"
    sac = data / "overfit_hopper"
    committed = {p.name for p in sac.iterdir() if (p / "config.json").is_file()}
    mbpo = {r["run"] for r in doc["runs"] if r["label"].startswith("MBPO")}
    assert {r["run"] for r in doc["runs"]} == committed | mbpo
    assert all((data / "rollout_length_hopper" / name / "config.json").is_file() for name in mbpo)
    flat = " ".join(page.split())
    assert f"The {len(committed)} SAC runs took {_training_hours(sac):.2f} CPU hours" in flat
    labels = late["labels"]
    for name in ("SAC G=20", "MBPO G=20", "SAC G=1"):
        row = labels[name]
        assert f"{name}: {row['over_epochs']} of {row['epochs']} epochs" in flat, name
    def interval(e: dict, digits: int) -> str:
        return (f"{e['mean']:.{digits}f} [{e['ci_low']:.{digits}f}, "
                f"{e['ci_high']:.{digits}f}]").replace("-", "−")

    pairs = {(p["first"], p["second"]): p for p in late["pairs"]}
    pair = pairs[("MBPO G=20", "SAC G=20")]
    assert f"by {interval(pair, 1)}" in flat and f"on {len(pair['seeds']) - pair['first_higher']}" \
        f" of {len(pair['seeds'])} seeds" in flat
    assert f"late bias of {interval(labels['SAC G=20'], 1)}" in flat
    assert f"is {interval(labels['MBPO G=20'], 2)}" in flat
    assert f"({interval(labels['SAC G=1'], 2)})" in flat
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (f"lower on 3 of 3 seeds (by {-pair['mean']:.1f} [{-pair['ci_high']:.1f}, "
            f"{-pair['ci_low']:.1f}] times the return") in readme
    ent = labels["SAC G=20 H=-1"]
    assert (f"{ent['over_epochs']} of {ent['epochs']} epochs, late bias {interval(ent, 1)}, "
            f"{interval(pairs[('SAC G=20', 'SAC G=20 H=-1')], 1)} from SAC's own target") in flat
