"""Read and check a .safetensors header without loading any tensor data (no torch needed)."""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from math import prod
from typing import Any

#: Bits per element of the dtypes of the safetensors format.
DTYPE_BITS = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}

#: The safetensors library refuses headers larger than this.
MAX_HEADER_BYTES = 100_000_000


class HeaderError(ValueError):
    """The file is not a well-formed safetensors file; the message says why."""


@dataclass(frozen=True)
class Entry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int  # byte offsets in the data buffer, half-open
    end: int


def looks_like_safetensors(head: bytes, file_size: int) -> bool:
    """Sniff: an 8-byte little-endian length that fits the file, then ``{``."""
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= min(MAX_HEADER_BYTES, file_size - 8) and head[8:9] == b"{"


def _entry(name: str, value: Any) -> Entry:
    if not isinstance(value, dict):
        raise HeaderError(f"entry {name!r} is a {type(value).__name__}, expected an object")
    dtype, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
    if not isinstance(dtype, str):
        raise HeaderError(f"entry {name!r} has no str 'dtype'")
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise HeaderError(f"entry {name!r} has 'shape' {shape!r}, expected non-negative ints")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise HeaderError(
            f"entry {name!r} has 'data_offsets' {offsets!r}, expected [begin, end] with "
            "0 <= begin <= end"
        )
    begin, end = offsets
    bits = DTYPE_BITS.get(dtype)
    if bits is not None:
        expected_bits = prod(shape) * bits
        if expected_bits % 8 or end - begin != expected_bits // 8:
            raise HeaderError(
                f"entry {name!r} ({dtype}, shape {shape}) needs {expected_bits / 8:g} bytes "
                f"but its data_offsets span {end - begin}"
            )
    return Entry(name, dtype, tuple(shape), begin, end)


def read_header(path: str | os.PathLike[str]) -> list[Entry]:
    """The tensor entries of a safetensors file, checked against the file's size.

    Checked: the length prefix, the JSON object, each entry's dtype/shape/data_offsets,
    the byte count each known dtype and shape needs, and that every tensor's bytes lie
    inside the file. Unknown dtypes are accepted with their offsets taken as given.

    Raises:
        HeaderError: with the reason, for any of the above.
    """
    file_size = os.path.getsize(path)
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise HeaderError(
                f"truncated: {file_size} bytes, shorter than the 8-byte header length"
            )
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES:
            raise HeaderError(f"header length {length} exceeds the {MAX_HEADER_BYTES}-byte limit")
        if 8 + length > file_size:
            raise HeaderError(
                f"truncated: the header needs {length} bytes after the length prefix, "
                f"the file has {file_size - 8}"
            )
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeaderError(f"header is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(header, dict):
        raise HeaderError(f"header is a JSON {type(header).__name__}, expected an object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not isinstance(metadata, dict):
        raise HeaderError("'__metadata__' is not an object")
    entries = [_entry(name, value) for name, value in header.items()]
    data_size = file_size - 8 - length
    for entry in entries:
        if entry.end > data_size:
            raise HeaderError(
                f"truncated: tensor {entry.name!r} needs data bytes up to {entry.end}, "
                f"the file holds {data_size}"
            )
    return entries
