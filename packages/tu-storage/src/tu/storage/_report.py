"""``storage_report``: shared tensors and byte counts of a checkpoint file, for ``tu storage``."""

from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tu.storage import _intervals
from tu.storage._safetensors_header import HeaderError, looks_like_safetensors, read_header

if TYPE_CHECKING:
    import torch

Format = Literal["safetensors", "torch"]

# Leading bytes of torch.save's zip format and of its legacy pickle format (protocol 2).
_TORCH_MAGICS = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class StorageReportError(ValueError):
    """A checkpoint could not be read: malformed, truncated, or refused by ``weights_only``.

    The message names the path and the problem. A missing path raises ``FileNotFoundError``.
    """


@dataclass(frozen=True)
class StorageReport:
    """What :func:`storage_report` found in one checkpoint file.

    Attributes:
        path: the file, as given.
        format: ``"safetensors"`` or ``"torch"``.
        tensor_count: number of tensors.
        total_bytes: bytes of all tensors, each counted in full (``numel * itemsize``).
        unique_bytes: bytes of memory the tensors occupy, shared bytes counted once.
        groups: the names of each group of tensors sharing memory, sorted, two or more per
            group; empty when nothing is shared.
    """

    path: str
    format: Format
    tensor_count: int
    total_bytes: int
    unique_bytes: int
    groups: tuple[tuple[str, ...], ...]

    @property
    def shared_bytes(self) -> int:
        """Bytes saved by sharing: ``total_bytes - unique_bytes``."""
        return self.total_bytes - self.unique_bytes

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for the groups), for ``tu storage --json``."""
        return {
            "path": self.path,
            "format": self.format,
            "tensor_count": self.tensor_count,
            "total_bytes": self.total_bytes,
            "unique_bytes": self.unique_bytes,
            "shared_bytes": self.shared_bytes,
            "groups": [list(group) for group in self.groups],
        }


def _safetensors_report(path: str | os.PathLike[str], shown: str) -> StorageReport:
    try:
        entries = read_header(path)
    except HeaderError as exc:
        raise StorageReportError(f"{shown}: not a valid safetensors file: {exc}") from None
    ranges = [(e.begin, e.end, i) for i, e in enumerate(entries)]
    groups = tuple(
        tuple(sorted(entries[i].name for i in component))
        for component in _intervals.overlap_components(ranges)
        if len(component) > 1
    )
    return StorageReport(
        path=shown,
        format="safetensors",
        tensor_count=len(entries),
        total_bytes=sum(e.end - e.begin for e in entries),
        unique_bytes=_intervals.union_length((e.begin, e.end) for e in entries),
        groups=tuple(sorted(groups)),
    )


def _flatten(obj: object, prefix: str) -> Iterator[tuple[str, torch.Tensor]]:
    import torch

    if isinstance(obj, torch.Tensor):
        yield (prefix or "<root>"), obj
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            yield from _flatten(value, f"{prefix}.{index}" if prefix else str(index))


def _load_torch(path: str | os.PathLike[str], shown: str) -> object:
    import torch

    kwargs: dict[str, Any] = {"map_location": "cpu", "weights_only": True}
    if zipfile.is_zipfile(path):
        kwargs["mmap"] = True  # read tensors lazily from the file, not into memory
    try:
        with warnings.catch_warnings():
            # torch 2.1's own loader touches TypedStorage; that warning is not the user's.
            warnings.filterwarnings("ignore", message="TypedStorage is deprecated")
            return torch.load(os.fspath(path), **kwargs)
    except Exception as exc:
        # The weights-only unpickler fails on damaged input with whatever it hits first
        # (UnpicklingError, RuntimeError, EOFError, IndexError...): one error type out.
        text = _reason(exc)
        if isinstance(exc, pickle.UnpicklingError) and re.search(
            r"unsupported (global|class)|allowed global", text, re.IGNORECASE
        ):
            raise StorageReportError(
                f"{shown}: refused by torch.load(weights_only=True), which never runs code "
                f"from a checkpoint: {text}"
            ) from None
        raise StorageReportError(
            f"{shown}: not a readable torch checkpoint (malformed, truncated, or beyond what "
            f"weights_only=True accepts): {text}"
        ) from None


def _reason(exc: BaseException) -> str:
    """The informative part of a torch.load error, without ANSI colours, kept short."""
    message = _ANSI.sub("", str(exc))
    marker = message.find("WeightsUnpickler error:")
    lines = [line.strip() for line in message[max(marker, 0) :].splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        # torch puts the actual reason on the line after the marker.
        lines = [f"{lines[0]} {lines[1]}"]
    text = lines[0].split(". ")[0] if lines else ""
    if len(text) > 240:
        text = text[:237] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _torch_report(path: str | os.PathLike[str], shown: str) -> StorageReport:
    from tu.storage._overlap import analyse

    loaded = _load_torch(path, shown)
    named = list(_flatten(loaded, ""))
    tensors = [tensor for _, tensor in named]
    analysis = analyse(tensors, need_bytes=True)
    meta_bytes = sum(t.nbytes for t in tensors if t.device.type == "meta")
    groups = tuple(sorted(tuple(sorted(named[i][0] for i in group)) for group in analysis.groups))
    return StorageReport(
        path=shown,
        format="torch",
        tensor_count=len(tensors),
        total_bytes=sum(t.numel() * t.element_size() for t in tensors),
        unique_bytes=analysis.unique_bytes + meta_bytes,
        groups=groups,
    )


def storage_report(path: str | os.PathLike[str]) -> StorageReport:
    """Report the shared tensors and the byte counts of a checkpoint file.

    ``.safetensors`` files (by suffix, or by their header when the suffix says nothing) are
    read from their header only: no tensor data is loaded and torch is not imported. Groups
    there are tensors whose ``data_offsets`` overlap, which the format forbids, so a valid
    file reports none. Anything else is loaded with ``torch.load(weights_only=True,
    map_location="cpu")`` (memory-mapped for the zip format), which never unpickles code;
    nested dicts, lists and tuples are walked and their tensors named by dotted paths
    (``"model.layer.weight"``, ``"optimizer.state.0.exp_avg"``). Groups are computed as by
    :func:`find_shared_tensors`.

    Args:
        path: a ``.safetensors`` file or a ``torch.save`` checkpoint.

    Returns:
        A frozen :class:`StorageReport`; ``to_dict()`` gives its JSON form.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        StorageReportError: if ``path`` is a directory, malformed, truncated, or holds
            objects ``weights_only=True`` refuses; the message names the path and the problem.
        TypeError: if ``path`` is not a str or path-like.

    Examples:
        >>> report = storage_report("model.safetensors")  # doctest: +SKIP
        >>> report.groups, report.unique_bytes  # doctest: +SKIP
        ((), 497774208)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    shown = os.fspath(path)
    file = Path(shown)
    if not file.exists():
        raise FileNotFoundError(f"{shown}: no such file")
    if not file.is_file():
        raise StorageReportError(f"{shown}: not a regular file")
    size = file.stat().st_size
    with open(file, "rb") as handle:
        head = handle.read(9)
    if file.suffix.lower() == ".safetensors":
        return _safetensors_report(file, shown)
    if not head.startswith(_TORCH_MAGICS) and looks_like_safetensors(head, size):
        return _safetensors_report(file, shown)
    if size == 0:
        raise StorageReportError(f"{shown}: empty file, not a checkpoint")
    if not head.startswith(_TORCH_MAGICS):
        raise StorageReportError(
            f"{shown}: neither a safetensors file nor a torch.save checkpoint "
            f"(it starts with {head[:8]!r})"
        )
    return _torch_report(file, shown)
