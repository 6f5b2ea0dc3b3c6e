"""k* by the slope route: ε_m′ ≈ ε_m + ε_π · slope from measure-generalization's inputs, beside
the direct route's k* from validate."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from boundcheck.experiments.questions.k_star_slope import (
    GENERALIZATION_FILE,
    slope_k_star,
    slope_route,
    slope_table,
    trimmed,
)
from tests.unit.experiments.questions.test_rollout_length import _pair, _run


def test_k_star_from_the_slope_and_beside_the_direct_route() -> None:
    run = _run(2, 0, 900.0, _pair(0.6, 0.3, pi_low=0.5, sup_point=0.25, pi_mean=0.2))
    row = slope_k_star(run, {"eps_pi": 0.5, "eps_m": 0.1, "slope": 0.2}, 0.99)
    assert row.eps_model_shifted == pytest.approx(0.1 + 0.5 * 0.2)
    assert row.point == math.ceil(math.log(0.2 / 0.5) / math.log(0.99))
    assert row.direct == math.ceil(math.log(0.3 / 0.6) / math.log(0.99))
    # A negative slope cannot take eps_m' below 0, nor a large one above 1.
    low = slope_k_star(run, {"eps_pi": 0.5, "eps_m": 0.1, "slope": -1.0}, 0.99)
    assert low.eps_model_shifted == 0.0 and low.point is None
    assert slope_k_star(_run(2, 1, 900.0), {"eps_pi": 0.2, "eps_m": 0.9, "slope": 3.0},
                        0.99).eps_model_shifted == 1.0
    table = slope_table([row, low])
    assert "| unbounded |" in table[-1] or "unbounded" in table[-2]


def test_the_route_reads_the_kept_inputs(tmp_path: Path) -> None:
    results = {"source": {"run": "/abs/path/k2-s0", "epoch": 16}, "settings": {"seeds": 1},
               "optimal_k_inputs": {"eps_pi": 0.15, "eps_m": 0.25, "slope": -0.003}}
    doc = trimmed(results)
    assert doc == {"epoch": 16, "settings": {"seeds": 1},
                   "optimal_k_inputs": results["optimal_k_inputs"]}
    assert trimmed({**results, "timings": {"wall_seconds": 61.5}})["wall_seconds"] == 61.5
    (tmp_path / "k2-s0").mkdir()
    (tmp_path / "k2-s0" / GENERALIZATION_FILE).write_text(json.dumps(doc))
    rows = slope_route(tmp_path, [_run(2, 0, 900.0), _run(5, 0, 950.0)])
    assert [r.name for r in rows] == ["k2-s0"]
    assert rows[0].point == 0 and rows[0].direct is None  # ε_m′ > ε_π: no branch pays


def test_repetitions_give_k_star_a_range_over_the_joint_box() -> None:
    from boundcheck.theory.k_interval import k_star_interval

    inputs = {"eps_pi": 0.5, "eps_m": 0.1, "slope": 0.2, "interval_level": 0.95,
              "eps_pi_interval": [0.4, 0.6], "eps_m_interval": [0.05, 0.15],
              "slope_interval": [0.1, 0.3]}
    row = slope_k_star(_run(2, 0, 900.0), inputs, 0.99)
    want = k_star_interval(0.99, (0.4, 0.6), (0.05, 0.15), (0.1, 0.3))
    assert row.interval == want and row.level == 0.95
    assert want.low is not None and want.high is not None
    assert want.low <= row.point <= want.high and want.low < want.high  # type: ignore[operator]
    assert f"| {row.point} [{want.low}, {want.high}] |" in slope_table([row])[-1]
    # One repetition: no interval, the point alone.
    single = slope_k_star(_run(2, 0, 900.0), {"eps_pi": 0.5, "eps_m": 0.1, "slope": 0.2}, 0.99)
    assert single.interval is None and single.level is None
    assert slope_table([single])[-1].split("|")[7].strip() == str(single.point)
    # A run without a validated pair: "not measured", not "unbounded".
    assert not single.has_direct and slope_table([single])[-1].endswith("| not measured |")
