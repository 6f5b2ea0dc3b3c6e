"""Writing a model-generalization result: results.json, points.csv, the figures, the snapshots;
and :func:`measure_into`, the one way a measurement is run into a folder (by the command and by
a sweep's follow-on analysis).

Every file is written atomically (:mod:`boundcheck.runs.atomic`): a reader sees the old file or
the new one. ``results.json`` is strict JSON (non-finite numbers become ``null``) so that any
JSON reader, and ``boundcheck optimal-k --from``, can read it. Layout and schema:
docs/measure-generalization.md.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import torch

from boundcheck.codec import dumps, encode
from boundcheck.experiments.generalization.experiment import (
    GeneralizationOutcome,
    measure_generalization,
)
from boundcheck.experiments.generalization.kstar import K_STAR_GAMMA, KStarAtSize, k_star_by_size
from boundcheck.experiments.generalization.records import (
    CurvePoint,
    FitError,
    SeedRecord,
    SizeRecord,
)
from boundcheck.experiments.generalization.results import GeneralizationDocument, read_prior
from boundcheck.experiments.generalization.settings import GeneralizationConfig
from boundcheck.experiments.generalization.source import PolicySource
from boundcheck.plots.generalization import (
    ErrorPoint,
    GeneralizationFigure,
    SizeSeries,
    SlopePoint,
    plot_error_vs_kl,
    plot_slope_vs_size,
)
from boundcheck.runs.atomic import atomic_torch_save, atomic_write_text
from boundcheck.runs.lock import output_writer
from boundcheck.runs.progress import ProgressFn

RESULTS_FILE = "results.json"
POINTS_FILE = "points.csv"
ERROR_FIGURE = "model_error_vs_kl.png"
SLOPE_FIGURE = "slope_vs_size.png"
SNAPSHOTS_DIR = "snapshots"

#: Columns of points.csv, in order (one row per policy point per size per seed).
POINT_COLUMNS = ("seed", "train_size", "policy", "index", "updates", "kl_target",
                 "kl_on_data_states", "kl_mean", "kl_stderr", "kl_max", "pinsker_tv",
                 "nll_mean", "nll_stderr", "mse_mean", "mse_stderr", "tv_mean", "tv_stderr",
                 "n", "episode_return_mean", "episodes")


def points_csv(result: GeneralizationDocument) -> str:
    """The points of every size and seed as CSV text (empty cells for missing values)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(POINT_COLUMNS)
    for size in result.sizes:
        for rec in size.seeds:
            for point in rec.points:
                row = {**encode(point), "seed": rec.seed, "train_size": size.train_size}
                writer.writerow(["" if _missing(row.get(c)) else row[c] for c in POINT_COLUMNS])
    return buf.getvalue()


def snapshot_name(seed: int, train_size: int, index: int) -> str:
    """The path, under the output folder, of one snapshot actor."""
    return f"{SNAPSHOTS_DIR}/seed{seed}_size{train_size}_snapshot{index}.pt"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _num(value: float | None) -> float:
    """``value``, NaN where it is missing or not finite."""
    return math.nan if _missing(value) or value is None else float(value)


def _error_point(point: CurvePoint, measure: str) -> ErrorPoint:
    stderr = _num(getattr(point.measured.error, f"{measure}_stderr"))
    return ErrorPoint(kl=_num(point.measured.shift.kl_mean), error=_num(point.y(measure)),
                      stderr=0.0 if math.isnan(stderr) else stderr,
                      pinsker=_num(point.x("pinsker_tv")))


def _fit_line(rec: SeedRecord, measure: str) -> tuple[float, float] | None:
    """The seed's all-points fit of ``measure`` against the Pinsker TV (intercept, slope)."""
    fit = rec.fits[measure]["pinsker_tv"].linear
    return None if isinstance(fit, FitError) else (fit.intercept, fit.slope)


def _slope_point(size: SizeRecord, measure: str, kind: str) -> SlopePoint:
    """The slope of ``kind`` against the Pinsker TV: the seeds' mean with their std (two or
    more seeds), else with the one fit's standard error."""
    summary = getattr(size.slopes[measure]["pinsker_tv"], kind)
    if summary is None:
        return SlopePoint(math.nan, math.nan)
    if summary.n >= 2:
        return SlopePoint(summary.mean, _num(summary.std))
    fit = getattr(size.seeds[0].fits[measure]["pinsker_tv"], kind)
    return SlopePoint(summary.mean, math.nan if isinstance(fit, FitError)
                      else _num(fit.slope_stderr))


def figure_data(result: GeneralizationDocument) -> GeneralizationFigure:
    """What the two figures show of ``result`` (:mod:`boundcheck.plots.generalization`): the
    primary measure's curves per size and seed, and its slopes per size."""
    measure = result.model_error.primary
    k_stars = {row.train_size: row for row in k_star_by_size(
        result.sizes, result.model_error.tv_available, result.settings.eps_policy_updates)}
    sizes = tuple(SizeSeries(
        train_size=size.train_size,
        curves=tuple(tuple(sorted((_error_point(p, measure) for p in rec.points),
                                  key=lambda e: e.kl)) for rec in size.seeds),
        local=_slope_point(size, measure, "local"),
        linear=_slope_point(size, measure, "linear"),
        lines=tuple(_fit_line(rec, measure) for rec in size.seeds),
        **_k_star_fields(k_stars.get(size.train_size))) for size in result.sizes)
    return GeneralizationFigure(env=result.source.env, measure=measure,
                                repetitions=result.settings.repetitions, sizes=sizes,
                                k_star_gamma=K_STAR_GAMMA)


def _k_star_fields(row: KStarAtSize | None) -> dict[str, float]:
    """k* and its range as the figure's floats (NaN: none; inf: unbounded above)."""
    if row is None or row.k_star is None:
        return {}
    if row.level is None:
        return {"k_star": float(row.k_star)}
    return {"k_star": float(row.k_star),
            "k_low": math.nan if row.low is None else float(row.low),
            "k_high": math.inf if row.high is None else float(row.high)}


def write_outputs(result: GeneralizationOutcome, out: Path) -> dict[str, str]:
    """Write everything under ``out`` (created if needed); returns {what: path}.

    The figures show the typed document (:func:`figure_data`).

    The snapshot actors of ``result.snapshots`` go to
    ``snapshots/seed{i}_size{N}_snapshot{j}.pt`` (a dict with ``actor``, a list of tensors for
    :func:`boundcheck.agents.networks.actor_forward`, and ``index``, ``updates``), loadable
    with ``torch.load(..., weights_only=True)``. The figures and CSV are written before
    results.json, which is written last and lists them and the snapshots of every repetition
    it holds (those finished by an earlier, resumed call are already on disk).
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / SNAPSHOTS_DIR).mkdir(exist_ok=True)
    for snap in result.snapshots:
        atomic_torch_save({"actor": [t.detach().cpu() for t in snap.actor],
                           "index": snap.index, "updates": snap.updates},
                          out / snapshot_name(snap.seed, snap.train_size, snap.index))
    snapshot_files = [snapshot_name(rec.seed, size.train_size, point.index)
                      for size in result.document.sizes for rec in size.seeds
                      for point in rec.points if point.policy != "pi_D"]
    doc = encode(result.document)
    atomic_write_text(out / POINTS_FILE, points_csv(result.document))
    figure = figure_data(result.document)
    plot_error_vs_kl(figure, out / ERROR_FIGURE)
    plot_slope_vs_size(figure, out / SLOPE_FIGURE)
    files = {"results": RESULTS_FILE, "points": POINTS_FILE, "error_figure": ERROR_FIGURE,
             "slope_figure": SLOPE_FIGURE}
    full = {**doc, "files": {**files, "snapshots": snapshot_files}}
    atomic_write_text(out / RESULTS_FILE,
                      dumps(full, indent=2) + "\n")
    return {k: str(out / v) for k, v in files.items()}


def measure_into(
    cfg: GeneralizationConfig, source: PolicySource, out: Path, *, device: torch.device,
    resume: bool, progress: ProgressFn | None = None,
) -> tuple[GeneralizationOutcome, dict[str, str]]:
    """Measure into the folder ``out`` (created if needed) and return the result and its files.

    One writer per folder (:class:`~boundcheck.runs.lock.RunLock`; another one raises
    ``InputError("out", ...)``). With ``resume``, the repetitions a killed measurement finished
    in ``out`` are read back and the rest are run (every other setting must be the same).
    Everything is rewritten after each repetition, so a kill keeps what was finished.
    """
    with output_writer(out):
        prior = read_prior(out / RESULTS_FILE) if resume else None
        result = measure_generalization(cfg, source, device=device, progress=progress,
                                        prior=prior,
                                        on_repetition=lambda partial: write_outputs(partial, out))
        return result, write_outputs(result, out)
