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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tu", description="tu: the helpers of transformers.pytorch_utils, re-homed."
    )
    parser.add_argument("--version", action="version", version=_own_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    env = commands.add_parser(
        "env", help="report Python, torch, backends, version flags and tu package versions"
    )
    env.add_argument("--json", action="store_true", help="print the report as JSON")
    storage = commands.add_parser(
        "storage",
        help="report the shared tensors, total and unique bytes of a checkpoint file",
        description="Reads a .safetensors file, or a torch checkpoint with weights_only=True "
        "(no code is unpickled), and reports which tensors share memory.",
    )
    storage.add_argument("path", help="a .safetensors file or a torch.save checkpoint")
    storage.add_argument("--json", action="store_true", help="print the report as JSON")
    demo = commands.add_parser(
        "demo",
        help="prune, chunk, dedupe, save and reload a small GPT-2-style model, step by step",
    )
    demo.add_argument("--quick", action="store_true", help="a smaller model")
    demo.add_argument(
        "--out", default=None, help="folder for the saved checkpoint (default: temporary)"
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

    run_demo(QUICK if quick else DemoConfig(), workdir=Path(out) if out else None)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `tu` command line; returns the exit code."""
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
