"""The result document and its readers (:mod:`boundcheck.experiments.generalization.results`):
the round trip through the strict codec, files of format version 1 (the former key names and
the ``NaN`` tokens of the former lenient writer), the committed results, the resumed frame and
the theory inputs ``optimal-k --from`` reads."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from boundcheck.codec import JsonFileError, decode, dumps, encode, loads
from boundcheck.experiments.generalization.results import (
    DocumentFrame,
    GeneralizationDocument,
    ResultsFileError,
    read_prior,
    read_results,
    read_theory_inputs,
)
from boundcheck.inputs import InputError
from tests.unit.experiments.generalization.factories import outcome, size

ROOT = Path(__file__).resolve().parents[4]
COMMITTED = sorted((ROOT / "docs" / "results" / "data").glob("*generalization*results.json"))
KEYS = ["format", "format_version", "source", "settings", "model_error", "sizes",
        "optimal_k_inputs", "slope_trends", "warnings", "versions", "run_provenance", "timings"]


def test_the_document_round_trips_through_the_strict_codec(tmp_path: Path) -> None:
    document = outcome(tmp_path).document
    obj = loads(dumps(document, indent=2))
    assert list(obj) == KEYS and obj["format"] == "boundcheck-generalization"
    assert obj["model_error"]["proxies"].startswith("nll and mse are proxies")
    assert obj["timings"] == {"wall_seconds": 1.5}
    assert decode(GeneralizationDocument, obj) == document
    assert encode(decode(GeneralizationDocument, obj)) == obj


def test_a_one_seed_document_writes_null_for_the_undefined_spreads(tmp_path: Path) -> None:
    document = outcome(tmp_path).document
    one = replace(document, settings=replace(document.settings, repetitions=1),
                  sizes=(size(300, [2.0], [0.2], [0.02]), size(600, [1.0], [0.1], [0.02])))
    text = dumps(one, indent=2)
    assert "NaN" not in text and "Infinity" not in text
    slope = loads(text)["sizes"][0]["slopes"]["tv"]["pinsker_tv"]["local"]
    assert slope == {"mean": 2.0, "std": None, "stderr": None, "n": 1, "values": [2.0]}
    back = decode(GeneralizationDocument, loads(text)).sizes[0].slopes["tv"]["pinsker_tv"]
    assert back.local is not None and math.isnan(back.local.std)


def test_files_of_format_version_1_still_read(tmp_path: Path) -> None:
    doc = encode(outcome(tmp_path).document)
    model = doc["sizes"][0]["seeds"][0]["model"]
    doc["sizes"][0]["seeds"][0]["model"] = {
        ("val_loss" if k == "holdout_mse" else k): v for k, v in model.items() if k != "stop"}
    doc["sizes"][0]["eps_pi_interval"]["std"] = math.nan  # the former writer's NaN token
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc, indent=2))
    assert "NaN" in path.read_text()
    back = read_results(path)
    assert back.sizes[0].seeds[0].model.holdout_mse == 0.5
    assert back.sizes[0].seeds[0].model.stop is None
    assert back.sizes[0].eps_policy_interval is not None
    assert math.isnan(back.sizes[0].eps_policy_interval.std)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_the_committed_results_read_back_and_write_back_the_same(path: Path) -> None:
    saved = json.loads(path.read_text(encoding="utf-8"))
    document = read_results(path)
    files = saved.pop("files", None)
    assert dumps(document, indent=2) == json.dumps(saved, indent=2, ensure_ascii=False)
    if files is not None:
        assert dumps({**encode(document), "files": files}, indent=2) + "\n" == \
            path.read_text(encoding="utf-8")


def test_a_damaged_or_foreign_document_names_what_is_wrong(tmp_path: Path) -> None:
    doc = encode(outcome(tmp_path).document)
    with pytest.raises(JsonFileError, match="not a boundcheck-generalization document"):
        decode(GeneralizationDocument, {**doc, "format": "other"})
    doc["sizes"][1]["seeds"][0]["points"][0]["kl_mean"] = "x"
    with pytest.raises(JsonFileError, match=r"\$\.sizes\[1\]\.seeds\[0\]\.points\[0\]\.kl_mean"):
        decode(GeneralizationDocument, doc)
    doc["sizes"][1]["seeds"][0]["points"][0]["kl_mean"] = 0.0
    del doc["timings"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"can be continued.*missing key 'timings'"):
        read_prior(path)
    assert read_prior(tmp_path / "none.json") is None


def test_the_theory_inputs_are_read_from_the_key_or_derived_at_a_size(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(dumps(outcome(tmp_path).document))
    smallest = read_theory_inputs(path)
    assert smallest.slope == pytest.approx(3.0) and smallest.train_size == 300
    assert read_theory_inputs(path, 600).slope == pytest.approx(1.0)
    with pytest.raises(InputError, match="no training size 50"):
        read_theory_inputs(path, 50)
    hand = tmp_path / "hand.json"
    hand.write_text('{"optimal_k_inputs": {"eps_pi": 0.1, "eps_m": 0.05, "slope": 0.3}}')
    assert read_theory_inputs(hand).source == str(hand)
    hand.write_text('{"optimal_k_inputs": {"eps_pi": null, "eps_m": 0.05, "slope": 0.3}}')
    with pytest.raises(ResultsFileError, match="eps_pi must be a finite number"):
        read_theory_inputs(hand)


def test_a_resumed_document_keeps_the_earlier_versions_and_says_when_they_differ(
        tmp_path: Path) -> None:
    prior = outcome(tmp_path).document
    frame = DocumentFrame(source=prior.source, settings=prior.settings,
                          model_error=prior.model_error, run_provenance=prior.run_provenance,
                          versions={"boundcheck_version": "0"}, earlier_seconds=1.5)
    same = frame.continuing(prior, done=2)
    assert same.versions["resumed_from"] == [{"boundcheck_version": "0"}]
    assert not any(w.startswith("resumed") for w in same.document({300: [], 600: []}, 0,
                                                                  1.0).warnings)
    other = replace(frame, versions={"boundcheck_version": "1"}).continuing(prior, done=2)
    doc = other.document({300: [], 600: []}, 0, 2.0)
    assert any(w.startswith("resumed: repetitions 0-1 were measured with other versions "
                            "(boundcheck_version") for w in doc.warnings)
    assert doc.wall_seconds == pytest.approx(3.5)
    assert other.continuing(prior, done=0) is other
