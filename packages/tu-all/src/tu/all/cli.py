"""The `tu` command.

Exit codes follow convention: 0 success, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


_FORMAT = argparse.RawDescriptionHelpFormatter

_TU_DESCRIPTION = """\
tu: the helpers of transformers.pytorch_utils, re-homed in small packages.

Commands:
  env      what this machine has: Python, torch and its build, backends, version flags
           and the installed tu packages
  storage  which tensors of a checkpoint file share memory, and how many bytes that saves
  demo     every tu package on a small GPT-2-style model, checked step by step

Exit codes: 0 success, 1 failure, 2 usage error. 'tu COMMAND --help' tells more."""

_TU_EPILOG = """\
examples:
  tu env                       report this machine
  tu storage model.safetensors shared tensors of a checkpoint
  tu demo --quick              the demo on a smaller model (about a second)
  python -m tu.all env --json  the same command, without the script"""

_ENV_DESCRIPTION = """\
Report what tu runs on: Python's version and executable, the platform, torch's version and
build (CPU, CUDA or ROCm), CUDA availability and devices, the MPS/XPU/NPU/HPU/XLA/distributed
backends, the nine is_torch_greater_or_equal_than_* flags and every installed tu distribution's
version. Works without torch (it then says torch is not installed)."""

_ENV_EPILOG = """\
examples:
  tu env                               a readable report, for a bug report
  tu env --json > env.json             the same as JSON"""

_STORAGE_DESCRIPTION = """\
Report which tensors of a checkpoint share memory (tied weights, views), with the total bytes
(each tensor counted in full), the unique bytes (shared memory counted once) and the shared
bytes (the difference). A safetensors file (by its .safetensors suffix or its header) is read
from its header only, no tensor data; the format forbids shared tensors, so a valid one reports
no group. Any other file is loaded as a torch checkpoint with torch.load(weights_only=True), so
no code is unpickled. A missing, malformed or refused file is a one-line error and exit code 1."""

_STORAGE_EPILOG = """\
examples:
  tu storage model.safetensors         groups of shared tensors and byte counts
  tu storage pytorch_model.bin --json  the same as JSON"""

_DEMO_DESCRIPTION = """\
Build a small GPT-2-style model from tu's Conv1D with its LM head tied to the token embedding,
then, step by step: prune half the attention heads (tu-prune) and check that the logits equal
the full model's with those heads masked; chunk every MLP (tu-chunk) and check the logits and
state-dict keys are unchanged; drop the tied duplicate (tu-storage), save to safetensors and
check the file holds no tensor twice; reload, re-tie, rebuild from the pruning plan and check
the logits are bit-identical.

Each step prints a line when it starts and, when it ends, its wall-clock time, its own peak
memory ("mem": the highest resident set size sampled every 1 ms during the step minus the one
at its start) and what it checked. The header names the checkpoint's path; a summary ends
the run (parameters before and after pruning, bytes saved by the dedupe, largest logit
differences). Exit code 1 if any check fails."""

_DEMO_EPILOG = """\
examples:
  tu demo                    the full demo (a few seconds on a 2-core CPU)
  tu demo --quick            a smaller model
  tu demo --out demo-output  keep the checkpoint in ./demo-output"""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the `tu` command and its subcommands, each with a description and examples.

    Returns:
        The parser; ``main`` uses it.

    Examples:
        >>> from tu.all.cli import build_parser
        >>> args = build_parser().parse_args(["storage", "model.safetensors", "--json"])
        >>> args.command, args.path, args.json
        ('storage', 'model.safetensors', True)
    """
    parser = argparse.ArgumentParser(
        prog="tu", description=_TU_DESCRIPTION, epilog=_TU_EPILOG, formatter_class=_FORMAT
    )
    parser.add_argument("--version", action="version", version=_own_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    env = commands.add_parser(
        "env",
        help="report Python, torch, backends, version flags and tu package versions",
        description=_ENV_DESCRIPTION,
        epilog=_ENV_EPILOG,
        formatter_class=_FORMAT,
    )
    env.add_argument("--json", action="store_true", help="print the report as JSON")
    storage = commands.add_parser(
        "storage",
        help="report the shared tensors, total and unique bytes of a checkpoint file",
        description=_STORAGE_DESCRIPTION,
        epilog=_STORAGE_EPILOG,
        formatter_class=_FORMAT,
    )
    storage.add_argument("path", help="a .safetensors file or a torch.save checkpoint")
    storage.add_argument("--json", action="store_true", help="print the report as JSON")
    demo = commands.add_parser(
        "demo",
        help="prune, chunk, dedupe, save and reload a small GPT-2-style model, step by step",
        description=_DEMO_DESCRIPTION,
        epilog=_DEMO_EPILOG,
        formatter_class=_FORMAT,
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a smaller model (2 blocks, width 64), for slow machines",
    )
    demo.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="folder to write the checkpoint to and keep it in (created if missing); "
        "default: a temporary folder, deleted at the end",
    )
    return parser


def _own_version() -> str:
    from tu.all.__about__ import __version__

    return f"tu-all {__version__}"


def _run_env(as_json: bool) -> int:
    from tu.all._env import collect_env, format_env

    report = collect_env()
    print(json.dumps(report, indent=2) if as_json else format_env(report))
    return EXIT_OK


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _run_storage(path: str, as_json: bool) -> int:
    from tu.storage import storage_report

    report = storage_report(path)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return EXIT_OK
    lines = [
        f"path          {report.path} ({report.format})",
        f"tensors       {report.tensor_count}",
        f"total bytes   {report.total_bytes} ({_human(report.total_bytes)})",
        f"unique bytes  {report.unique_bytes} ({_human(report.unique_bytes)})",
        f"shared bytes  {report.shared_bytes} ({_human(report.shared_bytes)})",
        f"shared groups {len(report.groups)}",
    ]
    lines += [f"  {', '.join(group)}" for group in report.groups]
    print("\n".join(lines))
    return EXIT_OK


def _run_demo(quick: bool, out: str | None) -> int:
    from pathlib import Path

    from tu.all._demo import QUICK, DemoConfig, run_demo

    report = run_demo(QUICK if quick else DemoConfig(), workdir=Path(out) if out else None)
    return EXIT_OK if report.passed else EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `tu` command line (the ``tu`` script and ``python -m tu.all``).

    Args:
        argv: the arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The exit code: 0 success, 1 failure (reported on stderr in one line, no traceback),
        2 when no command is given.

    Raises:
        SystemExit: from argparse, with code 2 on a usage error and 0 after ``--help``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("tu: error: a command is required (try 'tu env')", file=sys.stderr)
        return EXIT_USAGE
    handlers = {
        "env": lambda: _run_env(args.json),
        "storage": lambda: _run_storage(args.path, args.json),
        "demo": lambda: _run_demo(args.quick, args.out),
    }
    try:
        return handlers[args.command]()
    except Exception as error:  # a failure, reported without a traceback
        print(f"tu {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
