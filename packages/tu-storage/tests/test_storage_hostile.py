"""Hostile checkpoints: bounded time and memory per file, a clear error, and no code run.

The corpus is generated here (nothing binary is committed): pickle payloads that would run
code, DAG bombs (2**60 paths in 2 KB), reference cycles, deep nesting, many strided views of
one storage, and malformed safetensors headers. ``storage_hostile_worker.py`` reports on each
file in a subprocess whose address space is capped, with a per-file alarm.
"""

from __future__ import annotations

import builtins
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.storage import StorageReportError, storage_report
from tu.storage._walk import MAX_DEPTH, WalkError, named_leaves

WORKER = Path(__file__).with_name("storage_hostile_worker.py")
SECONDS_PER_FILE = 5
MEGABYTES = 1024  # address space allowed beyond what importing torch maps
PEAK_MB = 200  # traced Python allocations per file


def legacy_checkpoint(body: bytes) -> bytes:
    """torch.save's legacy (non-zip) framing around a hand-written pickle ``body``."""
    sys_info = {
        "protocol_version": torch.serialization.PROTOCOL_VERSION,
        "little_endian": sys.byteorder == "little",
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    return (
        pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)
        + pickle.dumps(torch.serialization.PROTOCOL_VERSION, protocol=2)
        + pickle.dumps(sys_info, protocol=2)
        + body
        + pickle.dumps([], protocol=2)
    )


def deep_list_pickle(depth: int) -> bytes:
    """A list nested ``depth`` deep, built by the pickle machine without recursion."""
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


class Payload:
    """Unpickling this would create the sentinel file."""

    def __init__(self, sentinel: Path, how: str) -> None:
        self.sentinel, self.how = str(sentinel), how

    def __reduce__(self) -> tuple[Any, ...]:
        if self.how == "open":
            return (builtins.open, (self.sentinel, "w"))
        if self.how == "system":
            return (os.system, (f"touch {self.sentinel}",))
        return (builtins.exec, (f"open({self.sentinel!r}, 'w')",))


def dag_bomb(depth: int, mapping: bool) -> object:
    node: object = [torch.zeros(2)]
    for _ in range(depth):
        node = {"l": node, "r": node} if mapping else [node, node]
    return node


def frame(header: bytes, data: bytes = b"") -> bytes:
    return len(header).to_bytes(8, "little") + header + data


def build_corpus(folder: Path, sentinel: Path) -> dict[str, str]:
    """Write the corpus; returns file name -> expected outcome (a regex for errors, or "ok")."""
    expected: dict[str, str] = {}

    def save(name: str, obj: object, outcome: str, **kwargs: Any) -> None:
        torch.save(obj, folder / name, **kwargs)
        expected[name] = outcome

    def write(name: str, content: bytes, outcome: str) -> None:
        (folder / name).write_bytes(content)
        expected[name] = outcome

    save("dag_list.pt", dag_bomb(60, mapping=False), "ok")
    save("dag_dict.pt", dag_bomb(60, mapping=True), "ok")
    save("dag_legacy.pt", dag_bomb(60, mapping=False), "ok", _use_new_zipfile_serialization=False)
    cyclic: list[object] = [torch.zeros(1)]
    cyclic.append(cyclic)
    save("cycle_list.pt", cyclic, r"1 contains itself \(a reference cycle\)")
    looped: dict[str, object] = {"w": torch.zeros(1)}
    looped["inner"] = {"back": looped}
    save("cycle_dict.pt", looped, r"inner\.back contains itself")
    write(
        "deep_100000.pt",
        legacy_checkpoint(deep_list_pickle(100_000)),
        "nested deeper than 1000 levels",
    )
    write("deep_1001.pt", legacy_checkpoint(deep_list_pickle(MAX_DEPTH + 1)), "nested deeper")
    write("deep_1000.pt", legacy_checkpoint(deep_list_pickle(MAX_DEPTH)), "ok")
    strided = torch.zeros(2 * 60_000, dtype=torch.uint8)
    save("strided_views.pt", [strided[::2] for _ in range(200)], "ok")
    for how in ("open", "system", "exec"):
        save(
            f"payload_{how}.pt",
            {"w": torch.zeros(2), "x": Payload(sentinel, how)},
            "refused by torch.load",
        )
        save(
            f"payload_{how}_legacy.pt",
            [Payload(sentinel, how)],
            "refused by torch.load",
            _use_new_zipfile_serialization=False,
        )
    write(
        "payload_raw.pt",
        b"\x80\x02cbuiltins\nopen\nq\x00X"
        + len(str(sentinel)).to_bytes(4, "little")
        + str(sentinel).encode()
        + b"X\x01\x00\x00\x00w\x86R.",
        r"refused by torch\.load|not a readable torch checkpoint",
    )
    write(
        "deep_json.safetensors",
        frame(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        "nested deeper than 127",
    )
    write(
        "deep_object.safetensors",
        frame(b'{"a":' + b'{"b":' * 100_000 + b"1" + b"}" * 100_001),
        "nested deeper than 127",
    )
    write(
        "digits.safetensors",
        frame(b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,' + b"9" * 5000 + b"]}}"),
        "out of range",
    )
    write(
        "huge_length.safetensors",
        (1 << 63).to_bytes(8, "little") + b"{}",
        "exceeds the 100000000-byte limit",
    )
    write("wide.safetensors", frame(b'{"__metadata__":{"k":"' + b"v" * 2_000_000 + b'"}}'), "ok")
    return expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_hostile_corpus_in_bounded_time_and_memory(tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    expected = build_corpus(corpus, sentinel)
    files = [str(corpus / name) for name in expected]
    result = subprocess.run(
        [sys.executable, str(WORKER), str(SECONDS_PER_FILE), str(MEGABYTES), *files],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        # One thread and few malloc arenas: the address-space cap then measures the work,
        # not how many cores the machine has.
        env={**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = {r["file"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(records) == set(expected)
    for name, outcome in expected.items():
        record = records[name]
        assert record["seconds"] < SECONDS_PER_FILE and record["peak_mb"] < PEAK_MB, record
        if outcome == "ok":
            assert record["outcome"] == "ok", record
        else:
            assert record["outcome"] == "StorageReportError", record
            assert record["message"].startswith(str(corpus / name) + ": "), record
            assert re.search(outcome, record["message"]), record
    assert not sentinel.exists(), "a pickle payload ran"
    assert json.loads(records["dag_list.pt"]["message"])["tensor_count"] == 1


def test_dag_bomb_is_walked_once_per_container(tmp_path: Path) -> None:
    path = tmp_path / "dag.pt"
    torch.save(dag_bomb(60, mapping=True), path)
    assert path.stat().st_size < 4096
    report = storage_report(path)
    # Each dict is entered once: only the first path (all "l") names the tensor.
    assert report.tensor_count == 1 and report.groups == ()


def test_shared_container_keeps_its_first_name_and_tied_slots_stay_grouped(tmp_path: Path) -> None:
    w = torch.zeros(3)
    inner = {"w": w, "tied": w}
    path = tmp_path / "shared.pt"
    torch.save({"a": inner, "b": inner, "c": [w]}, path)
    report = storage_report(path)
    assert report.tensor_count == 3
    assert report.groups == (("a.tied", "a.w", "c.0"),)


def test_cycles_and_depth_name_the_file(tmp_path: Path) -> None:
    cyclic: list[object] = []
    cyclic.append(cyclic)
    path = tmp_path / "cycle.pt"
    torch.save(cyclic, path)
    with pytest.raises(StorageReportError, match=r"cycle\.pt: cannot walk .*0 contains itself"):
        storage_report(path)
    deep = tmp_path / "deep.pt"
    deep.write_bytes(legacy_checkpoint(deep_list_pickle(100_000)))
    with pytest.raises(StorageReportError, match=r"deep\.pt: cannot walk .*deeper than 1000"):
        storage_report(deep)


def _has_cycle(graph: dict[int, list[int]], root: int) -> bool:
    state: dict[int, int] = {}  # 1 on the path, 2 done

    def visit(node: int) -> bool:
        state[node] = 1
        for child in graph[node]:
            if state.get(child) == 1 or (child not in state and visit(child)):
                return True
        state[node] = 2
        return False

    return visit(root)


@settings(max_examples=150, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20),
    leaves=st.lists(st.integers(0, 7), max_size=8),
)
def test_walk_refuses_exactly_the_cyclic_graphs(
    edges: list[tuple[int, int]], leaves: list[int]
) -> None:
    graph: dict[int, list[int]] = {node: [] for node in range(8)}
    for parent, child in edges:
        graph[parent].append(child)
    nodes: list[list[object]] = [[] for _ in range(8)]
    for parent, child in edges:
        nodes[parent].append(nodes[child])
    for index, node in enumerate(leaves):
        nodes[node].append(f"leaf{index}")
    reachable: set[int] = set()
    todo = [0]
    while todo:
        node = todo.pop()
        if node not in reachable:
            reachable.add(node)
            todo.extend(graph[node])
    is_leaf = lambda value: isinstance(value, str)  # noqa: E731
    if _has_cycle(graph, 0):
        with pytest.raises(WalkError, match="contains itself"):
            named_leaves(nodes[0], is_leaf)
        return
    named = named_leaves(nodes[0], is_leaf)
    # Every leaf slot of every reachable container, once.
    assert sorted(leaf for _, leaf in named) == sorted(
        f"leaf{i}" for i, node in enumerate(leaves) if node in reachable
    )


def test_walk_limits_are_parameters() -> None:
    chain: list[object] = ["x"]
    for _ in range(10):
        chain = [chain]
    with pytest.raises(WalkError, match="deeper than 5 levels"):
        named_leaves(chain, lambda v: isinstance(v, str), max_depth=5)
    with pytest.raises(WalkError, match="exceed 12 characters"):
        named_leaves(
            {"long_name": {"longer": "x"}}, lambda v: isinstance(v, str), max_name_chars=12
        )
    assert named_leaves({10**5000: "x"}, lambda v: isinstance(v, str)) == [
        ("<int of 16610 bits>", "x")
    ]
