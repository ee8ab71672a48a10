"""Attention-head pruning: which rows to keep, and coupled pruning of one attention block."""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from tu.conv1d import is_conv1d
from tu.prune._errors import UnsupportedLayerError
from tu.prune._index import MAX_INDEX_NUMEL, check_count, check_range_object, is_bool
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

    Work and memory grow with the number of heads passed and with the size of the result,
    never with ``n_heads`` or ``head_size`` alone.

    Args:
        heads: Heads to prune (original numbering): any iterable of ints (list, set, range,
            integer tensor, NumPy array).
        n_heads: Number of heads the layers hold now.
        head_size: Size of each head.
        already_pruned_heads: Heads pruned earlier (original numbering), any iterable of ints.

    Returns:
        ``(heads, index)``: the set of heads to prune now (plain ints), and a CPU int64 tensor of
        the kept positions, ascending, ``head_size`` per kept head.

    Raises:
        TypeError: ``n_heads`` or ``head_size`` is not an int (a bool included), or ``heads`` /
            ``already_pruned_heads`` is not an iterable of ints.
        ValueError: ``n_heads`` or ``head_size`` is negative, or ``n_heads * head_size`` is more
            positions than an int64 tensor can hold (``(2**63 - 1) // 8``).
        IndexError: a head is outside ``[0, n_heads + len(already_pruned_heads))``.

    Examples:
        >>> from tu.prune import find_pruneable_heads_and_indices
        >>> find_pruneable_heads_and_indices([0, 2], 4, 3, set())
        ({0, 2}, tensor([ 3,  4,  5,  9, 10, 11]))
    """
    n_heads = check_count(n_heads, "n_heads")
    head_size = check_count(head_size, "head_size")
    check_index_size(n_heads, head_size)
    already = _head_set(already_pruned_heads, "already_pruned_heads", extra=n_heads)
    total = n_heads + len(already)
    _check_range(already, total, "already_pruned_heads")
    requested = _head_set(heads, "heads", bound=total)
    _check_range(requested, total, "heads")
    to_prune = set(requested - already)
    return to_prune, _kept_positions(to_prune, already, n_heads, head_size)


def check_index_size(n_heads: int, head_size: int, names: str = "n_heads * head_size") -> None:
    """Refuse a layout with more positions than an int64 index tensor can hold."""
    if n_heads * head_size > MAX_INDEX_NUMEL:
        raise ValueError(
            f"{names} = {n_heads * head_size} positions is more than an int64 tensor can hold"
            f" ((2**63 - 1) // 8 = {MAX_INDEX_NUMEL})"
        )


def _kept_positions(
    to_prune: set[int], already: frozenset[int], n_heads: int, head_size: int
) -> torch.Tensor:
    """Positions of the current layout kept after pruning ``to_prune``, in O(result + heads)."""
    kept = n_heads - len(to_prune)
    if head_size == 0 or kept == 0:
        return torch.empty(0, dtype=torch.long)
    # The result first: a size past this machine's memory fails here, before any other work.
    try:
        index = torch.empty(kept, head_size, dtype=torch.long)
    except RuntimeError as error:  # the allocator's refusal, as a ValueError naming the sizes
        raise ValueError(
            f"n_heads={n_heads} and head_size={head_size} keep {kept * head_size} positions:"
            " an int64 index that large does not fit in memory"
        ) from error
    earlier = sorted(already)
    # A head's place in the current layout: its number less the pruned heads before it.
    gone = [head - bisect.bisect_left(earlier, head) for head in to_prune]
    # n_heads <= kept heads + len(to_prune): this mask is no larger than the result plus input.
    alive = torch.ones(n_heads, dtype=torch.bool)
    if gone:
        alive[torch.tensor(gone, dtype=torch.long)] = False
    starts = alive.nonzero().reshape(-1, 1) * head_size
    del alive
    torch.add(starts, torch.arange(head_size, dtype=torch.long), out=index)
    return index.reshape(-1)


@dataclass(frozen=True)
class HeadPruning:
    """What :func:`prune_heads` returns.

    Attributes:
        q: The pruned query projection, ``None`` where none was given. When no head is left to
            prune, the very object passed in (as for the other layers).
        k: The pruned key projection, or ``None``.
        v: The pruned value projection, or ``None``.
        qkv: The pruned fused projection, or ``None``.
        out: The pruned output projection, or ``None``.
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

    Examples:
        >>> from torch import nn
        >>> from tu.prune import HeadPruning, prune_heads
        >>> result = prune_heads([0], num_heads=2, head_size=3, q=nn.Linear(4, 6))
        >>> isinstance(result, HeadPruning), result.q, sorted(result.pruned_heads)
        (True, Linear(in_features=4, out_features=3, bias=True), [0])
        >>> result.query_index
        tensor([3, 4, 5])
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

    Work grows with the head sets passed and the layers' sizes, never with the head counts
    alone: the sizes are checked against the layers before any work per head.

    Args:
        heads: Query heads to prune (original numbering), any iterable of ints. Heads already
            pruned are ignored.
        num_heads: Query heads the layers hold now (an int, never a bool).
        head_size: Size of each head.
        q: Separate query projection (``q``, ``k`` and ``v``: any subset).
        k: Separate key projection.
        v: Separate value projection.
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
        TypeError: a counting argument or head is not an int (a bool included), or a head
            argument is not an iterable of ints.
        UnsupportedLayerError: a projection is neither an ``nn.Linear`` nor a Conv1D.
        ValueError: a negative count, no projection, ``qkv`` together with ``q``/``k``/``v``, a
            projection of the wrong size, inconsistent head counts, or a request that breaks the
            grouping.
        IndexError: a head is out of range.

    Examples:
        >>> from tu.conv1d import Conv1D
        >>> from tu.prune import prune_heads
        >>> result = prune_heads([1], num_heads=4, head_size=2, qkv=Conv1D(24, 8),
        ...                      out=Conv1D(8, 8))
        >>> result.qkv, result.out, result.num_heads, sorted(result.pruned_heads)
        (Conv1D(nf=18, nx=8), Conv1D(nf=8, nx=6), 3, [1])
    """
    num_heads = check_count(num_heads, "num_heads")
    head_size = check_count(head_size, "head_size")
    grouped = num_key_value_heads is not None
    num_kv = (
        num_heads
        if num_key_value_heads is None
        else check_count(num_key_value_heads, "num_key_value_heads")
    )
    check_index_size(num_heads, head_size, "num_heads * head_size")
    check_index_size(num_kv, head_size, "num_key_value_heads * head_size")
    already_q = _head_set(already_pruned_heads, "already_pruned_heads", extra=num_heads)
    if already_pruned_kv_heads is None:
        already_kv = frozenset() if grouped else already_q
    else:
        already_kv = _head_set(already_pruned_kv_heads, "already_pruned_kv_heads", extra=num_kv)
    layers = {"q": q, "k": k, "v": v, "qkv": qkv, "out": out}
    _check_layers(layers)

    group_size = _check_grouping(num_heads, num_kv, already_q, already_kv)
    total_q, total_kv = num_heads + len(already_q), num_kv + len(already_kv)
    requested = set(_head_set(heads, "heads", bound=total_q))
    _check_range(requested, total_q, "heads")
    requested_kv = _head_set(kv_heads, "kv_heads", bound=total_kv)
    _check_range(requested_kv, total_kv, "kv_heads")
    for group in requested_kv:
        requested |= set(range(group * group_size, (group + 1) * group_size))
    new_q = frozenset(requested - already_q)
    new_kv = _groups_emptied(new_q, already_q, already_kv, total_kv, group_size)
    q_size, kv_size = num_heads * head_size, num_kv * head_size
    _check_sizes(layers, q_size, kv_size)  # before any work that grows with the head counts

    _, query_index = find_pruneable_heads_and_indices(new_q, num_heads, head_size, already_q)
    _, kv_index = find_pruneable_heads_and_indices(new_kv, num_kv, head_size, already_kv)
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
    """Check the current and original grouping; return the original group size.

    Work grows with the already-pruned sets, not with the head counts: groups that lost no
    query head all hold ``group_size`` of them and are checked once, as one.
    """
    if num_kv == 0 and num_heads == 0:
        total_q, total_kv = len(already_q), len(already_kv)
    else:
        if num_kv == 0 or num_heads == 0 or num_heads % num_kv:
            raise ValueError(
                f"num_heads ({num_heads}) must be a positive multiple of num_key_value_heads"
                f" ({num_kv}) (or both 0)"
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
    counts = _alive_in_touched_groups(already_q, group_size)
    candidates = set(counts) | already_kv
    untouched = _first_untouched_group(candidates, total_kv)
    if untouched is not None:
        candidates.add(untouched)
    for group in sorted(candidates):
        alive = counts.get(group, group_size)
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
    left = _alive_in_touched_groups(already_q | new_q, group_size)
    emptied = frozenset(group for group, count in left.items() if not count) - already_kv
    sizes = {group: count for group, count in left.items() if count}
    untouched = _first_untouched_group(set(left), total_kv)
    if untouched is not None:  # a group that lost no query head keeps all of them
        sizes[untouched] = group_size
    if len(set(sizes.values())) > 1:
        shown = dict(sorted(sizes.items())[:16])
        raise ValueError(
            "pruning these heads would leave key/value groups with unequal numbers of query "
            f"heads (group: heads left {shown}"
            f"{'' if untouched is None else f', and every group not listed: {group_size}'}); "
            "grouped-query attention needs every group to keep the same number: prune as many "
            "heads from every group, or whole groups (kv_heads=...)"
        )
    return emptied


def _alive_in_touched_groups(gone: Iterable[int], group_size: int) -> dict[int, int]:
    """Query heads left in each group that lost at least one (the others keep ``group_size``)."""
    counts: dict[int, int] = {}
    for head in gone:
        group = head // group_size
        counts[group] = counts.get(group, group_size) - 1
    return counts


def _first_untouched_group(touched: set[int], total_kv: int) -> int | None:
    """The lowest group outside ``touched``, found in O(len(touched))."""
    for group in range(min(total_kv, len(touched) + 1)):
        if group not in touched:
            return group
    return None


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


def _head_set(
    heads: Iterable[int], name: str, *, bound: int | None = None, extra: int | None = None
) -> frozenset[int]:
    """Read ``heads`` into a set of ints.

    A ``range`` is bounds-checked first, in O(1), against ``[0, bound)`` (or, for an
    already-pruned set, ``[0, extra + len(range))``), so a huge out-of-range one fails at once.
    """
    if is_bool(heads) or isinstance(heads, (str, bytes, int)) or not isinstance(heads, Iterable):
        raise TypeError(f"{name} must be an iterable of ints, got {type(heads).__qualname__}")
    if isinstance(heads, range):
        limit = bound if bound is not None else None if extra is None else extra + len(heads)
        if limit is not None:
            check_range_object(heads, limit, name)
        return frozenset(heads)
    if isinstance(heads, torch.Tensor):
        if heads.dtype == torch.bool or heads.is_floating_point() or heads.is_complex():
            raise TypeError(f"{name} must hold ints, got a {heads.dtype} tensor")
        if heads.dim() != 1:
            raise TypeError(
                f"{name} must be a 1-D iterable of ints, got shape {tuple(heads.shape)}"
            )
        return frozenset(int(head) for head in heads.tolist())
    try:
        items: list[object] = list(heads)
    except TypeError:
        kind = type(heads).__qualname__
        raise TypeError(f"{name} must be an iterable of ints, got {kind}") from None
    result = set()
    for head in items:
        if is_bool(head):
            raise TypeError(f"{name} must hold ints, got a bool")
        if isinstance(head, torch.Tensor) and head.dim() != 0:
            raise TypeError(f"{name} must hold ints, got a {head.dim()}-D tensor")
        try:
            result.add(operator.index(head))  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"{name} must hold ints, got {type(head).__qualname__}") from None
    return frozenset(result)


def _check_range(heads: Iterable[int], total: int, name: str) -> None:
    bad = sorted(head for head in heads if not 0 <= head < total)
    if bad:
        shown = bad if len(bad) <= 8 else [*bad[:4], "...", *bad[-2:]]
        raise IndexError(f"{name} must be in [0, {total}), got {shown}".replace("'...'", "..."))
