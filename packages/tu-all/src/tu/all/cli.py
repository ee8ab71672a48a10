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
    return parser


def _own_version() -> str:
    from tu.all.__about__ import __version__

    return f"tu-all {__version__}"


def _run_env(as_json: bool) -> int:
    from tu.all._env import collect_env, format_env

    report = collect_env()
    print(json.dumps(report, indent=2) if as_json else format_env(report))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `tu` command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("tu: error: a command is required (try 'tu env')", file=sys.stderr)
        return EXIT_USAGE
    handlers = {"env": lambda: _run_env(args.json)}
    try:
        return handlers[args.command]()
    except Exception as error:  # a failure, reported without a traceback
        print(f"tu {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
