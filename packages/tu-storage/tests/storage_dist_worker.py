"""One rank of the two-process gloo test in test_storage_distributed.py (run as a script).

Usage: python storage_dist_worker.py RANK WORLD_SIZE STORE_FILE

Builds DTensors sharded across the group on CPU and checks tu.storage on them. Any failed
check raises, so the process exits non-zero with the traceback on stderr.
"""

from __future__ import annotations

import datetime
import faulthandler
import json
import os
import sys
import traceback
import warnings
from typing import Any

import torch
import torch.distributed as dist

STALL_S = 90.0


def _api() -> tuple[Any, Any, Any, Any]:
    """DTensor, Shard, distribute_tensor and a 1-D CPU mesh maker, public API first."""
    try:
        from torch.distributed.tensor import DTensor, Shard, distribute_tensor
    except ImportError:  # torch < 2.4: the private module
        from torch.distributed._tensor import DTensor, Shard, distribute_tensor
    try:
        from torch.distributed.device_mesh import init_device_mesh

        def make_mesh(size: int) -> Any:
            return init_device_mesh("cpu", (size,))
    except ImportError:
        from torch.distributed._tensor import DeviceMesh

        def make_mesh(size: int) -> Any:
            return DeviceMesh("cpu", list(range(size)))

    return DTensor, Shard, distribute_tensor, make_mesh


def run_checks(rank: int, world: int) -> dict[str, Any]:
    from tu.storage import find_shared_tensors, id_tensor_storage, remove_shared_duplicates

    DTensor, Shard, distribute_tensor, make_mesh = _api()
    mesh = make_mesh(world)
    rows = 3 * world
    full = torch.arange(rows * 4, dtype=torch.float32).reshape(rows, 4)

    d = distribute_tensor(full, mesh, [Shard(0)])
    local = d.to_local()
    assert local.shape == (3, 4), local.shape
    assert torch.equal(local, full[3 * rank : 3 * rank + 3]), "shard holds the wrong rows"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        key = id_tensor_storage(d)
    typed = [str(w.message) for w in caught if "TypedStorage" in str(w.message)]
    assert not typed, typed
    expected = (d.device, local.untyped_storage().data_ptr(), full.nbytes)
    assert key == expected, (key, expected)
    assert key[2] == rows * 4 * 4 != local.untyped_storage().nbytes()

    # Another DTensor over the very same local shard shares it; a fresh one does not.
    same = DTensor.from_local(local, mesh, [Shard(0)], run_check=False)
    other = distribute_tensor(full.clone(), mesh, [Shard(0)])
    assert id_tensor_storage(same) == key
    assert id_tensor_storage(other) != key
    groups = find_shared_tensors({"a": d, "b": same, "c": other})
    assert groups == [{"a", "b"}], groups
    assert find_shared_tensors({"a": d, "row": local[1]}) == [{"a", "row"}]
    reduced, removed = remove_shared_duplicates({"a": d, "b": same, "c": other})
    assert removed == {"b": "a"} and list(reduced) == ["a", "c"], removed

    compared = False
    try:
        from transformers.pytorch_utils import id_tensor_storage as hf_id
    except ImportError:
        pass
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hf_key = hf_id(d)
        assert hf_key == key, (hf_key, key)
        compared = True

    # Every rank must have passed: gather the verdicts over the group.
    verdicts: list[Any] = [None] * world
    dist.all_gather_object(verdicts, {"rank": rank, "ok": True})
    assert [v["rank"] for v in verdicts] == list(range(world)), verdicts
    return {"rank": rank, "world": world, "transformers_compared": compared}


def main() -> None:
    rank, world, store = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    # A stuck rank dumps its stacks to stderr and exits instead of hanging the test.
    faulthandler.dump_traceback_later(STALL_S, exit=True)
    dist.init_process_group(
        "gloo",
        init_method=f"file://{store}",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=30),
    )
    code = 1
    try:
        result = run_checks(rank, world)
        dist.barrier()  # leave together
        print(json.dumps(result))
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # No destroy_process_group: on torch 2.1 the FileStore teardown of one rank can wait
        # for a file its peer already removed, stalling the test (seen here about 1 run in 8).
        os._exit(code)


if __name__ == "__main__":
    main()
