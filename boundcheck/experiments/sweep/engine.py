"""The sweep's engine: Ray runs the cells, the driver watches them and collects the results.

Default: a local Ray instance started for the sweep (``cpus`` CPUs, no dashboard, 127.0.0.1 as
its node address, Ray's token authentication on as Ray sets it for local instances; its servers
still bind every interface: docs/sweeps.md, Security) and shut down after it. With
``address`` (``"auto"`` or ``HOST:PORT``) the sweep joins an existing cluster
(``ray start --head``) and leaves it running. Each cell is one Ray task with ``cpus_per_run``
CPUs (torch's threads) and ``gpus_per_run`` GPUs (fractional values pack several runs on one
GPU). A task whose worker dies is retried (``max_retries``); the retry resumes the run from its
last checkpoint (:func:`~boundcheck.experiments.sweep.cells.train_cell`). A cell's follow-on
analyses (:mod:`boundcheck.experiments.sweep.followons`) are one more task each. The settings
are :class:`~boundcheck.experiments.sweep.settings.EngineConfig`'s fields.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from boundcheck.experiments.sweep.cells import CellResult, CellState, CellTask, train_cell
from boundcheck.experiments.sweep.followons import AnalysisResult, FollowOns, analyse_cell
from boundcheck.experiments.sweep.settings import EngineConfig
from boundcheck.inputs import InputError

#: How often (seconds) the driver looks at the runs while waiting for the cells.
POLL_SECONDS = 2.0


def _probe(path: str, token: str) -> tuple[str, bool]:
    """Runs on a worker: writes ``<path>/.probe-<token>.worker`` and says whether it sees the
    driver's ``.probe-<token>.driver``."""
    base = Path(path)
    (base / f".probe-{token}.worker").write_text(socket.gethostname())
    return socket.gethostname(), (base / f".probe-{token}.driver").is_file()


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Bad input naming ``address`` unless ``HOST:PORT`` accepts a TCP connection (``"auto"``
    is left to Ray, which finds a local cluster's address itself). Ray's own connection
    attempt waits minutes for a head that is not there; this answers in seconds."""
    if address == "auto":
        return
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError("address", f"expected auto or HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError("address", f"no Ray head reachable at {address} "
                                    f"({exc.strerror or exc})") from None


def start(engine: EngineConfig) -> bool:
    """Start (or join) Ray; returns whether this sweep started the instance (and must stop it).

    An unreachable ``address`` is bad input naming ``address``.
    """
    import ray

    if engine.address is not None:
        check_reachable(engine.address)
        try:
            ray.init(address=engine.address, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            hint = ("" if os.environ.get("RAY_AUTH_MODE") == "token" else
                    "; a cluster with token authentication needs RAY_AUTH_MODE=token and its "
                    "token here (docs/sweeps.md)")
            raise InputError("address", f"cannot join the Ray cluster at {engine.address!r} "
                                        f"({' '.join(str(exc).split())[:200]}){hint}") from None
        return False
    ray.init(address="local", num_cpus=engine.cpus, include_dashboard=False, log_to_driver=False,
             configure_logging=False, _node_ip_address="127.0.0.1")
    return True


def check_storage(out: Path) -> None:
    """Stop with bad input naming ``out`` if a worker cannot read and write the sweep folder."""
    import ray

    token = uuid.uuid4().hex
    driver_file = out / f".probe-{token}.driver"
    driver_file.write_text(socket.gethostname())
    try:
        host, sees_driver = ray.get(ray.remote(_probe).options(num_cpus=0).remote(str(out), token),
                                    timeout=120)
        worker_file = out / f".probe-{token}.worker"
        if not (sees_driver and worker_file.is_file()):
            raise InputError("out", f"{out} is not shared with the Ray workers (a worker on "
                                    f"{host} cannot see the driver's files there, or the driver "
                                    "cannot see the worker's); use storage every node mounts")
    except OSError as exc:
        raise InputError("out", f"a Ray worker cannot write in {out}: {exc}") from None
    finally:
        for path in out.glob(f".probe-{token}.*"):
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class CellsOutcome:
    """What the Ray tasks reported: one result per trained cell, one per analysed cell."""

    trained: tuple[CellResult, ...]
    analysed: tuple[AnalysisResult, ...]


def _error(exc: Exception) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


def run_cells(tasks: Sequence[CellTask], engine: EngineConfig,
              on_poll: Callable[[dict[str, CellState]], None] | None = None, *,
              follow: FollowOns | None = None,
              analyse_only: Sequence[CellTask] = ()) -> CellsOutcome:
    """Train ``tasks`` as Ray tasks (Ray must be started), then run ``follow``'s missing
    analyses on each cell that finished, and on the already finished ``analyse_only``.

    ``on_poll(states)`` is called every :data:`POLL_SECONDS` and when a task ends, with every
    cell's state, so the caller can show the runs' progress.
    """
    import ray
    from ray.exceptions import RayError

    options = {"num_cpus": engine.cpus_per_run, "num_gpus": engine.gpus_per_run,
               "max_retries": engine.max_retries, "retry_exceptions": False}
    train = ray.remote(train_cell).options(**options)
    analyse = ray.remote(analyse_cell).options(**options)
    threads = engine.threads  # a task's CPUs are the engine's to give
    pending: dict[Any, tuple[bool, CellTask]] = {
        train.remote(replace(t, threads=threads)): (True, t) for t in tasks}
    states = {t.name: CellState.RUNNING for t in tasks}

    def analyse_later(task: CellTask) -> None:
        if follow and follow.missing(Path(task.out)):
            ref = analyse.remote(task.name, task.out, follow, threads, task.device)
            pending[ref] = (False, task)
            states[task.name] = CellState.ANALYSING

    for task in analyse_only:
        analyse_later(task)
    trained: dict[str, CellResult] = {}
    analysed: dict[str, AnalysisResult] = {}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_SECONDS)
        for ref in done:
            is_training, task = pending.pop(ref)
            if is_training:
                try:
                    result: CellResult = ray.get(ref)
                except RayError as exc:  # the worker died more often than it was retried
                    result = CellResult(task.name, CellState.FAILED, error=_error(exc))
                trained[task.name] = result
                states[task.name] = result.state
                if result.state is CellState.FINISHED:
                    analyse_later(task)
            else:
                try:
                    analysis: AnalysisResult = ray.get(ref)
                except RayError as exc:
                    analysis = AnalysisResult(task.name, (), _error(exc))
                analysed[task.name] = analysis
                states[task.name] = (CellState.FAILED if analysis.error else
                                     CellState.FINISHED)
        if on_poll is not None:
            on_poll(dict(states))
    return CellsOutcome(tuple(trained[t.name] for t in tasks),
                        tuple(analysed[t.name] for t in [*analyse_only, *tasks]
                              if t.name in analysed))


def stop(started: bool) -> None:
    """Disconnect from Ray (and end the local instance if this sweep started it: ``started``)."""
    import ray

    if ray.is_initialized():
        ray.shutdown()  # a local instance this sweep started ends with it
