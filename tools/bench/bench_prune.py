"""Prune time: tu.prune against transformers, side by side from one run.

Prunes ``nn.Linear(size, size)`` keeping half of its rows (dim 0) or columns (dim 1), either
every other position or every other 64-wide head, in float32 and bfloat16, with tu's
``prune_linear_layer`` and transformers' (whichever release is installed), and times one
``index_select`` of the kept half as the floor. Conv1D pruning is compared on transformers'
own Conv1D when the installed release still has ``prune_conv1d_layer`` (4.x); otherwise tu's
Conv1D rows are shown alone.

Run: ``python tools/bench/bench_prune.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import prune_conv1d_layer, prune_linear_layer

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def _hf_functions() -> tuple[
    str | None, Callable[..., nn.Module] | None, Callable[..., nn.Module] | None
]:
    try:
        import transformers
        from transformers import pytorch_utils
    except ImportError:
        return None, None, None
    return (
        transformers.__version__,
        getattr(pytorch_utils, "prune_linear_layer", None),
        getattr(pytorch_utils, "prune_conv1d_layer", None),
    )


def _time_ms(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed * 1e3


def _measure(candidates: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median milliseconds per candidate; rounds interleave candidates to share the noise."""
    for fn in candidates.values():  # warm-up
        _time_ms(fn)
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, fn in candidates.items():
            samples[name].append(_time_ms(fn))
    return {name: statistics.median(values) for name, values in samples.items()}


def _row(
    kept: str,
    label: str,
    dtype_name: str,
    dim: int,
    layer: nn.Module,
    tu_prune: Callable[..., nn.Module],
    hf_prune: Callable[..., nn.Module] | None,
    index: torch.Tensor,
    repeat: int,
) -> None:
    weight = layer.weight
    assert isinstance(weight, torch.Tensor)
    weight = weight.detach()
    candidates: dict[str, Callable[[], object]] = {
        "tu": partial(tu_prune, layer, index, dim=dim),
        "floor": partial(torch.index_select, weight, dim, index),
    }
    if hf_prune is not None:
        candidates["hf"] = partial(hf_prune, layer, index, dim=dim)
    times = _measure(candidates, repeat)
    hf_ms = times.get("hf")
    hf_text = f"{hf_ms:9.1f}" if hf_ms is not None else f"{'n/a':>9}"
    ratio = f"{hf_ms / times['tu']:6.2f}x" if hf_ms is not None else f"{'':>7}"
    hf_dtype = "-" if hf_prune is None else str(candidates["hf"]().weight.dtype)  # type: ignore[attr-defined]
    tu_dtype = str(candidates["tu"]().weight.dtype)  # type: ignore[attr-defined]
    print(
        f"{kept:9} {label:8} {dtype_name:9} {dim:>3} {times['tu']:9.1f} {times['floor']:9.1f} {hf_text} "
        f"{ratio} {times['tu'] / times['floor']:7.2f}x  "
        f"{tu_dtype.replace('torch.', '')}/{hf_dtype.replace('torch.', '')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="square layer size (8192)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (5)")
    parser.add_argument("--quick", action="store_true", help="size 2048, 3 rounds")
    args = parser.parse_args()
    size, repeat = (2048, 3) if args.quick else (args.size, args.repeat)

    version, hf_linear, hf_conv1d = _hf_functions()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    if version is None:
        print("transformers is not installed: tu's figures alone")
    else:
        print(f"transformers {version}")
    print(f"({size}, {size}) weights keeping half; median of {repeat} rounds, milliseconds")
    print(
        f"{'kept':9} {'layer':8} {'dtype':9} {'dim':>3} {'tu':>9} {'floor':>9} {'hf':>9} "
        f"{'hf/tu':>7} {'tu/floor':>8}  result dtype tu/hf"
    )

    head = 64
    patterns = {
        # Every other position: no structure to exploit.
        "stride 2": torch.arange(0, size, 2),
        # Every other 64-wide head: what head pruning keeps.
        "heads 64": torch.arange(size).view(-1, head)[::2].reshape(-1),
    }
    for kept, index in patterns.items():
        for dtype_name, dtype in DTYPES.items():
            linear = nn.Linear(size, size, dtype=dtype)
            if hf_conv1d is not None:
                from transformers import pytorch_utils

                conv: nn.Module = pytorch_utils.Conv1D(size, size).to(dtype)
                conv_label = "hfConv1D"
            else:
                conv = Conv1D(size, size, dtype=dtype)
                conv_label = "Conv1D"
            for dim in (0, 1):
                _row(
                    kept,
                    "Linear",
                    dtype_name,
                    dim,
                    linear,
                    prune_linear_layer,
                    hf_linear,
                    index,
                    repeat,
                )
                # The same feature side (output, then input): Conv1D stores the weight transposed.
                _row(
                    kept,
                    conv_label,
                    dtype_name,
                    1 - dim,
                    conv,
                    prune_conv1d_layer,
                    hf_conv1d,
                    index,
                    repeat,
                )
            del linear, conv
    if hf_conv1d is None and version is not None:
        print(f"transformers {version} has no prune_conv1d_layer: Conv1D rows show tu alone")
    print("hf/tu > 1 means tu is faster; floor: one index_select of the kept half.")
    print("dim is the weight dim pruned: Linear 0 and Conv1D 1 keep output features.")
    print("hfConv1D rows: transformers' Conv1D layer, pruned by tu and by transformers.")


if __name__ == "__main__":
    main()
