"""The alias map of removed shared tensors inside a checkpoint's str-to-str metadata.

safetensors metadata is one flat ``dict[str, str]`` that other tools write to as well
(transformers' ``save_pretrained`` writes ``{"format": "pt"}``). The map therefore lives
under one reserved key, :data:`SHARED_METADATA_KEY`, as a JSON object, beside any other keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

SHARED_METADATA_KEY = "tu.shared"
"""The metadata key `shared_metadata` stores the ``removed -> kept`` map under (as JSON)."""

#: Longest stored map (characters of JSON) that is read back.
MAX_SHARED_JSON_CHARS = 100_000_000


def _check_str_map(value: object, argument: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{argument} must be a mapping of str to str, got {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{argument} must map str to str, got {key!r:.60}: {item!r:.60}")
    return dict(value)


def shared_metadata(
    removed: Mapping[str, str], metadata: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Metadata for ``safetensors`` that carries the alias map beside other keys.

    The ``removed name -> kept name`` map of :func:`remove_shared_duplicates` is stored as
    JSON under :data:`SHARED_METADATA_KEY` (``"tu.shared"``); every key of ``metadata``
    (such as transformers' ``{"format": "pt"}``) is kept. Pass the file's
    ``safe_open(...).metadata()`` to :func:`restore_shared_duplicates` to tie the names again.

    Args:
        removed: the ``removed name -> kept name`` map of :func:`remove_shared_duplicates`.
        metadata: other metadata to keep (str to str), or ``None``; not modified.

    Returns:
        A new ``dict[str, str]``: ``metadata``'s items plus ``"tu.shared"``.

    Raises:
        TypeError: if ``removed`` or ``metadata`` is not a mapping of str to str.
        ValueError: if ``metadata`` already holds ``"tu.shared"``.

    Examples:
        >>> from tu.storage import shared_metadata
        >>> shared_metadata({"head.weight": "embed.weight"}, {"format": "pt"})
        {'format': 'pt', 'tu.shared': '{"head.weight":"embed.weight"}'}
    """
    aliases = _check_str_map(removed, "removed")
    merged = {} if metadata is None else _check_str_map(metadata, "metadata")
    if SHARED_METADATA_KEY in merged:
        raise ValueError(
            f"metadata already holds {SHARED_METADATA_KEY!r}; pass the other keys only "
            "(shared_metadata adds the alias map itself)"
        )
    merged[SHARED_METADATA_KEY] = json.dumps(aliases, separators=(",", ":"))
    return merged


def aliases_from(removed: Mapping[str, str] | None) -> dict[str, str]:
    """The alias map in ``removed``: a file's metadata holding ``"tu.shared"``, a plain map, or None.

    Raises:
        TypeError: if ``removed`` is not a mapping of str to str (or None).
        ValueError: if the value under ``"tu.shared"`` is not a JSON object of str to str.
    """
    if removed is None:
        return {}
    plain = _check_str_map(removed, "removed")
    stored = plain.get(SHARED_METADATA_KEY)
    if stored is None:
        return plain
    where = f"removed[{SHARED_METADATA_KEY!r}]"
    if len(stored) > MAX_SHARED_JSON_CHARS:
        raise ValueError(f"{where} holds {len(stored)} characters, over {MAX_SHARED_JSON_CHARS}")
    try:
        aliases = json.loads(stored)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ValueError(
            f"{where} is not the JSON alias map shared_metadata writes: {reason}"
        ) from None
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise ValueError(
            f"{where} must be a JSON object mapping removed names to kept names (str to str), "
            f"got {stored:.80}"
        )
    return aliases
