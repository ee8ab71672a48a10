"""Eight threads calling cached methods concurrently get the serial results."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tu.cache import compile_compatible_lru_cache, compile_compatible_method_lru_cache

THREADS = 8
CALLS = 2_000


class Worker:
    def __init__(self, k: int) -> None:
        self.k = k

    @compile_compatible_method_lru_cache(maxsize=32)
    def f(self, x: int) -> tuple[int, int]:
        return (self.k, x * x + self.k)


def _hammer(job: Callable[[int], object], seeds: range) -> list[list[object]]:
    results: list[list[object]] = [[] for _ in seeds]
    barrier = threading.Barrier(len(seeds))

    def run(slot: int, seed: int) -> None:
        barrier.wait()
        results[slot] = [job((seed * 31 + i) % 50) for i in range(CALLS)]

    threads = [threading.Thread(target=run, args=(s, seed)) for s, seed in enumerate(seeds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_one_instance_many_threads() -> None:
    shared = Worker(3)
    got = _hammer(shared.f, range(THREADS))
    serial = Worker(3)
    for seed, values in zip(range(THREADS), got, strict=True):
        assert values == [serial.f((seed * 31 + i) % 50) for i in range(CALLS)]
    info = shared.f.cache_info()
    assert info.hits + info.misses == THREADS * CALLS
    assert info.currsize <= 32


def test_many_instances_many_threads_including_first_use() -> None:
    workers = [Worker(k) for k in range(40)]  # caches are created concurrently

    def job(i: int) -> object:
        return workers[i % 40].f(i)

    got = _hammer(job, range(THREADS))
    for seed, values in zip(range(THREADS), got, strict=True):
        assert values == [
            (j % 40, j * j + j % 40) for j in ((seed * 31 + i) % 50 for i in range(CALLS))
        ]
    assert Worker.f.cache_info().hits + Worker.f.cache_info().misses >= THREADS * CALLS


def test_plain_function_many_threads() -> None:
    @compile_compatible_lru_cache(maxsize=16)
    def g(x: int) -> int:
        return x * 3

    got = _hammer(g, range(THREADS))
    for seed, values in zip(range(THREADS), got, strict=True):
        assert values == [((seed * 31 + i) % 50) * 3 for i in range(CALLS)]
