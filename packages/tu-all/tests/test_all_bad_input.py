"""Bad input to tu.all's own helpers: a TypeError naming the argument; ``__getattr__`` safety.

Re-exported names are tested in their home packages; the table covers every name that
tu.all defines itself (a new one without an entry fails ``test_table_covers_own_names``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import tu.all
from tu.all._exports import MODULE_OF

MODEL = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))

NORM_LAYERS_BAD = [
    None,
    "LayerNorm",
    b"LayerNorm",
    ["LayerNorm"],
    nn.LayerNorm,  # a single class, not a list of them
    [nn.LayerNorm(4)],
    [int],
    (nn.LayerNorm, "RMSNorm"),
    5,
]

BAD: dict[str, list[tuple[tuple[Any, ...], dict[str, Any], str]]] = {
    "decay_parameter_names": [
        *(((v,), {}, "model") for v in (None, "m", nn.Linear, {"w": 1})),
        *(((MODEL,), {"norm_layers": v}, "norm_layers") for v in NORM_LAYERS_BAD),
        *(((MODEL,), {"match_class_names": v}, "match_class_names") for v in ("no", 1, None)),
        *(((MODEL,), {"exclude_biases": v}, "exclude_biases") for v in ("no", 0, None)),
    ],
    "is_norm_layer": [
        *(((v,), {}, "module") for v in (None, nn.LayerNorm, "LayerNorm")),
        *(((nn.LayerNorm(2),), {"norm_layers": v}, "norm_layers") for v in NORM_LAYERS_BAD),
        *(((nn.LayerNorm(2),), {"match_class_names": v}, "match_class_names") for v in ("y", 1)),
    ],
}
NO_ARGUMENTS = {"backfill_transformers"}
NOT_CALLABLE = {"ALL_LAYERNORM_LAYERS", "NORM_LAYERS"}


def test_table_covers_own_names() -> None:
    own = {name for name, module in MODULE_OF.items() if module.startswith("tu.all")}
    assert set(BAD) | NO_ARGUMENTS | NOT_CALLABLE == own


CASES = [
    pytest.param(name, args, kwargs, argument, id=f"{name}-{argument}-{i}")
    for name, rows in BAD.items()
    for i, (args, kwargs, argument) in enumerate(rows)
]


@pytest.mark.parametrize(("name", "args", "kwargs", "argument"), CASES)
def test_bad_input_is_a_type_error_naming_the_argument(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(TypeError) as caught:
        getattr(tu.all, name)(*args, **kwargs)
    message = str(caught.value)
    assert re.search(rf"\b{argument}\b", message), f"{message!r} does not name {argument!r}"
    assert len(message) < 400


def test_norm_layers_error_says_what_is_expected() -> None:
    with pytest.raises(TypeError, match=r"norm_layers must be a list or tuple of torch\.nn"):
        tu.all.decay_parameter_names(MODEL, norm_layers=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="it holds 'LayerNorm'"):
        tu.all.decay_parameter_names(MODEL, norm_layers=["LayerNorm"])  # type: ignore[list-item]


def test_any_iterable_of_module_classes_is_accepted() -> None:
    expected = ["0.weight"]
    for layers in ([nn.LayerNorm], (nn.LayerNorm,), {nn.LayerNorm}, iter([nn.LayerNorm])):
        assert tu.all.decay_parameter_names(MODEL, norm_layers=layers) == expected
    assert tu.all.decay_parameter_names(MODEL, norm_layers=[], match_class_names=False) == [
        "0.weight",
        "1.weight",
    ]


def test_backfill_takes_no_arguments() -> None:
    with pytest.raises(TypeError):
        tu.all.backfill_transformers(True)  # type: ignore[call-arg]


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=60),
        st.integers(1, 6000).map(lambda n: f"is_torch_greater_or_equal_than_{'9' * n}_0"),
        st.from_regex(r"is_torch_(less_than|greater_or_equal_than)_[0-9٢]{0,9}_?[0-9]{0,9}"),
    )
)
def test_module_getattr_raises_only_attribute_error(name: str) -> None:
    try:
        value = tu.all.__getattr__(name)
    except AttributeError:
        return
    assert name in MODULE_OF or isinstance(value, bool)
