"""Every bad input gets its one line: exit 2, the option or file named, nothing written.

One table across all seven commands: options, ``--set`` values, ``--config`` files, a run's
saved files (config, metrics, checkpoints) and output paths. Each case runs in its own
workspace (the current directory, holding a copy of a tiny trained run), which must be
byte-for-byte and time-for-time unchanged afterwards: no file written or deleted, default
output folders included.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from boundcheck.cli import main
from boundcheck.runs.atomic import bytes_digest
from boundcheck.runs.manifest import read_manifest, write_manifest
from tests.tiny import TINY_SET

#: A fresh ``train`` that would pass its checks ends quickly (and the case fails: exit 0).
TRAIN = ["train", "--env", "Pendulum-v1", "--device", "cpu", "--threads", "1", "--quiet",
         "--steps", "300"]
FAST = ["--device", "cpu", "--threads", "1", "--quiet"]
MEASURE = ["measure-generalization", "--run", "{run}", "--train-size", "300", *FAST]
VALIDATE = ["validate", "--run", "{run}", "--episodes", "3", "--model-starts", "50", *FAST]

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    needle: str  # the option or file the line must name
    setup: Setup | None = None


def saved(key: str, value: object) -> Setup:
    """Set ``config.json``'s ``config[key]`` (dotted) of the run copy to ``value``."""
    def apply(ws: Path) -> None:
        path = ws / "run" / "config.json"
        doc = json.loads(path.read_text())
        node = doc["config"]
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
        path.write_text(json.dumps(doc))
    return apply


def raw_config(text: str) -> Setup:
    def apply(ws: Path) -> None:
        (ws / "run" / "config.json").write_text(text)
    return apply


def config_file(doc: object) -> Setup:
    def apply(ws: Path) -> None:
        (ws / "c.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return apply


def tampered(name: str, epoch: int = 2) -> Setup:
    def apply(ws: Path) -> None:
        path = ws / "run" / "checkpoints" / f"epoch_{epoch:04d}" / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    return apply


def unsafe_policy(ws: Path) -> None:
    """A policy.pt holding a non-tensor global, its manifest rewritten to match."""
    directory = ws / "run" / "checkpoints" / "epoch_0002"
    torch.save({"actor": {"w": torch.ones(1)}, "path": Path("x")}, directory / "policy.pt")
    manifest = read_manifest(directory)
    assert manifest is not None
    data = (directory / "policy.pt").read_bytes()
    write_manifest(directory, type(manifest)(2, {**manifest.files,
                                                 "policy.pt": bytes_digest(data)}))


def metrics(text: str) -> Setup:
    def apply(ws: Path) -> None:
        (ws / "run" / "metrics.jsonl").write_text(text)
    return apply


def no_manifest_json(ws: Path) -> None:
    (ws / "run" / "checkpoints" / "epoch_0002" / "MANIFEST.json").write_text("{oops")


def instance(**changes: object) -> Setup:
    def apply(ws: Path) -> None:
        import numpy as np

        from boundcheck.theory.instances import instance_to_dict, random_instance

        doc = {**instance_to_dict(random_instance(np.random.default_rng(1))), **changes}
        (ws / "inst.json").write_text(json.dumps(doc))
    return apply


def results(inputs: object) -> Setup:
    def apply(ws: Path) -> None:
        (ws / "r.json").write_text(json.dumps({"optimal_k_inputs": inputs}))
    return apply


def folder(name: str) -> Setup:
    def apply(ws: Path) -> None:
        (ws / name).mkdir()
        (ws / name / "thesis.tex").write_text("precious")
    return apply


GOOD_K = {"eps_pi": 0.1, "eps_m": 0.05, "slope": 0.0, "source": "test"}

CASES = [
    # --- the cases of the issue ------------------------------------------------------------
    Case("train-negative-seed", [*TRAIN, "--seed", "-1", "--out", "{ws}/new"], "--seed"),
    Case("verify-tabular-negative-seed", ["verify-tabular", "--seed", "-1", "--mdps", "2"],
         "--seed"),
    Case("train-reward-noise-inf", [*TRAIN, "--reward-noise", "inf"], "--reward-noise"),
    Case("train-transition-noise-inf", [*TRAIN, "--transition-noise", "inf"],
         "--transition-noise"),
    Case("train-transition-noise-negative", [*TRAIN, "--transition-noise", "-1"],
         "--transition-noise"),
    Case("train-transition-noise-nan", [*TRAIN, "--transition-noise", "nan"],
         "--transition-noise"),
    Case("resume-saved-seed-wrong-type", ["train", "--out", "{run}", "--resume"],
         "config.json", saved("seed", "x")),
    Case("validate-saved-seed-wrong-type", VALIDATE, "config.json", saved("seed", "x")),
    Case("measure-saved-seed-wrong-type", MEASURE, "config.json", saved("seed", "x")),
    Case("plot-runs-saved-seed-wrong-type", ["plot-runs", "{run}"], "config.json",
         saved("seed", "x")),
    Case("train-out-unwritable", [*TRAIN, "--out", "{ws}/blocker/run"], "--out"),
    Case("plot-runs-out-unwritable", ["plot-runs", "{run}", "--out", "{ws}/blocker/c.png"],
         "--out"),
    Case("optimal-k-plot-unwritable", ["optimal-k", "--plot", "{ws}/blocker/k.png"], "--plot"),
    Case("set-lr-overflow", [*TRAIN, "--set", "sac.lr=1e999"], "--set"),
    Case("set-integer-truncated", [*TRAIN, "--set", "total_steps=700.9"], "--set"),
    Case("optimal-k-huge-k-max", ["optimal-k", "--eps-pi", "0.1", "--eps-m", "0.05",
                                  "--k-max", "100000000"], "--k-max"),
    Case("bounds-r-max-overflow", ["bounds", "--r-max", "1e308", "--eps-m", "0.1",
                                   "--eps-pi", "0.1"], "--r-max"),
    Case("validate-pi-older-than-pi-d", [*VALIDATE, "--data-epoch", "2", "--epoch", "1"],
         "--epoch"),
    Case("plot-runs-no-evaluation", ["plot-runs", "{run}"], "no evaluation", metrics("")),
    Case("config-file-error-blames-config", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file({"sac": {"lr": "abc"}})),
    Case("validate-tampered-checkpoint", VALIDATE, "policy.pt", tampered("policy.pt")),
    Case("measure-tampered-checkpoint", MEASURE, "policy.pt", tampered("policy.pt")),
    Case("validate-unsafe-policy", VALIDATE, "not a plain tensor file", unsafe_policy),
    # --- train: options ---------------------------------------------------------------------
    Case("train-steps-zero", [*TRAIN, "--steps", "0"], "--steps"),
    Case("train-steps-fraction", [*TRAIN, "--steps", "1.5"], "--steps"),
    Case("train-seed-too-large", [*TRAIN, "--seed", str(2**64)], "--seed"),
    Case("train-threads-zero", [*TRAIN, "--threads", "0"], "--threads"),
    Case("train-algo-unknown", [*TRAIN, "--algo", "ppo"], "--algo"),
    Case("train-env-unknown", [*TRAIN, "--env", "Hopper"], "--env"),
    Case("train-device-unknown", [*TRAIN, "--device", "tpu"], "--device"),
    Case("train-resume-and-force", [*TRAIN, "--resume", "--force"], "--resume"),
    # --- train: --set values ----------------------------------------------------------------
    Case("set-lr-nan", [*TRAIN, "--set", "sac.lr=nan"], "--set"),
    Case("set-lr-negative", [*TRAIN, *TINY_SET, "--set", "sac.lr=-1"], "--set"),
    Case("set-integer-bool", [*TRAIN, "--set", "epoch_length=true"], "--set"),
    Case("set-epoch-length-zero", [*TRAIN, "--set", "epoch_length=0"], "--set"),
    Case("set-gamma-one", [*TRAIN, "--set", "sac.gamma=1"], "--set"),
    Case("set-weight-decay-count", [*TRAIN, "--set", "ensemble.weight_decay=1,2"], "--set"),
    Case("set-weight-decay-text", [*TRAIN, "--set", "ensemble.weight_decay=1,x,3,4,5"],
         "--set"),
    Case("set-unknown-key", [*TRAIN, "--set", "no.such.key=1"], "--set"),
    Case("set-section", [*TRAIN, "--set", "sac=1"], "--set"),
    Case("set-no-value", [*TRAIN, "--set", "novalue"], "--set"),
    Case("set-env-differs", [*TRAIN, "--set", "env=Hopper-v5"], "--set"),
    Case("set-cuda-graph-on-cpu", [*TRAIN, *TINY_SET, "--set", "sac.backend=cuda_graph"], "--set"),
    Case("set-unknown-backend", [*TRAIN, "--set", "ensemble.backend=fast"], "--set"),
    # --- train: config files ----------------------------------------------------------------
    Case("config-missing", [*TRAIN, "--config", "{ws}/none.json"], "--config"),
    Case("config-not-json", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file("{oops")),
    Case("config-array", [*TRAIN, "--config", "{ws}/c.json"], "--config", config_file([1])),
    Case("config-infinity", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file('{"sac": {"lr": Infinity}}')),
    Case("config-fractional-int", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file({"epoch_length": 100.5})),
    Case("config-bool-int", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file({"epoch_length": True})),
    Case("config-env-not-string", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file({"env": 5})),
    Case("config-negative-rollout", [*TRAIN, "--config", "{ws}/c.json"], "--config",
         config_file({"rollout": {"min_length": -1}})),
    # --- train: the run directory and --resume ------------------------------------------------
    Case("train-over-existing-run", [*TRAIN, *TINY_SET, "--out", "{run}"], "--out"),
    Case("force-over-a-folder", [*TRAIN, *TINY_SET, "--out", "{ws}/home", "--force"], "--out",
         folder("home")),
    Case("out-is-a-file", [*TRAIN, *TINY_SET, "--out", "{ws}/blocker"], "--out"),
    Case("resume-missing", ["train", "--out", "{ws}/none", "--resume"], "--out"),
    Case("resume-a-folder", ["train", "--out", "{ws}/home", "--resume"], "--out",
         folder("home")),
    Case("resume-other-env", ["train", "--out", "{run}", "--resume", "--env", "Hopper-v5"],
         "--env"),
    Case("resume-other-seed", ["train", "--out", "{run}", "--resume", "--seed", "3"], "--seed"),
    Case("resume-other-algo", ["train", "--out", "{run}", "--resume", "--algo", "sac"],
         "--algo"),
    Case("resume-other-setting", ["train", "--out", "{run}", "--resume", "--set",
                                  "sac.lr=0.001"], "--set"),
    Case("resume-fewer-steps", ["train", "--out", "{run}", "--resume", "--steps", "400"],
         "--steps"),
    Case("resume-other-noise", ["train", "--out", "{run}", "--resume", "--reward-noise",
                                "0.1"], "--reward-noise"),
    Case("resume-saved-lr-infinite", ["train", "--out", "{run}", "--resume"], "config.json",
         saved("sac.lr", float("inf"))),
    Case("resume-saved-steps-fraction", ["train", "--out", "{run}", "--resume"], "config.json",
         saved("total_steps", 500.5)),
    Case("resume-saved-unknown-env", ["train", "--out", "{run}", "--resume"], "config.json",
         saved("env", "Nope-v0")),
    Case("resume-saved-not-json", ["train", "--out", "{run}", "--resume"], "config.json",
         raw_config("{oops")),
    Case("resume-tampered-checkpoint", ["train", "--out", "{run}", "--resume"], "policy.pt",
         tampered("policy.pt")),
    # --- bounds -------------------------------------------------------------------------------
    Case("bounds-gamma-one", ["bounds", "--gamma", "1", "--r-max", "1", "--eps-m", "0.1",
                              "--eps-pi", "0.1"], "--gamma"),
    Case("bounds-gamma-nan", ["bounds", "--gamma", "nan", "--r-max", "1", "--eps-m", "0.1",
                              "--eps-pi", "0.1"], "--gamma"),
    Case("bounds-eps-pi-nan", ["bounds", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "nan"],
         "--eps-pi"),
    Case("bounds-r-max-inf", ["bounds", "--r-max", "inf", "--eps-m", "0.1", "--eps-pi", "0.1"],
         "--r-max"),
    Case("bounds-k-fraction", ["bounds", "--r-max", "1", "--eps-m", "0.1", "--eps-pi", "0.1",
                               "--k", "2.5"], "--k"),
    # --- optimal-k ----------------------------------------------------------------------------
    Case("optimal-k-eps-pi-above-one", ["optimal-k", "--eps-pi", "2", "--eps-m", "0.1"],
         "--eps-pi"),
    Case("optimal-k-from-out-of-range", ["optimal-k", "--from", "{ws}/r.json"], "r.json",
         results({**GOOD_K, "eps_pi": 1.5})),
    Case("optimal-k-from-not-a-number", ["optimal-k", "--from", "{ws}/r.json"], "r.json",
         results({**GOOD_K, "eps_m": "small"})),
    Case("optimal-k-from-and-eps", ["optimal-k", "--from", "{ws}/r.json", "--eps-m", "0.1"],
         "--eps-m", results(GOOD_K)),
    Case("optimal-k-slope-alone", ["optimal-k", "--slope", "0.3"], "--slope"),
    Case("optimal-k-train-size-alone", ["optimal-k", "--train-size", "5k"], "--train-size"),
    Case("optimal-k-train-size-bad", ["optimal-k", "--from", "{ws}/r.json", "--train-size",
                                      "5q"], "--train-size", results(GOOD_K)),
    Case("optimal-k-train-size-not-a-results-doc", ["optimal-k", "--from", "{ws}/r.json",
                                                    "--train-size", "5k"], "r.json",
         results(GOOD_K)),
    Case("optimal-k-plot-folder", ["optimal-k", "--plot", "{ws}/fig.png"], "--plot",
         folder("fig.png")),
    # --- verify-tabular -----------------------------------------------------------------------
    Case("verify-tabular-too-many", ["verify-tabular", "--mdps", "100000000"], "--mdps"),
    Case("verify-tabular-huge-k", ["verify-tabular", "--search", "tight", "--k", "1000000"],
         "--k"),
    Case("verify-tabular-gamma-nan", ["verify-tabular", "--search", "tight", "--gamma", "nan"],
         "--gamma"),
    Case("verify-tabular-max-evals", ["verify-tabular", "--search", "tight", "--max-evals",
                                      "0"], "--max-evals"),
    Case("verify-tabular-instance-huge-k", ["verify-tabular", "--instance", "{ws}/inst.json"],
         "inst.json", instance(k=10**9)),
    Case("verify-tabular-instance-nan", ["verify-tabular", "--instance", "{ws}/inst.json"],
         "inst.json", instance(gamma=float("nan"))),
    Case("verify-tabular-out-unwritable", ["verify-tabular", "--mdps", "2", "--out",
                                           "{ws}/blocker/o"], "--out"),
    # --- plot-runs ----------------------------------------------------------------------------
    Case("plot-runs-missing", ["plot-runs", "{ws}/none"], "RUNS"),
    Case("plot-runs-window-zero", ["plot-runs", "{run}", "--group", "--window", "0"],
         "--window"),
    Case("plot-runs-confidence-nan", ["plot-runs", "{run}", "--confidence", "nan"],
         "--confidence"),
    Case("plot-runs-at-negative", ["plot-runs", "{run}", "--group", "--at", "-1"], "--at"),
    Case("plot-runs-figure-type", ["plot-runs", "{run}", "--out", "{ws}/c.txt"], "--out"),
    Case("plot-runs-metrics-wrong-type", ["plot-runs", "{run}"], "metrics.jsonl",
         metrics('{"epoch": 0, "env_steps": "many", "eval/return_mean": 1.0}\n')),
    Case("plot-runs-metrics-not-json", ["plot-runs", "{run}"], "metrics.jsonl",
         metrics('{"epoch": 0}\nnot json\n')),
    Case("plot-runs-saved-algo-wrong-type", ["plot-runs", "{run}"], "config.json",
         saved("algo", 3)),
    # --- validate -----------------------------------------------------------------------------
    Case("validate-missing-run", ["validate", "--run", "{ws}/none"], "--run"),
    Case("validate-negative-epoch", [*VALIDATE, "--data-epoch", "-1"], "--data-epoch"),
    Case("validate-episodes-huge", [*VALIDATE, "--episodes", "1000000000"], "--episodes"),
    Case("validate-k-negative", [*VALIDATE, "--k", "-1"], "--k"),
    Case("validate-r-max-inf", [*VALIDATE, "--r-max", "inf"], "--r-max"),
    Case("validate-confidence-zero", [*VALIDATE, "--confidence", "0"], "--confidence"),
    Case("validate-seed-negative", [*VALIDATE, "--seed", "-5"], "--seed"),
    Case("validate-model-starts-zero", [*VALIDATE, "--model-starts", "0"], "--model-starts"),
    Case("validate-out-unwritable", [*VALIDATE, "--out", "{ws}/blocker/v"], "--out"),
    Case("validate-damaged-manifest", VALIDATE, "MANIFEST.json", no_manifest_json),
    Case("validate-saved-not-json", VALIDATE, "config.json", raw_config("{oops")),
    Case("validate-saved-format-version", VALIDATE, "config.json",
         raw_config('{"format": "boundcheck-run", "format_version": 7}')),
    # --- measure-generalization ---------------------------------------------------------------
    Case("measure-kl-max-inf", [*MEASURE, "--kl-max", "inf"], "--kl-max"),
    Case("measure-kl-min-nan", [*MEASURE, "--kl-min", "nan"], "--kl-min"),
    Case("measure-kl-min-above-max", [*MEASURE, "--kl-min", "2", "--kl-max", "1"], "--kl-min"),
    Case("measure-repetitions-zero", [*MEASURE, "--repetitions", "0"], "--repetitions"),
    Case("measure-repetitions-huge", [*MEASURE, "--repetitions", "1001"], "--repetitions"),
    Case("measure-seed-negative", [*MEASURE, "--seed", "-1"], "--seed"),
    Case("measure-tv-samples-huge", [*MEASURE, "--tv-samples", "1000000000"], "--tv-samples"),
    Case("measure-epoch-negative", [*MEASURE, "--epoch", "-1"], "--epoch"),
    Case("measure-train-size-text", ["measure-generalization", "--run", "{run}",
                                     "--train-size", "lots", *FAST], "--train-size"),
    Case("measure-out-unwritable", [*MEASURE, "--out", "{ws}/blocker/g"], "--out"),
    Case("measure-saved-unknown-env", MEASURE, "config.json", saved("env", "Nope-v0")),
]


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bad-inputs") / "run"
    assert main([*TRAIN[:-2], "--steps", "500", *TINY_SET, "--out", str(out)]) == 0
    return out


def snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every path under ``root``: a file's bytes and modification time, a folder as None."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file()
            else None for p in sorted(root.rglob("*"))}


def test_the_table_is_large_enough() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 23 + 40


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, base_run: Path, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(base_run, ws / "run")
    (ws / "blocker").write_text("a file where a folder would have to be")
    if case.setup is not None:
        case.setup(ws)
    monkeypatch.chdir(ws)  # default outputs (runs/, validation/, ...) would land here
    before = snapshot(ws)
    capsys.readouterr()
    code = main([a.replace("{ws}", str(ws)).replace("{run}", str(ws / "run"))
                 for a in case.args])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("boundcheck: error: "), err
    assert case.needle in err and "Traceback" not in err and "unexpected" not in err, err
    assert "weights_only" not in err and len(err) < 500, err
    assert snapshot(ws) == before, "a file was written or deleted"
