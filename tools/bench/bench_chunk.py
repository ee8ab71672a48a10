"""Benchmark tu.chunk.apply_chunking_to_forward against transformers' function of the same name.

Workload (the issue's): FFN 1024 -> 4096 -> 1024 with GELU over a float32 input (1, L, 1024),
chunked along dim 1 under ``torch.no_grad()``. Every configuration runs in a fresh subprocess, which
warms torch up (import, a tiny op and, unless ``--warmup op``, the FFN on 8 positions), records ``ru_maxrss``, runs one chunked forward
and records ``ru_maxrss`` again: the difference is the configuration's peak RSS rise. The same child
then times a few more calls (median). The call overhead of each function is timed on a tiny input.

Run: ``python tools/bench/bench_chunk.py`` (``--quick`` for a short run, ``--help`` for options).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from typing import Any

CHILD_FLAG = "--child"


def _load_impl(name: str) -> Any:
    if name == "tu":
        from tu.chunk import apply_chunking_to_forward

        return apply_chunking_to_forward
    from transformers.pytorch_utils import apply_chunking_to_forward as tf_apply

    return tf_apply


def _child(impl: str, chunk_size: int, seq: int, reps: int, warmup: str) -> None:
    """Measure one configuration in this (fresh) process and print one JSON line."""
    import resource

    import torch
    from torch import nn

    apply = _load_impl(impl)
    torch.manual_seed(0)
    _ = torch.ones(4) + 1  # warm the library up before the baseline
    ffn = nn.Sequential(nn.Linear(1024, 4096), nn.GELU(), nn.Linear(4096, 1024))
    x = torch.randn(1, seq, 1024)

    def forward(hidden: torch.Tensor) -> torch.Tensor:  # transformers refuses an nn.Module
        out: torch.Tensor = ffn(hidden)
        return out

    with torch.no_grad():
        if warmup == "ffn":
            forward(torch.randn(1, 8, 1024))  # the kernels' first-call set-up, outside the measure
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = apply(forward, chunk_size, 1, x)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        checksum = float(out.double().sum())
        del out
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            out = apply(forward, chunk_size, 1, x)
            times.append(time.perf_counter() - start)
            del out
    print(
        json.dumps(
            {
                "rise_mib": (after - before) / 1024.0,  # ru_maxrss is in KiB on Linux
                "ms": 1000.0 * statistics.median(times) if times else float("nan"),
                "checksum": checksum,
            }
        )
    )


def _overhead_child(impl: str, calls: int) -> None:
    """Median per-call time of a no-chunking call on a tiny tensor: the function's own cost."""
    import torch

    apply = _load_impl(impl)
    x = torch.ones(4)

    def forward(hidden: torch.Tensor) -> torch.Tensor:
        return hidden

    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            apply(forward, 0, 0, x)
        rounds.append((time.perf_counter() - start) / calls)
    print(json.dumps({"us": 1e6 * statistics.median(rounds)}))


def _run_child(*args: object) -> dict[str, float]:
    cmd = [sys.executable, __file__, CHILD_FLAG, *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _measure(
    impl: str, chunk_size: int, seq: int, reps: int, runs: int, warmup: str
) -> dict[str, float] | None:
    """Median over ``runs`` fresh processes of the rise and the time; None if the call failed."""
    try:
        rows = [_run_child("ffn", impl, chunk_size, seq, reps, warmup) for _ in range(runs)]
    except RuntimeError as error:
        if impl == "tu":
            raise
        print(
            f"note: transformers failed at chunk_size={chunk_size}: {str(error).splitlines()[-1]}"
        )
        return None
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def _have_transformers() -> bool:
    # Looked up, not imported: the parent stays small, and children are measured on their own.
    try:
        return importlib.util.find_spec("transformers") is not None
    except (ImportError, ValueError):
        return False


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="short run: L=4096, 2 timed calls per cell"
    )
    parser.add_argument("--seq", type=int, default=None, help="sequence length L (default 16384)")
    parser.add_argument(
        "--reps", type=int, default=None, help="timed calls per configuration (default 3)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="fresh processes per configuration; the median is printed (default 1)",
    )
    parser.add_argument(
        "--warmup",
        choices=["ffn", "op"],
        default="ffn",
        help="before the baseline: 'ffn' runs the FFN on 8 positions (default), 'op' only a tiny"
        " tensor op (the one-off set-up of the first large GEMM then counts in every rise)",
    )
    parser.add_argument(
        "--chunk-sizes",
        type=int,
        nargs="+",
        default=[256, 1024, 4096, 0],
        help="chunk sizes to run; 0 means unchunked (default: 256 1024 4096 0)",
    )
    args = parser.parse_args(argv)
    seq = args.seq if args.seq is not None else (4096 if args.quick else 16384)
    reps = args.reps if args.reps is not None else (2 if args.quick else 3)

    impls = ["tu"]
    if _have_transformers():
        impls.append("transformers")
    else:
        print("note: transformers is not installed; printing tu's figures alone")

    print(
        f"FFN 1024->4096->1024 (GELU), float32 input (1, {seq}, 1024), chunk_dim 1, no_grad;"
        f" peak RSS rise in a fresh process ({args.runs} per cell, median; warm-up:"
        f" {args.warmup}), median of {reps} timed calls"
    )
    header = f"{'chunk_size':>10} | {'tu rise MiB':>11} {'tu ms':>8}"
    if len(impls) == 2:
        header += f" | {'tf rise MiB':>11} {'tf ms':>8} | {'rise tu/tf':>10} {'time tu/tf':>10}"
    print(header)
    print("-" * len(header))
    for chunk_size in args.chunk_sizes:
        rows = {
            impl: _measure(impl, chunk_size, seq, reps, args.runs, args.warmup) for impl in impls
        }
        label = str(chunk_size) if chunk_size > 0 else "unchunked"
        tu = rows["tu"]
        assert tu is not None
        line = f"{label:>10} | {tu['rise_mib']:>11.1f} {tu['ms']:>8.1f}"
        tf = rows.get("transformers")
        if len(impls) == 2 and tf is None:
            line += f" | {'failed':>11}"
        elif tf is not None:
            if tf["checksum"] != tu["checksum"]:
                line += "  (checksums differ!)"
            line += (
                f" | {tf['rise_mib']:>11.1f} {tf['ms']:>8.1f}"
                f" | {_ratio(tu['rise_mib'], tf['rise_mib']):>10}"
                f" {_ratio(tu['ms'], tf['ms']):>10}"
            )
        print(line)

    calls = 2000 if args.quick else 20000
    overheads = {impl: _run_child("overhead", impl, calls)["us"] for impl in impls}
    line = f"call overhead (chunk_size 0, tiny tensor): tu {overheads['tu']:.2f} us"
    if "transformers" in overheads:
        tf_us = overheads["transformers"]
        line += f", transformers {tf_us:.2f} us, ratio {_ratio(overheads['tu'], tf_us)}"
    print(line)
    print("Figures are noisy on a shared machine; compare the ratios.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == CHILD_FLAG and sys.argv[2] == "ffn":
        _child(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
        sys.exit(0)
    if len(sys.argv) > 2 and sys.argv[1] == CHILD_FLAG and sys.argv[2] == "overhead":
        _overhead_child(sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
