"""Measurements answering the questions readers ask about MBPO (docs/results/questions.md)."""
