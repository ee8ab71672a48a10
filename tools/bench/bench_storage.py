"""Benchmark tu.storage against transformers / safetensors / huggingface_hub, from one run.

Measures:
  - id_tensor_storage per call (plain tensor, view) vs transformers.pytorch_utils';
  - find_shared_tensors on a synthetic model-like state dict (tied embedding, fused qkv
    weights with q/k/v row slices) vs safetensors' and huggingface_hub's private
    _find_shared_tensors, and whether they find the same groups (their sweep splits the
    last slice off a fused weight: a range nested in a larger one);
  - storage_report on a .safetensors file (header only) and on a torch.save checkpoint;
  - storage_report on hostile files (bounded work): a 2 KB DAG bomb ([x, x] nested 60 deep),
    200 strided views of one storage, a 100 000-deep and a 5000-digit JSON header. Each
    prints its time, its traced Python peak and the outcome (report or refusal).

Run: python tools/bench/bench_storage.py [--quick]
Figures are wall-clock medians on whatever machine runs this; they are noisy.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import tempfile
import time
import timeit
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any


def per_call_ns(fn: Callable[[], object], number: int, repeat: int) -> float:
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e9


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def synthetic_state(layers: int) -> dict[str, Any]:
    """A model-like state dict: per layer 6 tensors, a fused weight with row slices, ties."""
    import torch

    state: dict[str, Any] = {"embed.weight": torch.zeros(512, 64)}
    for i in range(layers):
        fused = torch.zeros(192, 64)
        state[f"layers.{i}.qkv.weight"] = fused
        for j, name in enumerate(("q", "k", "v")):
            state[f"layers.{i}.{name}.weight"] = fused[64 * j : 64 * (j + 1)]
        state[f"layers.{i}.mlp.weight"] = torch.zeros(256, 64)
        state[f"layers.{i}.mlp.bias"] = torch.zeros(256)
    state["head.weight"] = state["embed.weight"]
    return state


def optional(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def ratio(theirs: float | None, ours: float) -> str:
    return f"{theirs / ours:5.2f}x" if theirs is not None and ours > 0 else "   n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller inputs")
    args = parser.parse_args()
    number, repeat = (2_000, 3) if args.quick else (20_000, 7)
    layers = 50 if args.quick else 400

    import torch

    from tu.storage import find_shared_tensors, id_tensor_storage, storage_report

    hf_id = optional("transformers.pytorch_utils", "id_tensor_storage")
    if hf_id is None:
        print("note: transformers not installed; tu figures only for id_tensor_storage")

    print(f"torch {torch.__version__}; ratio = other / tu (>1: tu faster)")
    print(f"{'measure':48} {'tu':>12} {'other':>12} {'ratio':>7}")
    x = torch.zeros(256, 256)
    for label, tensor in (("plain", x), ("view", x.t()[3:])):
        ours = per_call_ns(lambda t=tensor: id_tensor_storage(t), number, repeat)
        theirs = per_call_ns(lambda t=tensor: hf_id(t), number, repeat) if hf_id else None
        shown = f"{theirs:9.0f} ns" if theirs is not None else "         -"
        print(
            f"{'id_tensor_storage ' + label + ' (transformers)':48} {ours:9.0f} ns "
            f"{shown} {ratio(theirs, ours)}"
        )

    state = synthetic_state(layers)
    ours_ms = median_ms(lambda: find_shared_tensors(state), repeat)
    groups = {frozenset(g) for g in find_shared_tensors(state)}
    for library, module in (
        ("safetensors", "safetensors.torch"),
        ("huggingface_hub", "huggingface_hub.serialization._torch"),
    ):
        finder = optional(module, "_find_shared_tensors")
        if finder is None:
            print(f"note: {library} not installed; no find_shared_tensors comparison")
            continue
        theirs_ms = median_ms(lambda f=finder: f(state), repeat)
        theirs_groups = {frozenset(g) for g in finder(state) if len(g) > 1}
        ours_names = sum(len(g) for g in groups)
        theirs_names = sum(len(g) for g in theirs_groups)
        verdict = (
            "same groups"
            if theirs_groups == groups
            else f"groups differ: tu {len(groups)} groups / {ours_names} names, "
            f"theirs {len(theirs_groups)} / {theirs_names}"
        )
        label = f"find_shared_tensors {len(state)} tensors ({library})"
        print(
            f"{label:48} {ours_ms:9.2f} ms {theirs_ms:9.2f} ms {ratio(theirs_ms, ours_ms)}"
            f"  {verdict}"
        )

    with tempfile.TemporaryDirectory() as tmp:
        from safetensors.torch import save_file

        plain = {k: v.clone() for k, v in state.items()}
        st_path = Path(tmp) / "model.safetensors"
        save_file(plain, str(st_path))
        pt_path = Path(tmp) / "model.pt"
        torch.save(state, pt_path)
        size_mb = st_path.stat().st_size / 2**20
        st_ms = median_ms(lambda: storage_report(st_path), repeat)
        pt_ms = median_ms(lambda: storage_report(pt_path), repeat)
        label = f"storage_report .safetensors ({size_mb:.0f} MiB)"
        print(f"{label:48} {st_ms:9.2f} ms")
        print(f"{'storage_report torch.save, shared views':48} {pt_ms:9.2f} ms")
        hostile_files(Path(tmp), repeat)


def hostile_files(folder: Path, repeat: int) -> None:
    """storage_report on small hostile files: time, traced peak and outcome of each."""
    import torch

    from tu.storage import StorageReportError, storage_report

    node: object = [torch.zeros(2)]
    for _ in range(60):
        node = [node, node]
    torch.save(node, folder / "dag.pt")
    strided = torch.zeros(120_000, dtype=torch.uint8)
    torch.save([strided[::2] for _ in range(200)], folder / "views.pt")
    for name, header in (
        ("deep.safetensors", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("digits.safetensors", b'{"a":{"dtype":"U8","shape":[' + b"9" * 5000 + b"]}}"),
    ):
        (folder / name).write_bytes(len(header).to_bytes(8, "little") + header)
    for name in ("dag.pt", "views.pt", "deep.safetensors", "digits.safetensors"):
        path = folder / name

        def run(path: Path = path) -> str:
            try:
                report = storage_report(path)
            except StorageReportError as exc:
                return "refused: " + str(exc).split(": ", 2)[-1][:40]
            return f"{report.tensor_count} tensors, {len(report.groups)} groups"

        outcome = run()
        ms = median_ms(run, repeat)
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        size = path.stat().st_size / 1024
        label = f"storage_report hostile {name} ({size:.0f} KiB)"
        print(f"{label:48} {ms:9.2f} ms  peak {peak:.1f} MiB  {outcome}")


if __name__ == "__main__":
    main()
