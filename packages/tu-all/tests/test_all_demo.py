"""`tu demo`: the structure of its story, its checks, its memory figure and its exit code."""

from __future__ import annotations

import io
import re
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tu.all._demo as demo
from tu.all._demo import CHECKPOINT_NAME, QUICK, DemoConfig, run_demo
from tu.all.cli import EXIT_FAILURE, EXIT_OK, main

STEPS = 9
START = re.compile(r"^\[(\d+)/(\d+)\] (\S.*) \.\.\.$")
DONE = re.compile(r"^      done   (\d+\.\d) ms \| mem (\+\d+\.\d MiB|n/a) \| (\S.*)$")
CHECK = re.compile(r"^      check  (PASS|FAIL)  (\S.*)$")


def _run(workdir: Path | None = None) -> tuple[demo.DemoReport, list[str]]:
    out = io.StringIO()
    report = run_demo(QUICK, workdir=workdir, out=out)
    return report, out.getvalue().splitlines()


def _steps(lines: list[str]) -> dict[int, dict[str, Any]]:
    """Each step's start line, done line and check lines, in the order printed."""
    found: dict[int, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in lines:
        if start := START.match(line):
            assert int(start.group(2)) == STEPS
            current = found[int(start.group(1))] = {"title": start.group(3), "checks": []}
        elif done := DONE.match(line):
            assert current is not None and "done" not in current and not current["checks"]
            current["done"] = done
        elif check := CHECK.match(line):
            assert current is not None and "done" in current
            current["checks"].append(check)
        else:
            current = None
    return found


def test_demo_output_has_every_element(tmp_path: Path) -> None:
    report, lines = _run(tmp_path)
    text = "\n".join(lines)
    # Header: what it builds and proves, then the checkpoint's absolute path.
    assert lines[0].startswith("tu demo:")
    assert any(line.startswith("builds ") for line in lines[:5])
    assert any(line.startswith("proves ") for line in lines[:8])
    path = (tmp_path / CHECKPOINT_NAME).resolve()
    assert f"checkpoint {path}" in lines
    assert path.is_absolute() and path.exists() and report.kept
    # The legend says what each figure is.
    legend = text[text.index("legend") : text.index("[1/")]
    for words in ("done", "wall-clock time", "mem", "resident set size", "sampled", "check"):
        assert words in legend
    # Every step: a start line, then time | mem | what it did, then at least one check.
    steps = _steps(lines)
    measured = demo.rss_reader() is not None
    assert sorted(steps) == list(range(1, STEPS + 1))
    for number, step in steps.items():
        assert "done" in step, f"step {number} has no done line"
        assert step["done"].group(2).startswith("+") == measured
        assert step["done"].group(3).strip(), f"step {number} says nothing about what it did"
        assert step["checks"], f"step {number} checked nothing"
        assert all(check.group(1) == "PASS" for check in step["checks"])
    assert len([c for s in steps.values() for c in s["checks"]]) == len(report.checks)
    assert "masked" in steps[4]["title"] and "<= 1e-04" in steps[4]["checks"][0].group(2)
    # The summary's figures are the report's.
    summary = lines[lines.index("summary") :]
    before, after = report.params_before, report.params_after
    assert any(f"{before:,} before pruning, {after:,} after" in line for line in summary)
    saved = QUICK.vocab_size * QUICK.n_embd * 4
    assert report.dedupe_saved_bytes == saved
    assert any(line.startswith(f"  dedupe      {saved:,} bytes") for line in summary)
    assert any(line.startswith(f"  checkpoint  {path}, ") for line in summary)
    assert sum("logits, " in line for line in summary) == 3
    assert (
        lines[-1]
        == f"demo: PASS, every check passed ({len(report.checks)} of {len(report.checks)})"
    )


def test_demo_checks_hold(tmp_path: Path) -> None:
    report, _ = _run(tmp_path)
    assert report.passed
    assert report.removed == {"lm_head.weight": "wte.weight"}
    assert report.params_after < report.params_before
    assert report.max_diffs["reloaded vs pruned"] == 0.0
    assert report.max_diffs["pruned vs masked"] <= demo.PRUNE_TOLERANCE
    assert report.file_bytes == (tmp_path / CHECKPOINT_NAME).stat().st_size


def test_temporary_checkpoint_is_named_and_deleted() -> None:
    report, lines = _run()
    assert not report.kept and report.checkpoint.is_absolute()
    assert f"checkpoint {report.checkpoint}" in lines
    assert any("deleted when the demo ends" in line for line in lines)
    assert not report.checkpoint.exists()


def test_demo_command_exit_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--quick", "--out", str(tmp_path / "kept")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "demo: PASS" in out
    assert (tmp_path / "kept" / CHECKPOINT_NAME).exists()


def test_failed_check_gives_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def untied_copies(
        state: dict[str, torch.Tensor], removed: dict[str, str]
    ) -> dict[str, torch.Tensor]:
        restored = dict(state)
        restored.update({name: state[kept].clone() for name, kept in removed.items()})
        return restored

    monkeypatch.setattr(demo, "restore_shared_duplicates", untied_copies)
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == EXIT_FAILURE
    lines = capsys.readouterr().out.splitlines()
    failed = [line for line in lines if CHECK.match(line) and "FAIL" in line[:20]]
    assert len(failed) == 1 and "re-tied lm_head.weight" in failed[0]
    assert lines[-2].startswith("demo: FAIL, 1 of ")
    assert lines[-1].startswith("  [8] restore_shared_duplicates re-tied")


def test_step_that_raises_gives_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(path: object) -> None:
        raise ValueError(f"{path}: not a checkpoint")

    monkeypatch.setattr(demo, "storage_report", broken)
    assert main(["demo", "--quick"]) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert "      FAIL   the step raised ValueError: " in captured.out
    assert captured.out.splitlines()[-1].startswith("      FAIL")  # stopped at step 7
    assert "[7/9]" in captured.out and "[8/9]" not in captured.out
    assert captured.err.startswith("tu demo: error: ")
    assert "Traceback" not in captured.err


def test_memory_figure_degrades_to_na(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "rss_reader", lambda: None)
    report, lines = _run(tmp_path)
    assert report.passed
    dones = [DONE.match(line) for line in lines if DONE.match(line)]
    assert len(dones) == STEPS and all(m is not None and m.group(2) == "n/a" for m in dones)
    assert any("no RSS reading" in line for line in lines)


def test_memory_reading_that_stops_working_degrades_to_na(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = iter(range(3))

    def flaky() -> int:
        next(calls)  # StopIteration (an Exception) from the fourth reading on
        return 2**30

    monkeypatch.setattr(demo, "rss_reader", lambda: flaky)
    report, lines = _run(tmp_path)
    assert report.passed
    memory = [m.group(2) for line in lines if (m := DONE.match(line))]
    assert len(memory) == STEPS and memory[-1] == "n/a"


def test_linux_gives_an_rss_reading() -> None:
    read = demo.rss_reader()
    if not sys.platform.startswith("linux"):  # pragma: no cover
        pytest.skip("checked on Linux; macOS and Windows degrade to n/a if their call fails")
    assert read is not None and read() > 2**20


def test_sampler_reports_a_step_peak_not_its_end() -> None:
    read = demo.rss_reader()
    if read is None:  # pragma: no cover - platforms without a reading
        pytest.skip("no RSS reading on this platform")
    with demo._RssSampler(read) as sampler:
        sampler.begin()
        block = torch.ones(16 * 2**20)  # 64 MiB, written, then freed before the step ends
        time.sleep(0.05)
        del block
        rise = sampler.rise()
    assert rise is not None and rise >= 48 * 2**20


@given(
    st.sampled_from([f.name for f in fields(DemoConfig)]),
    st.one_of(st.integers(-3, 0), st.booleans(), st.floats(1, 4), st.just("8")),
)
def test_config_refuses_bad_fields(name: str, value: object) -> None:
    expected = TypeError if isinstance(value, bool) or not isinstance(value, int) else ValueError
    with pytest.raises(expected, match=f"DemoConfig.{name}"):
        DemoConfig(**{name: value})  # type: ignore[arg-type]


def test_config_refuses_sizes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="multiple of n_head"):
        DemoConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="at least 2"):
        DemoConfig(n_head=1)
    with pytest.raises(ValueError, match="at most n_positions"):
        DemoConfig(seq_len=65, n_positions=64)
    with pytest.raises(TypeError, match="config must be a DemoConfig"):
        run_demo({"n_layer": 2}, out=io.StringIO())  # type: ignore[arg-type]
