"""The MBPO loop (paper Algorithm 2) as named steps over one explicit state object.

- :mod:`~boundcheck.mbpo.setup`: resolve the config (BASE + env preset + file + overrides) and
  build the components.
- :mod:`~boundcheck.mbpo.state`: :class:`TrainState`, everything a run holds.
- :mod:`~boundcheck.mbpo.steps`: one function per step (act, train model, roll out, update
  policy, evaluate); each returns metrics.
- :mod:`~boundcheck.mbpo.loop`: the epoch loop, checkpoints and resume.
"""
