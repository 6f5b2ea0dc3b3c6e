"""Compare two behaviour snapshots (tools/behaviour_snapshot.sh): every JSON document and
metrics file, paths, timings and versions aside, with the documented key renames applied.

Usage: python tools/compare_snapshots.py OLD NEW  -> prints each difference; exit 1 if any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

#: Keys whose values legitimately differ between two runs of the same command.
IGNORED = re.compile(r"(time|seconds|elapsed|_s$|path|^out$|^files$|versions|git|created|"
                     r"provenance|hostname|pid|python|torch|platform|started|finished|command|"
                     r"^from$|^run$|^dir$|argv|cwd)", re.IGNORECASE)
#: Old key -> new key (one name per quantity).
RENAMES = {"eps_m_shifted": "eps_model_shifted", "eps_m_prime": "eps_model_shifted",
           "val_loss": "holdout_mse"}


def _rename(key: str) -> str:
    for old, new in RENAMES.items():
        key = key.replace(old, new)
    return key


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {_rename(str(k)): normalise(v) for k, v in value.items()
                if not IGNORED.search(str(k))}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and ("/" in value and ("snap" in value or "tmp" in value)):
        return "<path>"
    return value


def diff(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'new' if key in b else 'old'}")
            else:
                diff(a[key], b[key], f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {str(a)[:80]} != {str(b)[:80]}")


def load(path: Path) -> Any:
    text = path.read_text()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix == ".csv":
        return text.splitlines()
    return json.loads(text)


def main(old: Path, new: Path) -> int:
    problems: list[str] = []
    files = sorted(p.relative_to(old) for p in old.rglob("*")
                   if p.suffix in (".json", ".jsonl", ".csv") and "checkpoints" not in p.parts
                   and p.name not in ("lock.json", "timings.jsonl"))
    for rel in files:
        if not (new / rel).exists():
            problems.append(f"{rel}: missing in new")
            continue
        found: list[str] = []
        diff(normalise(load(old / rel)), normalise(load(new / rel)), str(rel), found)
        problems += found
    print("\n".join(problems) if problems else f"{len(files)} files equal")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
