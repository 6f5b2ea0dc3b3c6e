"""Experiments: orchestration of the theory and the trainer into the commands' results."""
