"""Shared helpers for the bench scripts: fresh-interpreter import timing and table printing."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Sequence

_IMPORT_PROBE = """
import time
t0 = time.perf_counter()
{before}
t1 = time.perf_counter()
{target}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def import_cost(target: str, before: str = "pass", runs: int = 7) -> tuple[float, float]:
    """Median seconds of ``before`` and then of ``target``, each run in a fresh interpreter."""
    firsts, seconds = [], []
    code = _IMPORT_PROBE.format(before=before, target=target)
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
        ).stdout.split()
        firsts.append(float(out[0]))
        seconds.append(float(out[1]))
    return statistics.median(firsts), statistics.median(seconds)


def module_available(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print an aligned plain-text table."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
