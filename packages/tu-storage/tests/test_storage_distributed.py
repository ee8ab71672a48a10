"""Two real processes in a gloo group on CPU build sharded DTensors and check tu.storage.

The workers rendezvous through a FileStore in a temporary folder and gloo is pinned to the
loopback interface, so nothing listens beyond 127.0.0.1. Skips where torch.distributed,
gloo or DTensor is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).with_name("storage_dist_worker.py")
WORLD = 2
TIMEOUT_S = 120.0
HAS_TRANSFORMERS = importlib.util.find_spec("transformers") is not None


def _loopback_interface() -> str | None:
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):
        return None
    for name in names:
        if name in ("lo", "lo0"):
            return name
    return next((name for name in names if name.startswith("lo")), None)


def _skip_reason() -> str | None:
    if sys.platform == "win32":
        return "the gloo FileStore test runs on Linux and macOS"
    if not torch.distributed.is_available():
        return "torch.distributed is not available in this torch build"
    if not torch.distributed.is_gloo_available():
        return "this torch build has no gloo backend"
    if not any(
        importlib.util.find_spec(name) is not None
        for name in ("torch.distributed.tensor", "torch.distributed._tensor")
    ):
        return "this torch has no DTensor"
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:
        try:
            from torch.distributed._tensor import DTensor  # noqa: F401
        except ImportError:
            return "this torch has no DTensor"
    if _loopback_interface() is None:
        return "no loopback network interface found"
    return None


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_dtensor_ids_and_groups_on_two_gloo_ranks(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["GLOO_SOCKET_IFNAME"] = str(_loopback_interface())
    env["OMP_NUM_THREADS"] = "1"
    store = tmp_path / "store"
    logs = [(tmp_path / f"rank{r}.out", tmp_path / f"rank{r}.err") for r in range(WORLD)]
    procs = []
    for rank, (out_path, err_path) in enumerate(logs):
        # Files, not pipes: a rank blocked on a full pipe would stall the whole group.
        with open(out_path, "w") as out, open(err_path, "w") as err:
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(WORKER), str(rank), str(WORLD), str(store)],
                    stdout=out,
                    stderr=err,
                    env=env,
                )
            )
    deadline = time.monotonic() + TIMEOUT_S
    try:
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        stalled = [rank for rank, proc in enumerate(procs) if proc.poll() is None]
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    outputs = [(o.read_text(), e.read_text()) for o, e in logs]
    if stalled:
        details = "\n".join(f"rank {r} stderr:\n{outputs[r][1][-3000:]}" for r in range(WORLD))
        pytest.fail(f"ranks {stalled} did not finish within {TIMEOUT_S:.0f} s\n{details}")
    for rank, (proc, (out, err)) in enumerate(zip(procs, outputs, strict=True)):
        assert proc.returncode == 0, f"rank {rank} failed (exit {proc.returncode}):\n{err}"
        result = json.loads(out.strip().splitlines()[-1])
        assert result["rank"] == rank and result["world"] == WORLD
        # With transformers installed, each rank also compared its DTensor id with it.
        assert result["transformers_compared"] == HAS_TRANSFORMERS
