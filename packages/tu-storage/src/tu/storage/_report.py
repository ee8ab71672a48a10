"""``storage_report``: shared tensors and byte counts of a checkpoint file, for ``tu storage``."""

from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tu.storage._safetensors_header import HeaderError, looks_like_safetensors, read_header
from tu.storage._walk import WalkError, named_leaves

if TYPE_CHECKING:
    import torch

Format = Literal["safetensors", "torch"]

# Leading bytes of torch.save's zip format and of its legacy pickle format (protocol 2).
_TORCH_MAGICS = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: Most contiguous runs all strided views of one torch checkpoint are split into together;
#: beyond it views are placed by their extents (which can only group more).
MAX_REPORT_RUNS = 1 << 16


class StorageReportError(ValueError):
    """A checkpoint could not be read: malformed, truncated, hostile, or refused by ``weights_only``.

    Every failure of :func:`storage_report` on an existing path is this error (a subclass of
    ``ValueError``); its message starts with the path, then says what is wrong. A missing path
    raises ``FileNotFoundError`` instead.

    Examples:
        >>> import os, tempfile
        >>> from tu.storage import StorageReportError, storage_report
        >>> path = os.path.join(tempfile.mkdtemp(), "empty.pt")
        >>> open(path, "wb").close()
        >>> try:
        ...     storage_report(path)
        ... except StorageReportError as exc:
        ...     print(str(exc).endswith("empty.pt: empty file, not a checkpoint"))
        True
    """


@dataclass(frozen=True)
class StorageReport:
    """What :func:`storage_report` found in one checkpoint file (frozen).

    Args:
        path: the file, as given.
        format: ``"safetensors"`` or ``"torch"``.
        tensor_count: number of named tensors (a tensor held under two names counts twice).
        total_bytes: bytes of all tensors, each counted in full (``numel * itemsize``).
        unique_bytes: bytes of memory the tensors occupy, shared bytes counted once.
        groups: the names of each group of tensors sharing memory, sorted, two or more per
            group; empty when nothing is shared (always, for a valid safetensors file).

    Examples:
        >>> from tu.storage import StorageReport
        >>> report = StorageReport("m.pt", "torch", 2, 32, 16, (("a", "b"),))
        >>> report.shared_bytes
        16
    """

    path: str
    format: Format
    tensor_count: int
    total_bytes: int
    unique_bytes: int
    groups: tuple[tuple[str, ...], ...]

    @property
    def shared_bytes(self) -> int:
        """Bytes saved by sharing: ``total_bytes - unique_bytes``.

        Returns:
            A non-negative int.

        Examples:
            >>> from tu.storage import StorageReport
            >>> StorageReport("m.pt", "torch", 1, 8, 8, ()).shared_bytes
            0
        """
        return self.total_bytes - self.unique_bytes

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for the groups), for ``tu storage --json``.

        Returns:
            ``{"path", "format", "tensor_count", "total_bytes", "unique_bytes",
            "shared_bytes", "groups"}``.

        Examples:
            >>> from tu.storage import StorageReport
            >>> StorageReport("m.pt", "torch", 2, 32, 16, (("a", "b"),)).to_dict()["groups"]
            [['a', 'b']]
        """
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
    total = sum(e.end - e.begin for e in entries)
    # A valid file's tensors tile the data buffer (checked), so nothing is shared.
    return StorageReport(
        path=shown,
        format="safetensors",
        tensor_count=len(entries),
        total_bytes=total,
        unique_bytes=total,
        groups=(),
    )


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
    if marker < 0:
        # Newer torch: "Weights only load failed. <advice>\n\nTrying to load unsupported GLOBAL ..."
        found = re.search(
            r"^.*unsupported (global|class).*$", message, re.IGNORECASE | re.MULTILINE
        )
        marker = found.start() if found else 0
    lines = [line.strip() for line in message[marker:].splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        # torch puts the actual reason on the line after the marker.
        lines = [f"{lines[0]} {lines[1]}"]
    text = lines[0].split(". ")[0] if lines else ""
    if len(text) > 240:
        text = text[:237] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _torch_report(path: str | os.PathLike[str], shown: str) -> StorageReport:
    import torch

    from tu.storage._overlap import analyse, layouts

    loaded = _load_torch(path, shown)
    try:
        named = named_leaves(loaded, lambda obj: isinstance(obj, torch.Tensor))
    except WalkError as exc:
        raise StorageReportError(f"{shown}: cannot walk the loaded checkpoint: {exc}") from None
    # One analysis per tensor object: a tensor held in many slots costs one layout.
    index: dict[int, int] = {}
    distinct: list[torch.Tensor] = []
    owner_of: list[int] = []
    for _, tensor in named:
        owner = index.setdefault(id(tensor), len(distinct))
        if owner == len(distinct):
            distinct.append(tensor)
        owner_of.append(owner)
    analysis = analyse(distinct, need_bytes=True, max_total_runs=MAX_REPORT_RUNS)
    group_of = {owner: g for g, members in enumerate(analysis.groups) for owner in members}
    by_group: dict[tuple[str, int], list[str]] = {}
    for (name, _), owner in zip(named, owner_of, strict=True):
        key = ("group", group_of[owner]) if owner in group_of else ("tensor", owner)
        by_group.setdefault(key, []).append(name)
    groups = tuple(
        sorted(
            tuple(sorted(names))
            for key, names in by_group.items()
            if len(names) > 1 and (key[0] == "group" or layouts(distinct[key[1]]))
        )
    )
    tensors = [tensor for _, tensor in named]
    meta_bytes = sum(t.nbytes for t in tensors if t.device.type == "meta")
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
    read from their header only: no tensor data is loaded and torch is not imported. The
    header is checked as the safetensors library checks it (so a file reported here opens
    there), plus duplicate JSON keys; a valid file's tensors tile its data buffer, so it
    has no shared group. Anything else is loaded with ``torch.load(weights_only=True,
    map_location="cpu")`` (memory-mapped for the zip format), which never unpickles code;
    nested dicts, lists and tuples are walked and their tensors named by dotted paths
    (``"model.layer.weight"``, ``"optimizer.state.0.exp_avg"``). Groups are computed as by
    :func:`find_shared_tensors`.

    The work is bounded by the file's size: the header at 100 MB and 127 levels of JSON
    nesting (safetensors' limits); the walk enters each container object once (a container
    reached again along another path keeps the names of its first path), refuses reference
    cycles, nesting deeper than 1000 containers and names longer than 2**26 characters in
    total, and splits all strided views together into at most 65 536 contiguous runs
    (views beyond that budget are placed by their extent, which can only group more).

    Args:
        path: a ``.safetensors`` file or a ``torch.save`` checkpoint.

    Returns:
        A frozen :class:`StorageReport`; ``to_dict()`` gives its JSON form.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        StorageReportError: for every other failure: a directory, an empty, malformed,
            truncated or unreadable file, a header safetensors would refuse, a checkpoint
            ``weights_only=True`` refuses, a cyclic or too deeply nested checkpoint. The
            message starts with the path and says what is wrong.
        TypeError: if ``path`` is not a str or path-like.

    Examples:
        >>> import os, tempfile, torch
        >>> from safetensors.torch import save_file
        >>> from tu.storage import storage_report
        >>> folder = tempfile.mkdtemp()
        >>> save_file({"a": torch.zeros(2, 3)}, os.path.join(folder, "m.safetensors"))
        >>> report = storage_report(os.path.join(folder, "m.safetensors"))
        >>> report.format, report.tensor_count, report.total_bytes, report.groups
        ('safetensors', 1, 24, ())
        >>> w = torch.zeros(4)
        >>> torch.save({"embed": w, "head": w}, os.path.join(folder, "tied.pt"))
        >>> storage_report(os.path.join(folder, "tied.pt")).groups
        (('embed', 'head'),)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    shown = os.fspath(path)
    file = Path(shown)
    if not file.exists():
        raise FileNotFoundError(f"{shown}: no such file")
    try:
        return _report(file, shown)
    except (StorageReportError, FileNotFoundError):
        raise
    except OSError as exc:
        raise StorageReportError(f"{shown}: cannot read the file: {exc}") from exc
    except Exception as exc:  # any other failure still names the file
        raise StorageReportError(
            f"{shown}: cannot report on this file: {type(exc).__name__}: {exc}"
        ) from exc


def _report(file: Path, shown: str) -> StorageReport:
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
