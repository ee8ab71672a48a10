"""Import cost of tu.versions and tu.all beside transformers.pytorch_utils, in fresh interpreters.

Targets: `import tu.versions` costs at most 30 ms in a fresh interpreter (foundation issue);
`import tu.all` over `import torch` costs at most 1/20 of what `import transformers.pytorch_utils`
adds (tu-all issue). tu.all loads each package on first use of one of its names, so the
cost of loading every name (`from tu.all import *`) is printed too.
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

    _, versions_alone = import_cost("import tu.versions", runs=runs)
    torch_alone, versions = import_cost("import tu.versions", before="import torch", runs=runs)
    _, tu_all = import_cost("import tu.all", before="import torch", runs=runs)
    _, every_name = import_cost("from tu.all import *", before="import torch", runs=runs)
    theirs = None
    label = "transformers not installed: run in the bench env to compare"
    if module_available("transformers"):
        import transformers

        _, theirs = import_cost(
            "import transformers.pytorch_utils", before="import torch", runs=runs
        )
        label = f"import transformers.pytorch_utils ({transformers.__version__}), after torch"

    def ratio(seconds: float, target: str = "") -> str:
        if theirs is None:
            return ""
        return f"{seconds / theirs:.3f}x transformers" + (
            f" (target <= {target})" if target else ""
        )

    rows: list[list[object]] = [
        ["import tu.versions, fresh interpreter", f"{versions_alone * 1e3:.1f}", "target <= 30 ms"],
        ["import torch", f"{torch_alone * 1e3:.1f}", ""],
        ["import tu.versions, after torch", f"{versions * 1e3:.1f}", ratio(versions)],
        ["import tu.all, after torch", f"{tu_all * 1e3:.1f}", ratio(tu_all, "0.050x")],
        [
            "from tu.all import * (every package), after torch",
            f"{every_name * 1e3:.1f}",
            ratio(every_name),
        ],
        [label, f"{theirs * 1e3:.1f}" if theirs is not None else "-", ""],
    ]
    print_table(f"Import cost, median of {runs} fresh interpreters", ["what", "ms", "note"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
