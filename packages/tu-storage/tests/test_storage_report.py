"""storage_report on safetensors files and torch checkpoints, good and bad."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from tu.storage import StorageReport, StorageReportError, storage_report


def write_raw_safetensors(path: Path, header: dict[str, Any], data: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def tied_state() -> dict[str, torch.Tensor]:
    emb = torch.arange(40, dtype=torch.float32).reshape(10, 4)
    return {"embed": emb, "head": emb, "row": emb[2], "bias": torch.zeros(10)}


def test_safetensors_file_reports_counts(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_file({"a": torch.zeros(3, 4), "b": torch.zeros(5, dtype=torch.float16)}, str(path))
    report = storage_report(path)
    assert report == StorageReport(
        path=str(path),
        format="safetensors",
        tensor_count=2,
        total_bytes=48 + 10,
        unique_bytes=58,
        groups=(),
    )
    assert report.shared_bytes == 0


def test_safetensors_overlapping_offsets_are_refused(tmp_path: Path) -> None:
    # The format forbids overlaps and the safetensors library refuses such a file, so
    # storage_report refuses it too (it used to report it as a shared group).
    path = tmp_path / "overlap.safetensors"
    header = {
        "__metadata__": {"format": "pt"},
        "whole": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "inner": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
        "other": {"dtype": "U8", "shape": [2], "data_offsets": [16, 18]},
    }
    write_raw_safetensors(path, header, bytes(18))
    with pytest.raises(StorageReportError, match=r"'inner' starts at data byte 4 and overlaps"):
        storage_report(path)


def test_sniffs_safetensors_without_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    save_file({"a": torch.zeros(2)}, str(path))
    assert storage_report(path).format == "safetensors"


def test_torch_checkpoint_keeps_shared_storages(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(tied_state(), path)
    report = storage_report(str(path))
    assert report.format == "torch"
    assert report.tensor_count == 4
    assert report.groups == (("embed", "head", "row"),)
    assert report.total_bytes == 160 + 160 + 16 + 40
    assert report.unique_bytes == 160 + 40


def test_torch_checkpoint_nested_containers_get_dotted_names(tmp_path: Path) -> None:
    w = torch.zeros(3, 3)
    path = tmp_path / "ckpt.pt"
    torch.save({"model": {"w": w}, "ema": [w.t(), torch.ones(2)], "step": 7}, path)
    report = storage_report(path)
    assert report.tensor_count == 3
    assert report.groups == (("ema.0", "model.w"),)
    assert report.unique_bytes == 36 + 8


def test_strided_views_count_only_touched_bytes(tmp_path: Path) -> None:
    m = torch.zeros(4, 4)
    path = tmp_path / "cols.pt"
    torch.save({"even": m[:, ::2], "odd": m[:, 1::2]}, path)
    report = storage_report(path)
    assert report.groups == ()
    assert report.unique_bytes == report.total_bytes == 64


def test_legacy_torch_format_is_read(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pt"
    torch.save(tied_state(), path, _use_new_zipfile_serialization=False)
    assert storage_report(path).groups == (("embed", "head", "row"),)


def test_to_dict_is_json_ready(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(tied_state(), path)
    report = storage_report(path)
    data = json.loads(json.dumps(report.to_dict()))
    assert data == {
        "path": str(path),
        "format": "torch",
        "tensor_count": 4,
        "total_bytes": 376,
        "unique_bytes": 200,
        "shared_bytes": 176,
        "groups": [["embed", "head", "row"]],
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.total_bytes = 0  # type: ignore[misc]


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.pt"):
        storage_report(tmp_path / "nope.pt")


def test_directory_and_wrong_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageReportError, match="not a regular file"):
        storage_report(tmp_path)
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
        storage_report(3)  # type: ignore[arg-type]


BAD_SAFETENSORS: list[tuple[str, bytes, str]] = [
    ("short", b"\x01\x02", "shorter than the 8-byte header length"),
    ("huge_header", struct.pack("<Q", 10**12) + b"{}", "exceeds"),
    ("cut_header", struct.pack("<Q", 100) + b'{"a":', "truncated: the header needs 100"),
    ("not_json", struct.pack("<Q", 4) + b"{{{{", "not valid JSON"),
    ("list", struct.pack("<Q", 2) + b"[]", "JSON list, expected an object"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_SAFETENSORS)
def test_malformed_safetensors_raise_clear_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / f"{name}.safetensors"
    path.write_bytes(content)
    with pytest.raises(StorageReportError, match=message) as info:
        storage_report(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}, "needs 8 bytes"),
        (
            {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]},
            r"expected a list of ints in \[0, 2\*\*64\)",
        ),
        ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, "end < begin"),
        ({"dtype": 3, "shape": [1], "data_offsets": [0, 4]}, "has dtype 3, expected one of BOOL"),
        ("nonsense", "expected an object"),
    ],
)
def test_bad_safetensors_entries_raise(tmp_path: Path, entry: Any, message: str) -> None:
    path = tmp_path / "bad.safetensors"
    write_raw_safetensors(path, {"t": entry}, bytes(8))
    with pytest.raises(StorageReportError, match=message):
        storage_report(path)


def test_truncated_safetensors_data_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "cut.safetensors"
    save_file({"a": torch.zeros(100)}, str(path))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(
        StorageReportError, match=r"truncated: tensor 'a' needs data bytes up to 400"
    ):
        storage_report(path)


def test_unknown_dtype_is_refused_like_safetensors(tmp_path: Path) -> None:
    path = tmp_path / "future.safetensors"
    write_raw_safetensors(
        path, {"t": {"dtype": "F3_NEW", "shape": [7], "data_offsets": [0, 3]}}, bytes(3)
    )
    with pytest.raises(StorageReportError, match=r"'t' has dtype 'F3_NEW', expected one of"):
        storage_report(path)


def test_truncated_torch_checkpoint_raises_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.pt"
    torch.save(tied_state(), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(StorageReportError, match=r"cut\.pt: not a readable torch checkpoint"):
        storage_report(path)


def test_garbage_file_raises_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(StorageReportError, match=r"garbage\.bin: neither a safetensors file nor"):
        storage_report(path)
    broken_pickle = tmp_path / "broken.pt"
    broken_pickle.write_bytes(b"\x80\x02 definitely not a pickle stream")
    with pytest.raises(StorageReportError, match=r"broken\.pt: not a readable torch checkpoint"):
        storage_report(broken_pickle)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(StorageReportError, match="empty file"):
        storage_report(empty)


class Payload:
    """Unpickling this would run code; weights_only must refuse it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (print, ("tu.storage unpickled code",))


def test_code_in_a_checkpoint_is_refused_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.zeros(2), "payload": Payload()}, path)
    with pytest.raises(
        StorageReportError, match=r"evil\.pt: refused by torch.load\(weights_only=True\)"
    ):
        storage_report(path)
    assert "unpickled code" not in capsys.readouterr().out
