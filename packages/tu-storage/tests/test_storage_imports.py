"""Import costs: tu.storage and storage_report on safetensors never import torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

CHILD = """
import json, sys
import tu.storage
after_import = "torch" in sys.modules
report = tu.storage.storage_report(sys.argv[1])
after_report = "torch" in sys.modules
import torch
from tu.storage import find_shared_tensors, id_tensor_storage
x = torch.zeros(3)
id_tensor_storage(x)
find_shared_tensors({"x": x, "y": x[1:]})
dtensor = any(
    hasattr(sys.modules.get(name), "DTensor")
    for name in ("torch.distributed.tensor", "torch.distributed._tensor")
)
print(json.dumps([after_import, after_report, report.tensor_count, dtensor]))
"""


def test_torch_and_dtensor_are_imported_only_when_needed(tmp_path: Path) -> None:
    path = tmp_path / "small.safetensors"
    save_file({"a": torch.zeros(2, 3), "b": torch.ones(4)}, str(path))
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    after_import, after_report, count, dtensor = json.loads(result.stdout.strip().splitlines()[-1])
    assert after_import is False, "import tu.storage imported torch"
    assert after_report is False, "storage_report on .safetensors imported torch"
    assert count == 2
    assert dtensor is False, "id_tensor_storage / find_shared_tensors imported DTensor"
