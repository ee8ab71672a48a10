"""`tu --help` and each command's `--help`: a description of what it does and examples."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tu.all.cli import EXIT_OK, main

# Each command, words its description must hold, and an example command line it must show.
HELP = {
    (): (["tu: the helpers of transformers.pytorch_utils", "Exit codes"], "tu demo --quick"),
    ("env",): (["torch's version and build", "tu distribution"], "tu env --json"),
    ("storage",): (["share memory", "weights_only=True", "exit code 1"], "tu storage model."),
    ("demo",): (
        ["prune half the attention heads", "peak", "resident set size", "Exit code 1"],
        "tu demo --out demo-output",
    ),
}


def _help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == EXIT_OK
    return capsys.readouterr().out


@pytest.mark.parametrize("command", list(HELP), ids=lambda c: " ".join(("tu", *c)))
def test_help_describes_and_shows_an_example(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(command, capsys)
    words, example = HELP[command]
    assert text.startswith(f"usage: {' '.join(('tu', *command))}")
    for word in words:
        assert word in " ".join(text.split()), word  # the formatter may wrap lines
    assert "examples:" in text
    assert any(line.strip().startswith(example) for line in text.splitlines())


def test_help_keeps_its_own_line_breaks(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help((), capsys)
    assert "\n  env      " in text and "\n  storage  " in text and "\n  demo     " in text


def test_demo_options_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(("demo",), capsys).split())
    assert "--quick a smaller model" in text
    assert "--out DIR" in text and "default: a temporary folder, deleted at the end" in text


def test_python_dash_m_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tu.all", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.startswith("usage: ") and "examples:" in done.stdout
