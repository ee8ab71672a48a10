"""`tu env`: the report in text and JSON, and the exit codes."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest
import torch

import tu.versions
from tu.all.cli import EXIT_OK, EXIT_USAGE, main


def test_env_json_reports_what_is_installed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert report["torch"]["installed"] is True
    assert report["torch"]["version"] == torch.__version__
    assert report["torch"]["cuda_build"] == torch.version.cuda
    assert report["torch"]["cuda_available"] is torch.cuda.is_available()
    assert report["flags"] == {
        name: getattr(tu.versions, name) for name in tu.versions.TRANSFORMERS_FLAGS
    }
    assert report["tu"]["tu-versions"] == importlib.metadata.version("tu-versions")
    assert report["tu"]["tu-all"] == importlib.metadata.version("tu-all")
    assert set(report["backends"]) == {"mps", "xpu", "npu", "hpu", "xla", "distributed"}


def test_env_text_lists_each_item(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "torch" in out and torch.__version__ in out
    assert "is_torch_greater_or_equal_than_2_8" in out
    assert "tu-versions" in out and "tu-cache" in out


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_USAGE
    assert "a command is required" in capsys.readouterr().err


def test_unknown_command_exits_2() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["nonsense"])
    assert exited.value.code == EXIT_USAGE


def test_python_dash_m_runs_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tu.all", "env", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout)["tu"]["tu-all"] == importlib.metadata.version("tu-all")


def test_version_matches_distribution_metadata() -> None:
    import tu.all

    assert importlib.metadata.version("tu-all") == tu.all.__version__
