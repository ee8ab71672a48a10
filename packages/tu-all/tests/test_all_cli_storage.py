"""`tu storage PATH`: shared groups and byte counts, JSON, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tu.all.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def tied_checkpoint(tmp_path: Path) -> Path:
    """A torch.save checkpoint whose two names share one storage (tied weights)."""
    weight = torch.randn(8, 4)
    path = tmp_path / "tied.pt"
    torch.save({"wte.weight": weight, "lm_head.weight": weight, "bias": torch.zeros(3)}, path)
    return path


def test_json_report_of_a_tied_torch_checkpoint(
    tied_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["storage", str(tied_checkpoint), "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "torch"
    assert report["tensor_count"] == 3
    assert report["total_bytes"] == 2 * 8 * 4 * 4 + 3 * 4
    assert report["unique_bytes"] == 8 * 4 * 4 + 3 * 4
    assert report["groups"] == [["lm_head.weight", "wte.weight"]]


def test_text_report_of_a_safetensors_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plain.safetensors"
    save_file({"a": torch.zeros(2, 2), "b": torch.ones(5)}, str(path))
    assert main(["storage", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "(safetensors)" in out
    assert "tensors       2" in out
    assert "shared groups 0" in out
    assert f"total bytes   {4 * 4 + 5 * 4} " in out


def test_missing_file_fails_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.safetensors"
    assert main(["storage", str(missing)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.startswith("tu storage: error:")
    assert "nope.safetensors" in err
    assert "Traceback" not in err


def test_malformed_file_fails_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    assert main(["storage", str(path)]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "broken.safetensors" in err
    assert "Traceback" not in err


def test_missing_path_argument_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["storage"])
    assert exited.value.code == EXIT_USAGE
