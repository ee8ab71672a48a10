"""Importing tu.versions stays cheap: no torch, no packaging, nothing read from disk."""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()


def test_import_pulls_in_neither_torch_nor_packaging() -> None:
    out = run_python(
        "import sys, tu.versions; "
        "print(sorted(m for m in ('torch', 'packaging', 'importlib.metadata') if m in sys.modules))"
    )
    assert out == "[]"


def test_flags_and_dynamo_check_do_not_import_torch() -> None:
    out = run_python(
        "import sys, tu.versions as v; "
        "v.is_torch_greater_or_equal_than_2_0; v.is_torch_available(); "
        "print(v.is_torchdynamo_compiling(), 'torch' in sys.modules)"
    )
    assert out == "False False"
