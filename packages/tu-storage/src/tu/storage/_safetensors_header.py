"""Read and check a .safetensors header without loading any tensor data (no torch needed).

The checks are those of the safetensors library (its Rust reader, 0.8), so that a header
accepted here opens there: the length prefix against the file size, UTF-8, strict JSON
(nesting, number ranges, escapes), the ``__metadata__`` str-to-str map, each tensor's dtype,
shape and data_offsets, the byte count (with its overflow checks), and data_offsets that
cover the data buffer exactly, in order, with no hole and no overlap. Duplicate JSON keys
are refused too, which safetensors 0.8 lets through (it keeps the last one).
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass
from typing import Any, NoReturn

#: Bits per element of the dtypes the safetensors library (0.8) knows.
DTYPE_BITS = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
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

#: Deepest JSON nesting (objects and arrays, the header object included) safetensors reads.
MAX_JSON_DEPTH = 127

_U64_MAX = (1 << 64) - 1
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


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


# JSON hooks: Python's json accepts what serde_json (safetensors) refuses, and fails on huge
# integers with a bare ValueError. These mirror serde_json: integers in the u64/i64 range
# stay ints, others become floats, out-of-range floats and NaN/Infinity are refused.


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise HeaderError(f"header JSON repeats the key {_short(key)}")
            seen.add(key)
    return result


def _parse_int(text: str) -> int | float:
    if text == "-0":
        return -0.0  # serde_json reads -0 as a float
    if len(text) <= 21:
        value = int(text)
        if _I64_MIN <= value <= _U64_MAX:
            return value
    return _parse_float(text)


def _parse_float(text: str) -> float:
    value = float(text)  # float() has no digit limit; huge literals become inf
    if value in (float("inf"), float("-inf")):
        raise HeaderError(f"header JSON number {_short(text)} is out of range")
    return value


def _parse_constant(text: str) -> NoReturn:
    raise HeaderError(f"header JSON holds {text}, which is not JSON")


def _short(text: str, limit: int = 60) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def _check_tree(header: object) -> None:
    """Nesting depth and strings (no lone surrogates), without recursion."""
    stack: list[tuple[object, int]] = [(header, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise HeaderError(f"header JSON string {_short(value)} holds a lone surrogate")
            continue
        if isinstance(value, dict):
            children: list[object] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise HeaderError(f"header JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def parse_header_json(raw: bytes) -> dict[str, Any]:
    """The header object, parsed as strictly as safetensors parses it.

    Raises:
        HeaderError: for invalid UTF-8 or JSON, duplicate keys, NaN/Infinity, numbers out of
            range, lone surrogates, nesting deeper than ``MAX_JSON_DEPTH``, or a non-object.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError(f"header is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        header = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except HeaderError:
        raise
    except RecursionError:
        raise HeaderError(f"header JSON is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # json.JSONDecodeError and int/float conversion failures
        raise HeaderError(f"header is not valid JSON ({exc})") from None
    _check_tree(header)
    if not isinstance(header, dict):
        raise HeaderError(f"header is a JSON {type(header).__name__}, expected an object")
    return header


def _u64(value: object) -> bool:
    return type(value) is int and 0 <= value <= _U64_MAX


def _entry(name: str, value: Any) -> Entry:
    if not isinstance(value, dict):
        raise HeaderError(
            f"entry {_short(name)} is a JSON {type(value).__name__}, expected an object"
        )
    for field in ("dtype", "shape", "data_offsets"):
        if field not in value:
            raise HeaderError(f"entry {_short(name)} has no {field!r}")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise HeaderError(
            f"entry {_short(name)} has dtype {dtype!r:.60}, expected one of {', '.join(DTYPE_BITS)}"
        )
    if not isinstance(shape, list) or not all(_u64(n) for n in shape):
        raise HeaderError(
            f"entry {_short(name)} has 'shape' {shape!r:.80}, expected a list of ints in [0, 2**64)"
        )
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_u64(n) for n in offsets):
        raise HeaderError(
            f"entry {_short(name)} has 'data_offsets' {offsets!r:.80}, expected [begin, end], "
            "ints in [0, 2**64)"
        )
    if any(n > _I64_MAX for n in shape):
        # safetensors reads such a header, but torch and numpy cannot make the tensor.
        raise HeaderError(
            f"entry {_short(name)} has a dimension over 2**63 - 1, which torch cannot index"
        )
    begin, end = offsets
    if end < begin:
        raise HeaderError(f"entry {_short(name)} has data_offsets [{begin}, {end}], end < begin")
    # safetensors multiplies in u64 from the left and refuses any overflow on the way.
    count = 1
    for n in shape:
        count *= n
        if count > _U64_MAX:
            raise HeaderError(f"entry {_short(name)}: the element count of shape overflows 64 bits")
    bits = count * DTYPE_BITS[dtype]
    if bits > _U64_MAX:
        raise HeaderError(
            f"entry {_short(name)}: the bit count of {dtype} x shape overflows 64 bits"
        )
    if bits % 8:
        raise HeaderError(
            f"entry {_short(name)} ({dtype}, shape {shape}) holds {bits} bits, not whole bytes"
        )
    if end - begin != bits // 8:
        raise HeaderError(
            f"entry {_short(name)} ({dtype}, shape {shape}) needs {bits // 8} bytes "
            f"but its data_offsets span {end - begin}"
        )
    return Entry(name, dtype, tuple(shape), begin, end)


def check_entries(header: dict[str, Any], data_size: int) -> list[Entry]:
    """The tensor entries of a parsed header, checked against a data buffer of ``data_size``."""
    metadata = header.get("__metadata__")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise HeaderError(
                f"'__metadata__' is a JSON {type(metadata).__name__}; it must be an object "
                "mapping str to str (or null)"
            )
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise HeaderError(
                    f"'__metadata__' maps {_short(key)} to a JSON "
                    f"{'null' if value is None else type(value).__name__}; it must map str to str"
                )
    entries = [_entry(name, value) for name, value in header.items() if name != "__metadata__"]
    reach = 0
    for entry in sorted(entries, key=lambda e: (e.begin, e.end)):
        if entry.begin != reach:
            where = "overlaps the tensor before it" if entry.begin < reach else "leaves a hole"
            raise HeaderError(
                f"entry {_short(entry.name)} starts at data byte {entry.begin} and {where} "
                f"(tensors must cover the data buffer contiguously from byte 0, expected "
                f"{reach})"
            )
        reach = entry.end
    if reach > data_size:
        last = max(entries, key=lambda e: (e.end, e.begin))
        raise HeaderError(
            f"truncated: tensor {_short(last.name)} needs data bytes up to {reach}, "
            f"the file holds {data_size}"
        )
    if reach < data_size:
        raise HeaderError(
            f"the tensors cover {reach} data bytes but the file holds {data_size} after the "
            "header (trailing bytes)"
        )
    return entries


def read_header(path: str | os.PathLike[str]) -> list[Entry]:
    """The tensor entries of a safetensors file, checked as safetensors checks them.

    Raises:
        HeaderError: with the reason, for anything safetensors refuses (and for duplicate
            JSON keys); ``OSError`` from reading the file passes through.
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
    header = parse_header_json(raw)
    return check_entries(header, file_size - 8 - length)
