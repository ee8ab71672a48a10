"""`tu demo` runs its end-to-end checks on the quick configuration."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tu.all._demo import QUICK, run_demo
from tu.all.cli import EXIT_OK, main


def test_demo_steps_and_checks(tmp_path: Path) -> None:
    out = io.StringIO()
    results = run_demo(QUICK, workdir=tmp_path, out=out)
    text = out.getvalue()
    assert text.count("peak RSS") == 9
    assert "demo: every check passed" in text
    assert results["reloaded_equal"] is True
    assert results["removed"] == {"lm_head.weight": "wte.weight"}
    assert results["params_after"] < results["params_before"]
    assert (tmp_path / "tiny-gpt-pruned.safetensors").exists()


def test_demo_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == EXIT_OK
    assert "every check passed" in capsys.readouterr().out
