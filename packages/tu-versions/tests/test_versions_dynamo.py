"""is_torchdynamo_compiling is True only while torch.compile traces."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from tu.versions import is_torch_greater_or_equal, is_torchdynamo_compiling


def test_false_in_eager_code() -> None:
    assert is_torchdynamo_compiling() is False


@pytest.mark.skipif(not is_torch_greater_or_equal("2.1"), reason="torch.compile needs torch >= 2.1")
def test_true_while_compiling_with_fullgraph() -> None:
    def branch(x: torch.Tensor) -> torch.Tensor:
        if is_torchdynamo_compiling():
            return x + 1
        return x - 1

    compiled = torch.compile(branch, backend="eager", fullgraph=True)
    x = torch.zeros(3)
    assert torch.equal(compiled(x), torch.ones(3))
    assert torch.equal(branch(x), -torch.ones(3))


@pytest.mark.skipif(not is_torch_greater_or_equal("2.1"), reason="torch.compile needs torch >= 2.1")
def test_first_call_inside_a_compiled_region_resolves_the_check() -> None:
    code = (
        "import torch\n"
        "from tu.versions import is_torchdynamo_compiling\n"
        "def f(x):\n"
        "    return x + 1 if is_torchdynamo_compiling() else x - 1\n"
        "c = torch.compile(f, backend='eager', fullgraph=True)\n"
        "print(c(torch.zeros(1)).item(), f(torch.zeros(1)).item(), is_torchdynamo_compiling())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.split() == ["1.0", "-1.0", "False"]
