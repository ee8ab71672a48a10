"""Run storage_report on each file of a corpus under a time and a memory limit (subprocess).

Usage: python storage_hostile_worker.py SECONDS MEGABYTES FILE...
The address space is capped at what the process maps after importing torch plus MEGABYTES;
each file gets SECONDS of wall clock (SIGALRM) and its Python allocations are traced.
Prints one JSON line per file: name, outcome ("ok" / error type), message, seconds, peak MB.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from types import FrameType


class Overtime(BaseException):  # not caught by storage_report's own handlers
    """The file took longer than its time limit."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Overtime


def _mapped_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str]) -> int:
    seconds, megabytes, files = int(argv[0]), int(argv[1]), argv[2:]
    import torch  # mapped before the cap is measured

    torch.set_num_threads(1)

    from tu.storage import storage_report

    cap = _mapped_bytes() + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGALRM, _alarm)
    for file in files:
        tracemalloc.start()
        start = time.perf_counter()
        signal.alarm(seconds)
        try:
            report = storage_report(file)
            outcome, message = "ok", json.dumps(report.to_dict())
        except Overtime:
            outcome, message = "overtime", ""
        except BaseException as exc:
            outcome, message = type(exc).__name__, str(exc)
        finally:
            signal.alarm(0)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        record = {
            "file": Path(file).name,
            "outcome": outcome,
            "message": message[:2000],
            "seconds": round(elapsed, 3),
            "peak_mb": round(peak / 2**20, 1),
        }
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
