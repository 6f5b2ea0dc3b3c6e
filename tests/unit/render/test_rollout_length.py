"""The rollout-length table: one row per k, intervals only where there are two runs."""

from __future__ import annotations

from boundcheck.experiments.questions.rollout_length import rollout_length_study
from boundcheck.render.rollout_length import table_markdown
from tests.unit.experiments.questions.test_rollout_length import _pair, _run


def test_rows_name_the_best_k_and_pair_the_others_against_it() -> None:
    far = _pair(1.0, 0.5, pi_low=0.9, sup_point=0.4, pi_mean=0.3)
    runs = [_run(1, 0, 900.0, far), _run(1, 1, 910.0), _run(5, 0, 500.0), _run(5, 1, 520.0)]
    header, rule, one, five = table_markdown(rollout_length_study(runs))
    assert header.count("|") == rule.count("|") == one.count("|") == five.count("|") == 11
    assert one.startswith("| 1 | 2 | 905 [841, 969] | 50.0 (1 run) |")
    assert "| 69 (59–92) | 0 | best |" in one  # k* point (range), the what-if, the best
    assert five.endswith("| – | – | 395 [331, 459] (2/2) |")  # t interval, 1 dof
