"""Attention-head pruning: which rows to keep, and coupled pruning of one attention block."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from tu.conv1d import is_conv1d
from tu.prune._errors import UnsupportedLayerError
from tu.prune._layers import prune_conv1d_layer, prune_linear_layer


def find_pruneable_heads_and_indices(
    heads: Iterable[int],
    n_heads: int,
    head_size: int,
    already_pruned_heads: Iterable[int] = frozenset(),
) -> tuple[set[int], torch.Tensor]:
    """Return the heads still to prune and the rows/columns to keep in the projections.

    Heads are numbered as in the unpruned model; ``n_heads`` is the current count, so the
    original count is ``n_heads + len(already_pruned_heads)``. Heads already pruned are dropped
    from the request, and the kept positions of the current weights account for them.

    Args:
        heads: Heads to prune (original numbering).
        n_heads: Number of heads the layers hold now.
        head_size: Size of each head.
        already_pruned_heads: Heads pruned earlier (original numbering).

    Returns:
        ``(heads, index)``: the set of heads to prune now, and a CPU int64 tensor of the kept
        positions, ascending, ``head_size`` per kept head.

    Raises:
        TypeError: an argument is not an int or an iterable of ints.
        ValueError: ``n_heads`` or ``head_size`` is negative.
        IndexError: a head is outside ``[0, n_heads + len(already_pruned_heads))``.

    Examples:
        >>> find_pruneable_heads_and_indices([0, 2], 4, 3, set())
        ({0, 2}, tensor([ 3,  4,  5,  9, 10, 11]))
    """
    n_heads = _count(n_heads, "n_heads")
    head_size = _count(head_size, "head_size")
    already = _head_set(already_pruned_heads, "already_pruned_heads")
    total = n_heads + len(already)
    _check_range(already, total, "already_pruned_heads")
    requested = _head_set(heads, "heads")
    _check_range(requested, total, "heads")
    to_prune = set(requested - already)
    alive = [head for head in range(total) if head not in already]
    kept = [position for position, head in enumerate(alive) if head not in to_prune]
    starts = torch.tensor(kept, dtype=torch.long).unsqueeze(1) * head_size
    index = (starts + torch.arange(head_size, dtype=torch.long)).reshape(-1)
    return to_prune, index


@dataclass(frozen=True)
class HeadPruning:
    """What :func:`prune_heads` returns.

    Attributes:
        q, k, v, qkv, out: The pruned layers, ``None`` where none was given. When no head is
            left to prune they are the very objects passed in.
        num_heads: Query heads left.
        num_key_value_heads: Key/value heads left (equal to ``num_heads`` without grouping).
        pruned_heads: Every pruned query head so far, original numbering (pass it back as
            ``already_pruned_heads``, or as ``heads`` to replay the plan on a fresh model).
        pruned_kv_heads: Every pruned key/value head so far, original numbering.
        newly_pruned_heads: Query heads pruned by this call.
        newly_pruned_kv_heads: Key/value heads pruned by this call.
        query_index: Kept positions of the query projection's output (and of the output
            projection's input), as indexed before this call.
        kv_index: Kept positions of the key and value projections' output.
    """

    q: nn.Module | None
    k: nn.Module | None
    v: nn.Module | None
    qkv: nn.Module | None
    out: nn.Module | None
    num_heads: int
    num_key_value_heads: int
    pruned_heads: frozenset[int]
    pruned_kv_heads: frozenset[int]
    newly_pruned_heads: frozenset[int]
    newly_pruned_kv_heads: frozenset[int]
    query_index: torch.Tensor
    kv_index: torch.Tensor


def prune_heads(
    heads: Iterable[int] = (),
    *,
    num_heads: int,
    head_size: int,
    q: nn.Module | None = None,
    k: nn.Module | None = None,
    v: nn.Module | None = None,
    qkv: nn.Module | None = None,
    out: nn.Module | None = None,
    already_pruned_heads: Iterable[int] = (),
    num_key_value_heads: int | None = None,
    kv_heads: Iterable[int] = (),
    already_pruned_kv_heads: Iterable[int] | None = None,
) -> HeadPruning:
    """Prune attention heads from the projections of one attention block, consistently.

    Each projection may be an ``nn.Linear`` or a Conv1D. Query/key/value projections lose the
    pruned heads' output features, the output projection loses the matching input features.
    ``qkv`` is a fused projection whose output is ``[query | key | value]`` (GPT-2's
    ``c_attn``; with grouping, key and value are ``num_key_value_heads`` heads each).

    With grouped-query attention, query head ``h`` reads key/value head
    ``h // (num_heads // num_key_value_heads)``. Pruning a key/value head (``kv_heads``) prunes
    every query head of its group; a group whose query heads are all pruned loses its
    key/value head. Every group left must keep the same number of query heads, otherwise the
    request is refused with a ``ValueError`` (the block could not be run any more).

    Args:
        heads: Query heads to prune (original numbering). Heads already pruned are ignored.
        num_heads: Query heads the layers hold now.
        head_size: Size of each head.
        q, k, v: Separate query, key and value projections (any subset).
        qkv: A fused projection; not together with ``q``, ``k`` or ``v``.
        out: The output projection.
        already_pruned_heads: Query heads pruned earlier (original numbering).
        num_key_value_heads: Key/value heads the layers hold now; ``None`` for plain
            multi-head attention (one key/value head per query head).
        kv_heads: Key/value heads to prune, with their query heads (original numbering).
        already_pruned_kv_heads: Key/value heads pruned earlier; defaults to
            ``already_pruned_heads`` without grouping and to none with it.

    Returns:
        A :class:`HeadPruning` with the new layers, counts and pruned-head sets. The layers
        passed in are not modified.

    Raises:
        TypeError: a counting argument or head is not an int.
        UnsupportedLayerError: a projection is neither an ``nn.Linear`` nor a Conv1D.
        ValueError: no projection, ``qkv`` together with ``q``/``k``/``v``, a projection of the
            wrong size, inconsistent head counts, or a request that breaks the grouping.
        IndexError: a head is out of range.

    Examples:
        >>> from tu.conv1d import Conv1D
        >>> result = prune_heads([1], num_heads=4, head_size=2, qkv=Conv1D(24, 8),
        ...                      out=Conv1D(8, 8))
        >>> result.qkv, result.out, result.num_heads, sorted(result.pruned_heads)
        (Conv1D(nf=18, nx=8), Conv1D(nf=8, nx=6), 3, [1])
    """
    num_heads = _count(num_heads, "num_heads")
    head_size = _count(head_size, "head_size")
    grouped = num_key_value_heads is not None
    num_kv = (
        num_heads
        if num_key_value_heads is None
        else _count(num_key_value_heads, "num_key_value_heads")
    )
    already_q = _head_set(already_pruned_heads, "already_pruned_heads")
    if already_pruned_kv_heads is None:
        already_kv = frozenset() if grouped else already_q
    else:
        already_kv = _head_set(already_pruned_kv_heads, "already_pruned_kv_heads")
    layers = {"q": q, "k": k, "v": v, "qkv": qkv, "out": out}
    _check_layers(layers)

    group_size = _check_grouping(num_heads, num_kv, already_q, already_kv)
    total_q, total_kv = num_heads + len(already_q), num_kv + len(already_kv)
    requested = _head_set(heads, "heads")
    _check_range(requested, total_q, "heads")
    requested_kv = _head_set(kv_heads, "kv_heads")
    _check_range(requested_kv, total_kv, "kv_heads")
    for group in requested_kv:
        requested |= set(range(group * group_size, (group + 1) * group_size))
    new_q = frozenset(requested - already_q)
    new_kv = _groups_emptied(new_q, already_q, already_kv, total_kv, group_size)

    _, query_index = find_pruneable_heads_and_indices(new_q, num_heads, head_size, already_q)
    _, kv_index = find_pruneable_heads_and_indices(new_kv, num_kv, head_size, already_kv)
    q_size, kv_size = num_heads * head_size, num_kv * head_size
    _check_sizes(layers, q_size, kv_size)
    if new_q:
        qkv_index = torch.cat([query_index, q_size + kv_index, q_size + kv_size + kv_index])
        q = _prune_side(q, query_index, output=True)
        k = _prune_side(k, kv_index, output=True)
        v = _prune_side(v, kv_index, output=True)
        qkv = _prune_side(qkv, qkv_index, output=True)
        out = _prune_side(out, query_index, output=False)
    return HeadPruning(
        q=q,
        k=k,
        v=v,
        qkv=qkv,
        out=out,
        num_heads=num_heads - len(new_q),
        num_key_value_heads=num_kv - len(new_kv),
        pruned_heads=frozenset(already_q | new_q),
        pruned_kv_heads=frozenset(already_kv | new_kv),
        newly_pruned_heads=new_q,
        newly_pruned_kv_heads=new_kv,
        query_index=query_index,
        kv_index=kv_index,
    )


def _check_grouping(
    num_heads: int, num_kv: int, already_q: frozenset[int], already_kv: frozenset[int]
) -> int:
    """Check the current and original grouping; return the original group size."""
    if num_kv == 0 and num_heads == 0:
        total_q, total_kv = len(already_q), len(already_kv)
    else:
        if num_kv == 0 or num_heads % num_kv:
            raise ValueError(
                f"num_heads ({num_heads}) must be a multiple of num_key_value_heads ({num_kv})"
            )
        total_q, total_kv = num_heads + len(already_q), num_kv + len(already_kv)
    _check_range(already_q, total_q, "already_pruned_heads")
    _check_range(already_kv, total_kv, "already_pruned_kv_heads")
    if total_kv == 0:
        if total_q:
            raise ValueError("already_pruned_kv_heads is empty but query heads exist")
        return 1
    if total_q % total_kv:
        raise ValueError(
            f"the original head counts ({total_q} query, {total_kv} key/value, from num_heads, "
            "num_key_value_heads and the already-pruned sets) do not form equal groups"
        )
    group_size = total_q // total_kv
    counts = _alive_per_group(already_q, total_q, group_size)
    for group in range(total_kv):
        alive = counts.get(group, 0)
        if group in already_kv and alive:
            raise ValueError(
                f"key/value head {group} is in already_pruned_kv_heads but {alive} of its query "
                "heads are not in already_pruned_heads"
            )
        if group not in already_kv and num_kv and alive != num_heads // num_kv:
            raise ValueError(
                f"key/value head {group} has {alive} query heads left after already_pruned_heads,"
                f" expected num_heads // num_key_value_heads = {num_heads // num_kv}"
            )
    return group_size


def _groups_emptied(
    new_q: frozenset[int],
    already_q: frozenset[int],
    already_kv: frozenset[int],
    total_kv: int,
    group_size: int,
) -> frozenset[int]:
    """Return the key/value heads left without query heads; refuse unequal groups."""
    gone = already_q | new_q
    left = _alive_per_group(gone, total_kv * group_size, group_size)
    emptied = frozenset(
        group for group in range(total_kv) if group not in already_kv and not left.get(group)
    )
    sizes = {group: count for group, count in left.items() if count}
    if len(set(sizes.values())) > 1:
        raise ValueError(
            "pruning these heads would leave key/value groups with unequal numbers of query "
            f"heads (group: heads left {dict(sorted(sizes.items()))}); grouped-query attention "
            "needs every group to keep the same number: prune as many heads from every group, "
            "or whole groups (kv_heads=...)"
        )
    return emptied


def _alive_per_group(gone: Iterable[int], total_q: int, group_size: int) -> dict[int, int]:
    gone_set = set(gone)
    counts: dict[int, int] = {}
    for head in range(total_q):
        if head not in gone_set:
            counts[head // group_size] = counts.get(head // group_size, 0) + 1
    return counts


def _check_layers(layers: dict[str, nn.Module | None]) -> None:
    given = {name: layer for name, layer in layers.items() if layer is not None}
    if not given:
        raise ValueError("prune_heads needs at least one of q, k, v, qkv, out")
    if "qkv" in given and {"q", "k", "v"} & given.keys():
        raise ValueError("pass either qkv (a fused projection) or q/k/v, not both")
    for name, layer in given.items():
        if not (isinstance(layer, nn.Linear) or is_conv1d(layer)):
            raise UnsupportedLayerError(
                f"{name} must be a torch.nn.Linear or a Conv1D, got {type(layer).__qualname__}"
            )


def _features(layer: nn.Module, *, output: bool) -> int:
    """Output (or input) features of a Linear (weight out x in) or Conv1D (weight in x out)."""
    weight = layer.weight
    assert isinstance(weight, torch.Tensor)
    axis = (0 if output else 1) if isinstance(layer, nn.Linear) else (1 if output else 0)
    return int(weight.shape[axis])


def _check_sizes(layers: dict[str, nn.Module | None], q_size: int, kv_size: int) -> None:
    expected = {
        "q": (q_size, True, "num_heads * head_size"),
        "k": (kv_size, True, "num_key_value_heads * head_size"),
        "v": (kv_size, True, "num_key_value_heads * head_size"),
        "qkv": (q_size + 2 * kv_size, True, "(num_heads + 2 * num_key_value_heads) * head_size"),
        "out": (q_size, False, "num_heads * head_size"),
    }
    for name, layer in layers.items():
        if layer is None:
            continue
        size, output, formula = expected[name]
        actual = _features(layer, output=output)
        if actual != size:
            side = "output" if output else "input"
            raise ValueError(f"{name} has {actual} {side} features, expected {formula} = {size}")


def _prune_side(layer: nn.Module | None, index: torch.Tensor, *, output: bool) -> nn.Module | None:
    if layer is None:
        return None
    if isinstance(layer, nn.Linear):
        return prune_linear_layer(layer, index, dim=0 if output else 1)
    return prune_conv1d_layer(layer, index, dim=1 if output else 0)


def _count(value: int, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        count = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__qualname__}") from None
    if count < 0:
        raise ValueError(f"{name} must be >= 0, got {count}")
    return count


def _head_set(heads: Iterable[int], name: str) -> frozenset[int]:
    if isinstance(heads, (str, bytes, int)) or not isinstance(heads, Iterable):
        raise TypeError(f"{name} must be an iterable of ints, got {type(heads).__qualname__}")
    result = set()
    try:
        items = list(heads)
    except TypeError:
        kind = type(heads).__qualname__
        raise TypeError(f"{name} must be an iterable of ints, got {kind}") from None
    for head in items:
        if isinstance(head, bool):
            raise TypeError(f"{name} must hold ints, got a bool")
        try:
            result.add(operator.index(head))
        except TypeError:
            raise TypeError(f"{name} must hold ints, got {type(head).__qualname__}") from None
    return frozenset(result)


def _check_range(heads: Iterable[int], total: int, name: str) -> None:
    bad = sorted(head for head in heads if not 0 <= head < total)
    if bad:
        raise IndexError(f"{name} must be in [0, {total}), got {bad}")
