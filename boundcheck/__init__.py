"""boundcheck: put the theory of MBPO (Janner et al., NeurIPS 2019) to the test."""

from __future__ import annotations

__version__ = "0.1.0"
