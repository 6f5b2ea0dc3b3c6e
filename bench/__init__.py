"""Benchmarks (run interleaved in one process; compare ratios, not absolute times)."""
