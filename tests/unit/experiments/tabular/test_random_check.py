"""The random check, the command's reports and files, and the tightness search.

The search test rests on an instance family whose Theorem 4.1 tightness is known in closed
form (docs/verify-tabular.md, "A known tight family"): two absorbing states, "bad" (reward −1,
the start) and "good" (+1); the true dynamics stay in "bad", the model leaks a fraction δ of
"bad" to "good" per step; one policy, so ε_π = 0 and ε_m = ε_m′ = δ. Then

    η = −1/(1−γ),  η̂ − η = 2γδ/((1−γ)(1−γ+γδ)),  C_4.1 = 2γδ/(1−γ)²,

so the tightness (η̂ − η)/C_4.1 = (1−γ)/(1−γ+γδ) → 1 as δ → 0: Theorem 4.1's supremum over
instances is 1 (it can be no larger, or the theorem would fail). With k = 1 the branched
bounds have tightness exactly γ on the same family: η^branch − η = 2γδ/(1−γ) and
C_4.2 = C_4.3 = 2δ/(1−γ).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from boundcheck.codec import encode
from boundcheck.experiments.tabular.random_check import check_instance, check_random
from boundcheck.experiments.tabular.search import decode, dimension, search_tight
from boundcheck.experiments.tabular.verify import check_instance_file, check_random_instances
from boundcheck.inputs import InputError
from boundcheck.theory import checks as ch
from boundcheck.theory.checks import Theorem
from boundcheck.theory.instances import instance_to_dict, parse_instance
from boundcheck.theory.tabular import FiniteMDP


def leaky_model(gamma: float, delta: float, k: int = 1) -> FiniteMDP:
    """The family of the module docstring: state 0 "bad" (−1), state 1 "good" (+1)."""
    P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    P_model = np.array([[[1.0 - delta, delta]], [[0.0, 1.0]]])
    one = np.ones((2, 1))
    return FiniteMDP(gamma=gamma, mu0=np.array([1.0, 0.0]), P=P, P_model=P_model,
                     r=np.array([[-1.0], [1.0]]), pi_data=one, pi=one, k=k)


def test_random_check_counts_and_tightest() -> None:
    result = check_random(30, seed=3)
    doc = encode(result)
    assert doc["instances"] == 30
    assert doc["total_violations"] == 0
    assert doc["checks"]["lemma_b2"] == 30
    for name in ("theorem_4_1", "theorem_4_2", "theorem_4_3"):
        assert 0.0 <= doc["tightest"][name]["tightness"] < 1.0
    # Same seed, same check; instance i can be regenerated alone.
    assert encode(check_random(30, seed=3)) == doc


def test_check_instance_document() -> None:
    m = decode(np.zeros(dimension(3, 2)), 3, 2, 0.9, 2)
    doc = encode(check_instance(parse_instance(instance_to_dict(m))))
    for key in ("eta", "eta_model", "eta_branch", "eps_pi", "eps_m", "eps_model_shifted",
                "eps_m_worst", "r_max", "k", "theorem_4_1", "theorem_4_2", "theorem_4_3",
                "worst_case", "lemmas"):
        assert key in doc
    assert "eps_m_prime" not in doc and "eps_model_shifted" in doc["worst_case"]
    assert set(doc["theorem_4_1"]) >= {"C", "lower_bound", "holds", "slack"}
    assert doc["holds"]


def test_saved_files_load_back_with_their_extra_keys(tmp_path: Path) -> None:
    """Tightest-instance and counterexample files (also ones written before the renames) are
    instance files: their extra keys are ignored."""
    report = check_random_instances(5, seed=2, out=tmp_path)
    path = report.tightest_files[Theorem.THEOREM_4_3]
    again = check_instance_file(path)
    saved = json.loads(path.read_text())
    assert saved["theorem"] == "theorem_4_3"
    assert again.checks.evaluation.theorems[Theorem.THEOREM_4_3].tightness == pytest.approx(
        saved["tightness"])
    old = tmp_path / "counterexample_000_theorem_4_1.json"
    old.write_text(json.dumps({"failed_check": "theorem_4_1", "eps_m_prime": 0.1,
                               **instance_to_dict(leaky_model(0.9, 0.1))}))
    assert check_instance_file(old).holds
    with pytest.raises(InputError, match="k: must be at most") as info:
        old.write_text(json.dumps(instance_to_dict(leaky_model(0.9, 0.1, k=10**6))))
        check_instance_file(old)
    assert info.value.where == "instance"


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("delta", [1e-3, 0.05, 0.5])
def test_the_leaky_model_family_has_its_known_tightness(gamma: float, delta: float) -> None:
    ev, _ = ch.evaluate(leaky_model(gamma, delta))
    assert ev.eps_policy == 0.0
    assert ev.eps_model == pytest.approx(delta) and ev.eps_model_shifted == pytest.approx(delta)
    one = 1.0 - gamma
    assert ev.theorems[Theorem.THEOREM_4_1].tightness == pytest.approx(
        one / (one + gamma * delta), rel=1e-9)
    for theorem in (Theorem.THEOREM_4_2, Theorem.THEOREM_4_3):
        assert ev.theorems[theorem].tightness == pytest.approx(gamma, rel=1e-9)
    assert ev.holds


def test_search_reaches_the_known_supremum_from_a_poor_start() -> None:
    """Theorem 4.1's tightness has supremum 1 (the leaky-model family); from random starts
    whose best is below 0.05, the search must come within 1e-3 of it, and never above it."""
    found = search_tight(seed=0, gamma=0.9, k=1, theorems=[Theorem.THEOREM_4_1])
    res = found[Theorem.THEOREM_4_1]
    assert res.start_tightness < 0.05
    assert 1.0 - 1e-3 < res.tightness <= 1.0 + 1e-9
    check = check_instance(res.instance).evaluation.theorems[Theorem.THEOREM_4_1]
    assert check.holds and check.tightness == pytest.approx(res.tightness)
