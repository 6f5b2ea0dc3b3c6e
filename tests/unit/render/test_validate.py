"""validate ends with what it found (:func:`boundcheck.render.validate.conclusion`)."""

from __future__ import annotations

from boundcheck.experiments.validate.document import record_of
from boundcheck.experiments.validate.settings import BoundInputs
from boundcheck.render.validate import conclusion
from tests.unit.experiments.validate.test_document import _result


def test_the_conclusion_says_what_holds_and_where_it_would_inform() -> None:
    result = _result(-1.0, -1.0, BoundInputs(eps_model=0.1, r_max=2.0))
    lines = conclusion(record_of(result))
    checks = sum(len(b.theorems) for p in result.pairs for b in p.by_gamma)
    assert lines[0].startswith("Conclusion: ")
    assert f"{len(result.pairs)} epoch pair(s)" in lines[0]
    informative = sum(t.result.informative for p in result.pairs for b in p.by_gamma
                      for t in b.theorems)
    if informative == 0:
        assert "none is informative" in lines[0]
    else:
        assert f"{informative} of {checks} are informative" in lines[0]
    holds = all(t.verdict.value == "holds" for p in result.pairs for b in p.by_gamma
                for t in b.theorems)
    assert ("Every bound holds" in lines[0]) == holds


def test_the_conclusion_gives_the_ladders_tightest_rung() -> None:
    record = record_of(_result(-1.0, -1.0, BoundInputs()))
    rung = record.pairs[-1].by_gamma[0].ladder["rung_2a"]
    assert (f"from eps_m' alone, takes {rung.fraction:.0%} of the return range"
            in conclusion(record)[-1])
    assert "does not certify" in conclusion(record)[-1]
