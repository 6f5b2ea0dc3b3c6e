"""The shared option vocabulary: options built from fields name the option on bad input, and an
old spelling keeps working with one deprecation line on stderr."""

from __future__ import annotations

import pytest

from boundcheck.cli import main
from boundcheck.cli.options import config_from_options, renamed
from boundcheck.experiments.generalization.settings import GeneralizationConfig
from boundcheck.inputs import InputError


def test_renamed_replaces_old_spellings_and_warns_once(capsys: pytest.CaptureFixture[str]) -> None:
    old = {"--seeds": "--repetitions"}
    args = ["--seeds", "2", "--seeds=3", "--", "--seeds"]
    assert renamed(args, old) == ["--repetitions", "2", "--repetitions=3", "--", "--seeds"]
    err = capsys.readouterr().err
    assert err == "boundcheck: warning: --seeds is deprecated; use --repetitions\n"


@pytest.mark.parametrize(("args", "old", "new"), [
    (["measure-generalization", "--train-size", "5k", "--seeds", "0"], "--seeds",
     "--repetitions"),
    (["measure-generalization", "--train-size", "5k", "--rollout-length", "0"],
     "--rollout-length", "--k"),
    (["measure-generalization", "--train-size", "5k", "--rollout-batch", "0"],
     "--rollout-batch", "--rollout-batch-size"),
    (["validate", "--eps-pi", "median"], "--eps-pi", "--eps-pi-stat"),
])
def test_an_old_spelling_is_read_as_the_new_one(capsys: pytest.CaptureFixture[str],
                                                args: list[str], old: str, new: str) -> None:
    code = main(args)
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err[0] == f"boundcheck: warning: {old} is deprecated; use {new}"
    assert len(err) == 2 and new in err[1] and "error" in err[1]


def test_a_cross_field_error_names_the_option() -> None:
    with pytest.raises(InputError) as caught:
        config_from_options(GeneralizationConfig, {"kl_min": 2.0, "kl_max": 1.0},
                            train_sizes=(300,))
    assert caught.value.where == "--kl-min"


def test_help_shows_the_new_names_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measure-generalization", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--repetitions" in out and "--rollout-batch-size" in out and "--seeds" not in out


def test_version_and_one_slope_wording(capsys: pytest.CaptureFixture[str]) -> None:
    from boundcheck import __version__
    from boundcheck.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"boundcheck {__version__}"
    helps = []
    for command in ("bounds", "optimal-k"):
        assert main([command, "--help"]) == 0
        helps.append(" ".join(capsys.readouterr().out.split()))
    assert all("(default 0, so eps_m' = eps_m)" in text for text in helps)


def test_the_cli_bounds_openmp_spinning_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch's idle CPU threads spin briefly, then sleep (a busy machine is not fought for),
    unless the user chose a wait policy or a spin count."""
    import os

    from boundcheck.cli import OPENMP_SPIN_COUNT, bounded_openmp_spin

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    bounded_openmp_spin()
    assert os.environ["GOMP_SPINCOUNT"] == OPENMP_SPIN_COUNT == "1000"
    monkeypatch.setenv("GOMP_SPINCOUNT", "5")
    bounded_openmp_spin()
    assert os.environ["GOMP_SPINCOUNT"] == "5"
    monkeypatch.delenv("GOMP_SPINCOUNT")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    bounded_openmp_spin()
    assert "GOMP_SPINCOUNT" not in os.environ and os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
