"""Comparing source trees in one run: each measured in a fresh interpreter (so two trees never share imported
modules), alternating, so that a change and the files before it meet the same machine conditions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def run_child(script: Path, source: Path, source_variable: str, argv: list[str]) -> dict[str, list]:
    """Run `script --child` with source's code (named to it in the environment variable); returns what it printed
    last, as JSON."""
    env = {**os.environ, source_variable: str(source)}
    done = subprocess.run([sys.executable, str(script), *argv, "--child"], env=env, cwd=source, check=True,
                          stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def alternate(repo: Path, baseline: Path | None, rounds: int,
              measure: Callable[[Path], dict[str, list]]) -> tuple[list[tuple[str, Path]], dict[str, dict[str, list]]]:
    """Measure this tree (and the baseline tree) `rounds` times, alternating; returns the trees, named, and the rows
    of each by kind."""
    trees = [("this tree", repo)] + ([("baseline", baseline.resolve())] if baseline else [])
    merged: dict[str, dict[str, list]] = {name: {} for name, _ in trees}
    for _ in range(rounds):
        for name, source in trees:
            for kind, rows in measure(source).items():
                merged[name].setdefault(kind, []).extend(rows)
    return trees, merged
