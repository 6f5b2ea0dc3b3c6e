"""Figures (matplotlib, Agg backend; nothing is drawn on import)."""
