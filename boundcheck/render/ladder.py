"""Terminal lines for ``validate --ladder``: the bound ladder's measured rungs on the newest
pair, one line per rung and γ, then any rung that was not measurable with its reason
(docs/validate.md, "The bound ladder"). Only the CLI calls this."""

from __future__ import annotations

from boundcheck.experiments.validate.ladder_measured import LadderMeasured


def ladder_lines(m: LadderMeasured) -> list[str]:
    """Plain sentences: per γ the fraction of the range each rung takes (95% interval over
    episodes), rung 2c's verdict and whether a rung certifies an improvement."""
    out = [f"bound ladder on epochs {m.pair.data_epoch}->{m.pair.epoch} (fractions of the "
           "return range; 95% intervals over episodes):"]
    if m.branch is not None:
        for row in m.branch.rows:
            c = row.rung_2c
            out.append(
                f"  gamma {row.gamma:g}: rung 2a {row.rung_2a.point:.3f}, 2b "
                f"{row.rung_2b.point:.3f}, 2c {c.point:.3f} [{c.low:.3f}, {c.high:.3f}] "
                f"({row.holds_2c.value}; certifies {'yes' if row.certifies_2c else 'no'})")
        half = m.branch.gamma_at_half
        out.append("  each stays at most half the range below gamma " + ", ".join(
            f"{rung} {'none' if half[rung] is None else format(half[rung], '.3f')}"
            for rung in ("2a", "2b", "2c")))
    if m.value_aware is not None:
        for va in m.value_aware.rows:
            out.append(f"  gamma {va.gamma:g}: rung 5 (value-aware) {va.fraction:.3f} "
                       f"(noise floor {va.rung.noise_floor / va.range:.3f}; certifies "
                       f"{'yes' if va.certifies else 'no'})")
    for rung, reason in m.not_measurable.items():
        out.append(f"  {rung.replace('_', ' ')}: not measurable: {reason}")
    return out
