"""Import cost of tu.versions beside transformers.pytorch_utils, each in fresh interpreters.

Target (issue 2): `import tu.versions` costs at most 30 ms in a fresh interpreter.
"""

from __future__ import annotations

import argparse

from _timing import import_cost, module_available, print_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 runs per figure instead of 9")
    parser.add_argument("--runs", type=int, default=None, help="fresh interpreters per figure")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 9)

    _, tu_alone = import_cost("import tu.versions", runs=runs)
    torch_alone, tu_after_torch = import_cost(
        "import tu.versions", before="import torch", runs=runs
    )
    rows: list[list[object]] = [
        ["import tu.versions (fresh interpreter)", f"{tu_alone * 1e3:.1f}", "target <= 30 ms"],
        ["import torch", f"{torch_alone * 1e3:.1f}", ""],
        ["import tu.versions after torch", f"{tu_after_torch * 1e3:.1f}", ""],
    ]
    if module_available("transformers"):
        import transformers

        _, tf_after_torch = import_cost(
            "import transformers.pytorch_utils", before="import torch", runs=runs
        )
        rows.append(
            [
                f"import transformers.pytorch_utils after torch ({transformers.__version__})",
                f"{tf_after_torch * 1e3:.1f}",
                f"{tf_after_torch / tu_after_torch:.0f}x tu.versions",
            ]
        )
    else:
        rows.append(["transformers not installed", "-", "run in the bench env to compare"])
    print_table(f"Import cost, median of {runs} fresh interpreters", ["what", "ms", "note"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
