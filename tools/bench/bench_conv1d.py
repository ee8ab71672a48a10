"""Conv1D forward speed: tu's Conv1D against nn.Linear and transformers' Conv1D, one run.

All three hold the same weights and compute the same map, (batch, seq, nx) -> nf, under
``torch.no_grad()`` on the CPU. Ratios are time over nn.Linear's (1.00x = as fast).

Run: ``python tools/bench/bench_conv1d.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from tu.conv1d import Conv1D

SHAPES = [
    # (batch, seq, nx, nf): GPT-2 small's c_fc, its c_attn, and a small layer.
    (8, 512, 768, 3072),
    (8, 512, 768, 2304),
    (32, 128, 256, 256),
]


def _block_ms(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) * 1e3 / calls


def _measure(
    candidates: dict[str, Callable[[], object]], calls: int, rounds: int
) -> dict[str, float]:
    """Best per-call milliseconds over the rounds; rounds interleave candidates.

    The best block is the least disturbed by other processes on a shared machine, and the
    three layers run the same matrix product, so best-of ratios are the stable figure.
    """
    for fn in candidates.values():
        _block_ms(fn, max(1, calls // 2))
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            samples[name].append(_block_ms(fn, calls))
    return {name: min(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3, help="calls per timed block (3)")
    parser.add_argument("--rounds", type=int, default=15, help="timed blocks per layer (15)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (1: steadier when shared)"
    )
    parser.add_argument("--quick", action="store_true", help="first shape only, 3 calls x 3 rounds")
    args = parser.parse_args()
    shapes, calls, rounds = (SHAPES[:1], 3, 3) if args.quick else (SHAPES, args.calls, args.rounds)
    torch.set_num_threads(args.threads)

    try:
        import transformers
        from transformers import pytorch_utils
    except ImportError:
        hf_conv1d_class = None
        print("transformers is not installed: tu and nn.Linear only")
    else:
        hf_conv1d_class = pytorch_utils.Conv1D
        print(f"transformers {transformers.__version__}")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} intra-op thread(s), CPU, float32, no_grad"
    )
    print(f"best of {rounds} blocks of {calls} calls, milliseconds per call")
    print(
        f"{'input -> nf':26} {'Linear':>8} {'tu':>8} {'hf':>8} {'tu/Lin':>7} {'hf/Lin':>7} {'tu strided':>10}"
    )

    torch.manual_seed(0)
    for batch, seq, nx, nf in shapes:
        linear = nn.Linear(nx, nf)
        ours = Conv1D.from_linear(linear)
        x = torch.randn(batch, seq, nx)
        # Same values, transposed layout: transformers' view() raises on it.
        strided = torch.randn(nx, seq, batch).permute(2, 1, 0)
        candidates: dict[str, Callable[[], object]] = {
            "linear": partial(linear, x),
            "tu": partial(ours, x),
            "tu_strided": partial(ours, strided),
        }
        if hf_conv1d_class is not None:
            theirs = hf_conv1d_class(nf, nx)
            theirs.load_state_dict(ours.state_dict())
            candidates["hf"] = partial(theirs, x)
        with torch.no_grad():
            times = _measure(candidates, calls, rounds)
        base = times["linear"]
        hf = times.get("hf")
        hf_ms = f"{hf:8.2f}" if hf is not None else f"{'n/a':>8}"
        hf_ratio = f"{hf / base:6.2f}x" if hf is not None else f"{'':>7}"
        label = f"({batch}, {seq}, {nx}) -> {nf}"
        print(
            f"{label:26} {base:8.2f} {times['tu']:8.2f} {hf_ms} {times['tu'] / base:6.2f}x "
            f"{hf_ratio} {times['tu_strided']:10.2f}"
        )
    print("tu/Lin and hf/Lin: Conv1D time over nn.Linear's; 'tu strided' feeds a transposed view.")


if __name__ == "__main__":
    main()
