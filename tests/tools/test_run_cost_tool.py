"""tools/run_cost.py on a committed run: collect copies the run's three files, summarize gives
per-phase costs that add up to the timings and a projection; bad input exits 2 in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = (ROOT / "docs" / "results" / "data" / "rollout_length_ip"
       / "InvertedPendulum-v5_mbpo_seed0_rollout.fixed_length=1")


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "run_cost.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_collect_then_summarize(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _tool("collect", str(RUN), "--to", str(data)).returncode == 0
    out = tmp_path / "cost.json"
    done = _tool("summarize", str(data), "--total-steps", "15000", "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    timings = [json.loads(x) for x in (RUN / "timings.jsonl").read_text().splitlines() if x]
    seconds = sum(sum(t.get(p, 0.0) for p in ("model_train", "rollout", "env", "sac", "eval",
                                               "checkpoint")) for t in timings)
    assert doc["cost"]["total_per_1000"] * doc["cost"]["steps"] / 1000 == pytest.approx(seconds)
    assert doc["env"] == "InvertedPendulum-v5" and len(doc["epochs"]) == len(timings)
    # 15,000 steps at 250 per epoch after 500 random ones: 58 epochs
    assert doc["projection"]["epochs"] == 58 and doc["projection"]["total_hours"] > 0


@pytest.mark.parametrize(("args", "needle"), [
    (["summarize", "nowhere", "--total-steps", "10", "--out", "x.json"], "not a run's folder"),
    (["summarize", str(RUN), "--total-steps", "0", "--out", "x.json"], "--total-steps"),
    (["collect", "nowhere", "--to", "x"], "not a run's folder"),
])
def test_bad_input_exits_2_in_one_line(args: list[str], needle: str) -> None:
    done = _tool(*args)
    assert done.returncode == 2 and needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
