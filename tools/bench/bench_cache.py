"""Cache-hit cost and memory held after release: tu.cache vs transformers vs functools.lru_cache.

1. Hit cost: nanoseconds per call (``obj.shape(1)``, attribute lookup included) of a cached
   method on a plain class and on an nn.Module, and of a cached plain function, the result
   being cached already, torch imported (as in any model code). Each candidate is timed as
   a bare statement by ``timeit.Timer`` (a setup call primes the cache; no lambda around
   the call). Rounds of timed blocks interleave the candidates so they share the machine's
   noise; the table shows the best and the median block, and the last lines print tu's
   ratios to functools.lru_cache (target for a method: <= 1.60) and to transformers, from
   this one run. functools.lru_cache is the reference (it knows nothing of torch.compile,
   and on a method it keeps every instance alive).
2. Memory held after release: N objects, each owning a payload, each calling its cached
   method once; then every reference is dropped. Shown: objects still alive and payload
   MiB still held (tracemalloc) before and after ``gc.collect()``.

Run: ``python tools/bench/bench_cache.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import functools
import gc
import statistics
import sys
import timeit
import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any

import torch

from tu.cache import compile_compatible_lru_cache, compile_compatible_method_lru_cache

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import print_table

Decorator = Callable[[Callable[..., Any]], Any]


def _method_class(decorator: Decorator, base: type = object) -> type:
    class Model(base):  # type: ignore[valid-type,misc]
        def __init__(self, payload: int = 0) -> None:
            super().__init__()
            self.payload = bytearray(payload)

        @decorator
        def shape(self, n: int) -> int:
            return n + 1

    return Model


def _function(decorator: Decorator) -> Callable[[int], int]:
    @decorator
    def shape(n: int) -> int:
        return n + 1

    return shape  # type: ignore[no-any-return]


def _hit_costs(
    candidates: dict[str, tuple[str, dict[str, Any]]], number: int, rounds: int
) -> dict[str, tuple[float, float]]:
    """(best, median) nanoseconds per hit of each (statement, namespace).

    Each candidate is a ``timeit.Timer`` over the bare statement (no lambda around the
    call); its setup runs the statement once, so every timed call is a hit.
    """
    timers = {
        name: timeit.Timer(statement, setup=statement, globals=namespace)
        for name, (statement, namespace) in candidates.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, timer in timers.items():
            seconds = timer.timeit(number=number)
            samples[name].append(seconds / number * 1e9)
    return {name: (min(v), statistics.median(v)) for name, v in samples.items()}


def _memory_held(
    decorator: Decorator, objects: int, payload_kib: int
) -> tuple[int, int, float, float]:
    """Objects alive and MiB held (before, after gc.collect) once all references are dropped."""
    model = _method_class(decorator)
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        instances = [model(payload_kib * 1024) for _ in range(objects)]
        for instance in instances:
            instance.shape(1)
        refs = [weakref.ref(instance) for instance in instances]
        del instance, instances
        alive_before = sum(ref() is not None for ref in refs)
        held_before = (tracemalloc.get_traced_memory()[0] - base) / 2**20
        gc.collect()
        alive_after = sum(ref() is not None for ref in refs)
        held_after = (tracemalloc.get_traced_memory()[0] - base) / 2**20
        tracemalloc.stop()
    finally:
        gc.enable()
    return alive_before, alive_after, held_before, held_after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000, help="calls per timed block")
    parser.add_argument("--rounds", type=int, default=41, help="timed blocks per candidate")
    parser.add_argument("--objects", type=int, default=200, help="objects in the memory test")
    parser.add_argument("--payload-kib", type=int, default=256, help="payload per object, KiB")
    parser.add_argument("--quick", action="store_true", help="5,000 calls x 9 rounds, 50 objects")
    args = parser.parse_args()
    if args.quick:
        args.number, args.rounds, args.objects = 5_000, 9, 50

    methods: dict[str, Decorator] = {
        "tu": compile_compatible_method_lru_cache(maxsize=128),
        "functools": functools.lru_cache(maxsize=128),
    }
    functions: dict[str, Decorator] = {
        "tu": compile_compatible_lru_cache(maxsize=128),
        "functools": functools.lru_cache(maxsize=128),
    }
    try:
        import transformers
        from transformers.pytorch_utils import compile_compatible_method_lru_cache as hf_cache
    except ImportError:
        print("transformers is not installed: tu and functools.lru_cache only")
    else:
        print(f"transformers {transformers.__version__}")
        methods["transformers"] = hf_cache(maxsize=128)
        functions["transformers"] = hf_cache(maxsize=128)
    print(f"torch {torch.__version__}, Python {sys.version.split()[0]}")

    # The method statement includes the attribute lookup, as every real call does.
    candidates: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, decorator in methods.items():
        candidates[f"method / {name}"] = ("obj.shape(1)", {"obj": _method_class(decorator)()})
    for name, decorator in methods.items():
        module = _method_class(decorator, torch.nn.Module)()
        candidates[f"nn.Module method / {name}"] = ("obj.shape(1)", {"obj": module})
    for name, decorator in functions.items():
        candidates[f"function / {name}"] = ("shape(1)", {"shape": _function(decorator)})
    costs = _hit_costs(candidates, args.number, args.rounds)

    rows = []
    kinds = ("method", "nn.Module method", "function")
    for kind in kinds:
        tu_best = costs[f"{kind} / tu"][0]
        for name, (best, median) in costs.items():
            if not name.startswith(f"{kind} /"):
                continue
            rows.append([name, f"{best:.0f}", f"{median:.0f}", f"{best / tu_best:.2f}x"])
    print_table(
        f"Cache hit, ns per call (best and median of {args.rounds} blocks of {args.number})",
        ["candidate", "best", "median", "vs tu"],
        rows,
    )
    # The ratios, from this one run (best blocks): the method target is <= 1.60x functools.
    for kind in kinds:
        tu_best = costs[f"{kind} / tu"][0]
        parts = [f"tu / functools.lru_cache = {tu_best / costs[f'{kind} / functools'][0]:.2f}"]
        if kind == "method":
            parts[0] += " (target <= 1.60)"
        if f"{kind} / transformers" in costs:
            parts.append(f"tu / transformers = {tu_best / costs[f'{kind} / transformers'][0]:.2f}")
        print(f"{kind} hit: " + "; ".join(parts))

    rows = []
    for name, decorator in methods.items():
        alive0, alive1, held0, held1 = _memory_held(decorator, args.objects, args.payload_kib)
        rows.append(
            [
                name,
                f"{alive0}/{args.objects}",
                f"{held0:.1f}",
                f"{alive1}/{args.objects}",
                f"{held1:.1f}",
            ]
        )
    print_table(
        f"Memory held after dropping {args.objects} objects of {args.payload_kib} KiB "
        "(each called its cached method once)",
        ["method cache", "alive", "MiB held", "alive after gc", "MiB after gc"],
        rows,
    )


if __name__ == "__main__":
    main()
