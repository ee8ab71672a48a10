"""`tu demo`: the packages working together on a small GPT-2-style model with tied embeddings.

Steps: build the model from tu-conv1d layers; prune half the attention heads with tu-prune
(checked against the full model with those heads masked); chunk each MLP with tu-chunk; save
to safetensors after tu-storage's dedupe of the tied weights; reload, retie, re-apply the
recorded pruning plan to a fresh model, and check that its outputs equal the pruned model's.

Each step prints a line when it starts and, when it ends, what it did, its time, its own peak
memory (the rise of the sampled resident set size over the step's start, see `_RssSampler`)
and what it checked. A failed check does not stop the demo; it makes `DemoReport.passed`
false, and `tu demo` exit with 1.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TextIO

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the usual torch spelling

from tu.chunk import chunked
from tu.conv1d import Conv1D
from tu.prune import prune_heads
from tu.storage import remove_shared_duplicates, restore_shared_duplicates, storage_report

#: The checkpoint's file name inside the output folder.
CHECKPOINT_NAME = "tiny-gpt-pruned.safetensors"

#: Pruned logits against the full model's with the same heads masked: only the rounding of
#: matrix products of other shapes differs (float32, a few layers deep).
PRUNE_TOLERANCE = 1e-4
#: Chunked MLPs against whole ones: the same products over fewer rows at a time.
CHUNK_TOLERANCE = 1e-3

#: Each comparison of logits and its bound on the largest absolute difference.
_BOUNDS = {
    "pruned vs masked": PRUNE_TOLERANCE,
    "chunked vs pruned": CHUNK_TOLERANCE,
    "reloaded vs pruned": 0.0,
}

_MIB = 1024 * 1024


@dataclass(frozen=True)
class DemoConfig:
    """Size of the demo model and its input; every field is a positive int.

    Args:
        vocab_size: tokens in the vocabulary (rows of the tied embedding).
        n_positions: longest input the position embedding covers.
        n_embd: model width; a multiple of ``n_head``.
        n_head: attention heads per block; at least 2 (half of them are pruned).
        n_layer: transformer blocks.
        batch: sequences in the input.
        seq_len: tokens per sequence; at most ``n_positions``.
        chunk_size: rows per MLP chunk (tu-chunk).

    Raises:
        TypeError: if a field is not an int (``bool`` is refused).
        ValueError: if a field is not positive, or the sizes do not fit together.
    """

    vocab_size: int = 1024
    n_positions: int = 128
    n_embd: int = 256
    n_head: int = 8
    n_layer: int = 4
    batch: int = 2
    seq_len: int = 64
    chunk_size: int = 16

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"DemoConfig.{item.name} must be an int, got {value!r}")
            if value < 1:
                raise ValueError(f"DemoConfig.{item.name} must be positive, got {value}")
        if self.n_head < 2:
            raise ValueError(f"DemoConfig.n_head must be at least 2, got {self.n_head}")
        if self.n_embd % self.n_head:
            raise ValueError(
                f"DemoConfig.n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})"
            )
        if self.seq_len > self.n_positions:
            raise ValueError(
                f"DemoConfig.seq_len ({self.seq_len}) must be at most n_positions "
                f"({self.n_positions})"
            )


#: A smaller model for tests and slow machines (`tu demo --quick`).
QUICK = DemoConfig(
    vocab_size=256,
    n_positions=64,
    n_embd=64,
    n_head=4,
    n_layer=2,
    batch=2,
    seq_len=48,
    chunk_size=16,
)


class Attention(nn.Module):
    """Causal self-attention with GPT-2's fused ``c_attn`` and ``c_proj`` Conv1D layers."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.head_dim = n_embd // n_head
        self.c_attn = Conv1D(3 * n_embd, n_embd)
        self.c_proj = Conv1D(n_embd, n_embd)
        self.pruned_heads: set[int] = set()

    def prune(self, heads: set[int]) -> None:
        """Remove ``heads`` (original numbering) from ``c_attn`` and ``c_proj``."""
        result = prune_heads(
            heads,
            num_heads=self.n_head,
            head_size=self.head_dim,
            qkv=self.c_attn,
            out=self.c_proj,
            already_pruned_heads=self.pruned_heads,
        )
        self.c_attn, self.c_proj = result.qkv, result.out  # type: ignore[assignment]
        self.n_head = result.num_heads
        self.pruned_heads = set(result.pruned_heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        inner = self.n_head * self.head_dim
        q, k, v = self.c_attn(x).split(inner, dim=-1)
        q, k, v = (
            t.view(batch, length, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v)
        )
        mixed = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(mixed.transpose(1, 2).reshape(batch, length, inner))  # type: ignore[no-any-return]


class MLP(nn.Module):
    """GPT-2's feed-forward block: widen four times, GELU, project back."""

    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.c_fc = Conv1D(4 * n_embd, n_embd)
        self.c_proj = Conv1D(n_embd, 4 * n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))  # type: ignore[no-any-return]


class Block(nn.Module):
    """A pre-norm transformer block."""

    def __init__(self, config: DemoConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = Attention(config.n_embd, config.n_head)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp: nn.Module = MLP(config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))  # type: ignore[no-any-return]


class TinyGPT(nn.Module):
    """A GPT-2-shaped language model whose LM head shares the token embedding's weight."""

    def __init__(self, config: DemoConfig) -> None:
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.h = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.wte(tokens) + self.wpe(positions)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))  # type: ignore[no-any-return]

    def blocks(self) -> list[Block]:
        """The transformer blocks, typed."""
        return [block for block in self.h if isinstance(block, Block)]

    def pruning_plan(self) -> dict[int, set[int]]:
        """Which heads each block has lost: enough to rebuild the architecture."""
        return {i: set(block.attn.pruned_heads) for i, block in enumerate(self.blocks())}

    def apply_pruning_plan(self, plan: dict[int, set[int]]) -> None:
        """Prune the heads ``plan`` names, block by block."""
        blocks = self.blocks()
        for index, heads in plan.items():
            blocks[index].attn.prune(heads)

    def chunk_mlps(self, chunk_size: int) -> None:
        """Run every MLP over ``chunk_size`` positions at a time (state-dict keys unchanged)."""
        for block in self.blocks():
            block.mlp = chunked(block.mlp, chunk_size, 1)


# --- memory -------------------------------------------------------------------------------


def _linux_rss() -> Callable[[], int]:
    page = os.sysconf("SC_PAGE_SIZE")

    def read() -> int:  # about 10 us; reopened each time, so nothing is left open
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            return int(os.read(fd, 128).split()[1]) * page
        finally:
            os.close(fd)

    return read


def _macos_rss() -> Callable[[], int]:  # pragma: no cover - macOS only
    import ctypes

    class _TimeValue(ctypes.Structure):
        _fields_ = (("seconds", ctypes.c_int), ("microseconds", ctypes.c_int))

    class _BasicInfo(ctypes.Structure):  # mach_task_basic_info (mach/task_info.h)
        _pack_ = 4
        _fields_ = (
            ("virtual_size", ctypes.c_uint64),
            ("resident_size", ctypes.c_uint64),
            ("resident_size_max", ctypes.c_uint64),
            ("user_time", _TimeValue),
            ("system_time", _TimeValue),
            ("policy", ctypes.c_int),
            ("suspend_count", ctypes.c_int),
        )

    libc = ctypes.CDLL("/usr/lib/libSystem.B.dylib")
    task = ctypes.c_uint.in_dll(libc, "mach_task_self_").value
    flavor = 20  # MACH_TASK_BASIC_INFO
    words = ctypes.sizeof(_BasicInfo) // ctypes.sizeof(ctypes.c_uint)

    def read() -> int:
        info = _BasicInfo()
        count = ctypes.c_uint(words)
        if libc.task_info(task, flavor, ctypes.byref(info), ctypes.byref(count)) != 0:
            raise OSError("task_info failed")
        return int(info.resident_size)

    return read


def _windows_rss() -> Callable[[], int]:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    class _Counters(ctypes.Structure):  # PROCESS_MEMORY_COUNTERS (psapi.h)
        _fields_ = (
            ("cb", wintypes.DWORD),
            ("PageFaultCount", wintypes.DWORD),
            ("PeakWorkingSetSize", ctypes.c_size_t),
            ("WorkingSetSize", ctypes.c_size_t),
            ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
            ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
            ("PagefileUsage", ctypes.c_size_t),
            ("PeakPagefileUsage", ctypes.c_size_t),
        )

    kernel32 = getattr(ctypes, "WinDLL")("kernel32")  # noqa: B009 - typeshed: win32 only
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    get_info = kernel32.K32GetProcessMemoryInfo
    get_info.argtypes = (wintypes.HANDLE, ctypes.POINTER(_Counters), wintypes.DWORD)
    get_info.restype = wintypes.BOOL
    process = kernel32.GetCurrentProcess()

    def read() -> int:
        counters = _Counters()
        counters.cb = ctypes.sizeof(_Counters)
        if not get_info(process, ctypes.byref(counters), counters.cb):
            raise OSError("K32GetProcessMemoryInfo failed")
        return int(counters.WorkingSetSize)

    return read


def rss_reader() -> Callable[[], int] | None:
    """A function returning the process's current resident set size in bytes, or ``None``.

    Linux reads ``/proc/self/statm``, macOS ``task_info``, Windows the working set; any other
    platform, or one where the first reading fails, gets ``None`` (the demo says "n/a").
    ``resource.getrusage`` is no use here: it only gives the process's running maximum.
    """
    makers = {"linux": _linux_rss, "darwin": _macos_rss, "win32": _windows_rss}
    maker = next((make for name, make in makers.items() if sys.platform.startswith(name)), None)
    if maker is None:
        return None
    try:
        read = maker()
        return read if read() > 0 else None
    except Exception:  # no reading on this system: degrade to "n/a"
        return None


def process_peak_rss() -> int | None:
    """The process's peak resident set size so far in bytes (``getrusage``), or ``None``."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


class _RssSampler:
    """Samples the resident set size on a daemon thread to find each step's own peak."""

    INTERVAL_S = 0.001

    def __init__(self, read: Callable[[], int] | None) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._base = 0
        self._peak = 0
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _RssSampler:
        if self._read is not None:
            self._thread = threading.Thread(target=self._run, name="tu-demo-rss", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self) -> int | None:
        """The RSS now, or ``None`` for good once a reading fails; the caller holds the lock."""
        if self._read is None:
            return None
        try:
            return self._read()
        except Exception:  # the reading stopped working: n/a from now on
            self._read = None
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL_S):
            with self._lock:
                value = self._sample()
                if value is None:
                    return
                self._peak = max(self._peak, value)

    def begin(self) -> None:
        """Start a step: the current RSS is its baseline and its peak so far."""
        with self._lock:
            value = self._sample()
            if value is not None:
                self._base = self._peak = value

    def rise(self) -> int | None:
        """End a step: its peak RSS minus its baseline, in bytes (``None``: no reading)."""
        with self._lock:
            value = self._sample()
            return None if value is None else max(self._peak, value) - self._base


# --- steps and checks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check the demo made.

    Args:
        step: number of the step that made it.
        passed: whether it held.
        text: what was checked, with the measured figure.
    """

    step: int
    passed: bool
    text: str


@dataclass
class DemoReport:
    """What a run of the demo found.

    Args:
        checkpoint: absolute path the checkpoint was written to.
        kept: whether the checkpoint is kept (``--out``) or was in a deleted temporary folder.
        checks: every check, in order.
        params_before: parameters before pruning.
        params_after: parameters after pruning.
        dedupe_saved_bytes: bytes the file did not store thanks to the dedupe.
        file_bytes: size of the checkpoint file.
        max_diffs: the largest absolute logit difference of each comparison.
        removed: names dropped by the dedupe, each mapped to the name it aliases.
    """

    checkpoint: Path
    kept: bool
    checks: list[Check] = field(default_factory=list)
    params_before: int = 0
    params_after: int = 0
    dedupe_saved_bytes: int = 0
    file_bytes: int = 0
    max_diffs: dict[str, float] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when there was at least one check and every check held."""
        return bool(self.checks) and all(check.passed for check in self.checks)


class _Step:
    def __init__(self, number: int, report: DemoReport) -> None:
        self.number = number
        self.report = report
        self.did = ""
        self.checks: list[Check] = []

    def check(self, passed: bool, text: str) -> bool:
        item = Check(self.number, bool(passed), text)
        self.checks.append(item)
        self.report.checks.append(item)
        return item.passed


class _Steps:
    def __init__(self, out: TextIO, total: int, report: DemoReport, rss: _RssSampler) -> None:
        self.out = out
        self.total = total
        self.report = report
        self.rss = rss
        self.count = 0

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def step(self, title: str) -> Iterator[_Step]:
        self.count += 1
        self.say(f"[{self.count}/{self.total}] {title} ...")
        record = _Step(self.count, self.report)
        self.rss.begin()
        start = time.perf_counter()
        try:
            yield record
        except Exception as error:
            self.say(f"      FAIL   the step raised {type(error).__name__}: {error}")
            raise
        elapsed = (time.perf_counter() - start) * 1e3
        rise = self.rss.rise()
        memory = "n/a" if rise is None else f"+{rise / _MIB:.1f} MiB"
        self.say(f"      done   {elapsed:.1f} ms | mem {memory} | {record.did}")
        for check in record.checks:
            self.say(f"      check  {'PASS' if check.passed else 'FAIL'}  {check.text}")


def _legend(config: DemoConfig, path: Path, kept: bool, rss_available: bool) -> list[str]:
    where = (
        "kept after the demo, as --out asks"
        if kept
        else "in a temporary folder, deleted when the demo ends; keep it with --out DIR"
    )
    lines = [
        "tu demo: every tu package on one small GPT-2-style model",
        "builds   TinyGPT from tu.conv1d Conv1D layers, its LM head tied to the token embedding",
        f"         ({config.n_layer} blocks x {config.n_head} heads, width {config.n_embd}, "
        f"vocab {config.vocab_size}); input {config.batch} x {config.seq_len} random tokens",
        "proves   pruning heads (tu.prune) equals masking them; chunked MLPs (tu.chunk) give the",
        "         same logits; dropping the tied duplicate (tu.storage) lets safetensors save the",
        "         model, and re-tying it on load restores the tie; the reloaded model's logits",
        "         equal the pruned model's bit for bit",
        f"runs on  torch {torch.__version__}, CPU, {torch.get_num_threads()} threads",
        f"checkpoint {path}",
        f"         ({where})",
        "legend   [n/N] title ...  printed when a step starts",
        "         done   when it ends: wall-clock time | mem | what the step did",
        "         mem    the step's own peak memory: the highest resident set size (RSS) sampled",
        "                every 1 ms while the step ran, minus the RSS when it started; memory the",
        "                process already held and reused does not count",
    ]
    if not rss_available:
        lines.append("                (this platform gives no RSS reading: every mem is n/a)")
    lines.append(
        "         check  PASS or FAIL: what the step verified, with the figure and its bound"
    )
    return lines


def _masked_heads_logits(
    model: TinyGPT, tokens: torch.Tensor, heads: set[int]
) -> tuple[torch.Tensor, bool]:
    """Logits with ``heads`` silenced (their ``c_proj`` input rows zeroed), then restored.

    Returns the logits and whether every weight was put back exactly.
    """
    saved: list[tuple[torch.Tensor, torch.Tensor]] = []
    for block in model.blocks():
        weight = block.attn.c_proj.weight  # Conv1D: (in_features, out_features)
        for head in sorted(heads):
            rows = weight[head * block.attn.head_dim : (head + 1) * block.attn.head_dim]
            saved.append((rows, rows.clone()))
            rows.zero_()
    try:
        logits = model(tokens)
    finally:
        for rows, original in saved:
            rows.copy_(original)
    return logits, all(torch.equal(rows, original) for rows, original in saved)


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max().item())


def _summary(report: DemoReport) -> list[str]:
    removed = report.params_before - report.params_after
    share = removed / report.params_before if report.params_before else 0.0
    diffs = report.max_diffs
    failed = [check for check in report.checks if not check.passed]
    peak = process_peak_rss()
    lines = [
        "summary",
        f"  parameters  {report.params_before:,} before pruning, {report.params_after:,} after "
        f"(-{removed:,}, -{share:.1%})",
        f"  dedupe      {report.dedupe_saved_bytes:,} bytes ({report.dedupe_saved_bytes / _MIB:.2f}"
        f" MiB) not written: "
        + ", ".join(f"{k} is stored once, as {v}" for k, v in report.removed.items()),
        f"  checkpoint  {report.checkpoint}, {report.file_bytes / _MIB:.2f} MiB "
        + ("(kept)" if report.kept else "(temporary, deleted now)"),
    ]
    for index, (name, value) in enumerate(diffs.items()):
        label = "  max |diff|  " if index == 0 else " " * 14
        bound = _BOUNDS[name]
        limit = f"bound {bound:.0e}" if bound else "must be 0"
        lines.append(f"{label}logits, {name:<18} {value:.1e} ({limit})")
    lines += [
        "  peak RSS    "
        + (f"{peak / _MIB:.1f} MiB" if peak is not None else "n/a")
        + " for the whole process so far, torch import included (getrusage)",
    ]
    count = len(report.checks)
    if failed:
        lines.append(f"demo: FAIL, {len(failed)} of {count} checks failed:")
        lines += [f"  [{check.step}] {check.text}" for check in failed]
    else:
        lines.append(f"demo: PASS, every check passed ({count} of {count})")
    return lines


def run_demo(
    config: DemoConfig | None = None,
    workdir: Path | None = None,
    out: TextIO | None = None,
    seed: int = 0,
) -> DemoReport:
    """Run every step, printing the story, and return what it found.

    A failed check is printed as ``FAIL`` and recorded; the demo goes on, and
    ``DemoReport.passed`` is false at the end.

    Args:
        config: model and input sizes; ``DemoConfig()`` by default, ``QUICK`` for a smaller run.
        workdir: folder for the checkpoint (created if missing, kept); by default a temporary
            folder, deleted at the end.
        out: where to print; ``sys.stdout`` by default.
        seed: seed of torch's global RNG for the weights and the input tokens.

    Returns:
        The report: every check, parameter counts, bytes saved, largest differences, path.

    Raises:
        TypeError: if ``config`` is not a ``DemoConfig`` or ``seed`` not an int.
        Exception: whatever a step raised (after printing a ``FAIL`` line for it).
    """
    config = DemoConfig() if config is None else config
    if not isinstance(config, DemoConfig):
        raise TypeError(f"config must be a DemoConfig, got {type(config).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    stream = sys.stdout if out is None else out
    read = rss_reader()
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as scratch,
        _RssSampler(read) as rss,
    ):
        folder = Path(scratch if workdir is None else workdir).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        report = DemoReport(checkpoint=folder / CHECKPOINT_NAME, kept=workdir is not None)
        steps = _Steps(stream, 9, report, rss)
        for line in _legend(config, report.checkpoint, report.kept, read is not None):
            steps.say(line)
        steps.say()
        with torch.no_grad():
            _run_steps(config, seed, steps, report)
        steps.say()
        for line in _summary(report):
            steps.say(line)
    return report


def _run_steps(config: DemoConfig, seed: int, steps: _Steps, report: DemoReport) -> None:
    torch.manual_seed(seed)
    tokens = torch.randint(0, config.vocab_size, (config.batch, config.seq_len))
    heads = set(range(0, config.n_head, 2))
    head_dim = config.n_embd // config.n_head
    path = report.checkpoint

    with steps.step("build TinyGPT from tu.conv1d Conv1D layers") as step:
        model = TinyGPT(config).eval()
        report.params_before = sum(p.numel() for p in model.parameters())
        step.did = f"{report.params_before:,} parameters in {config.n_layer} blocks"
        step.check(
            model.lm_head.weight is model.wte.weight,
            "lm_head.weight is wte.weight (the LM head is tied to the token embedding)",
        )

    with steps.step(f"forward pass, full model and with heads {sorted(heads)} masked") as step:
        full = model(tokens)
        masked, restored = _masked_heads_logits(model, tokens, heads)
        effect = _max_diff(full, masked)
        step.did = f"logits {tuple(full.shape)}, and again with those heads' c_proj rows zeroed"
        step.check(
            tuple(full.shape) == (config.batch, config.seq_len, config.vocab_size)
            and bool(torch.isfinite(full).all()),
            f"logits shape (batch, seq, vocab) = {tuple(full.shape)}, all finite",
        )
        step.check(
            restored and effect > 0,
            f"masking matters (max |diff| {effect:.2e} > 0; step 4 compares with it), "
            "weights restored",
        )

    with steps.step(f"prune heads {sorted(heads)} of every block (tu.prune.prune_heads)") as step:
        model.apply_pruning_plan(dict.fromkeys(range(config.n_layer), heads))
        report.params_after = sum(p.numel() for p in model.parameters())
        left = model.blocks()[0].attn.n_head
        step.did = (
            f"parameters {report.params_before:,} -> {report.params_after:,}; "
            f"heads per block {config.n_head} -> {left}"
        )
        # Per pruned head: q, k and v columns of c_attn (weight and bias), rows of c_proj.
        expected = config.n_layer * len(heads) * (4 * head_dim * config.n_embd + 3 * head_dim)
        step.check(
            report.params_before - report.params_after == expected
            and all(b.attn.n_head == config.n_head - len(heads) for b in model.blocks()),
            f"every block has {config.n_head - len(heads)} heads; {expected:,} parameters went"
            " = layers x heads x (4 x head_dim x width + 3 x head_dim)",
        )

    with steps.step("forward pass of the pruned model, against the masked full model") as step:
        pruned = model(tokens)
        diff = report.max_diffs["pruned vs masked"] = _max_diff(pruned, masked)
        step.did = f"logits {tuple(pruned.shape)}"
        step.check(
            diff <= PRUNE_TOLERANCE,
            f"pruned logits equal the masked full model's: max |diff| {diff:.2e} "
            f"<= {PRUNE_TOLERANCE:.0e}",
        )
        del full, masked

    with steps.step(f"chunk every MLP (tu.chunk.chunked, chunk_size {config.chunk_size})") as step:
        keys = list(model.state_dict())
        model.chunk_mlps(config.chunk_size)
        chunked_out = model(tokens)
        diff = report.max_diffs["chunked vs pruned"] = _max_diff(chunked_out, pruned)
        chunks = math.ceil(config.seq_len / config.chunk_size)
        step.did = f"{config.n_layer} MLPs now run in {chunks} chunks each; forward pass"
        step.check(list(model.state_dict()) == keys, "state_dict keys unchanged")
        step.check(
            diff <= CHUNK_TOLERANCE,
            f"chunked logits equal the unchunked ones: max |diff| {diff:.2e} "
            f"<= {CHUNK_TOLERANCE:.0e}",
        )

    with steps.step("drop the tied duplicate (tu.storage), save to safetensors") as step:
        from safetensors.torch import save_file

        state = model.state_dict()
        reduced, removed = remove_shared_duplicates(state, preferred_names=["wte.weight"])
        report.removed = dict(removed)
        report.dedupe_saved_bytes = sum(
            state[name].numel() * state[name].element_size() for name in removed
        )
        # The name map travels in the file's metadata, so a loader needs nothing else.
        save_file({k: v.contiguous() for k, v in reduced.items()}, str(path), metadata=removed)
        report.file_bytes = path.stat().st_size
        step.did = (
            f"removed {', '.join(f'{k} (alias of {v})' for k, v in removed.items()) or 'nothing'};"
            f" wrote {report.file_bytes / _MIB:.2f} MiB to {path}"
        )
        step.check(
            removed == {"lm_head.weight": "wte.weight"},
            "exactly lm_head.weight was dropped, as an alias of wte.weight",
        )

    with steps.step("inspect the saved file (tu.storage.storage_report)") as step:
        file_report = storage_report(path)
        step.did = (
            f"{file_report.tensor_count} tensors, {file_report.total_bytes:,} bytes, "
            f"{len(file_report.groups)} shared groups"
        )
        state_bytes = sum(t.numel() * t.element_size() for t in state.values())
        step.check(
            not file_report.groups
            and file_report.tensor_count == len(state) - len(removed)
            and "lm_head.weight" not in reduced
            and file_report.total_bytes == state_bytes - report.dedupe_saved_bytes,
            f"no tensor stored twice: no shared group, {len(state) - len(removed)} tensors, "
            f"{state_bytes:,} - {report.dedupe_saved_bytes:,} bytes",
        )

    with steps.step("load the file, re-tie, rebuild from the pruning plan") as step:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as handle:
            aliases = dict(handle.metadata() or {})
        loaded = restore_shared_duplicates(load_file(str(path)), aliases)
        retied = loaded["lm_head.weight"].data_ptr() == loaded["wte.weight"].data_ptr()
        fresh = TinyGPT(config).eval()
        fresh.apply_pruning_plan(model.pruning_plan())
        fresh.chunk_mlps(config.chunk_size)
        fresh.load_state_dict(loaded, strict=True)
        step.did = (
            f"read the name map {aliases} from the file's metadata; {len(loaded)} tensors "
            "loaded (strict) into a fresh pruned, chunked model"
        )
        step.check(aliases == removed, "the file's metadata holds the dedupe's name map")
        step.check(
            retied,
            "restore_shared_duplicates re-tied lm_head.weight to wte.weight's storage",
        )
        step.check(
            fresh.lm_head.weight is fresh.wte.weight,
            "the rebuilt model's lm_head.weight is its wte.weight after loading",
        )

    with steps.step("forward pass of the reloaded model, against the pruned model") as step:
        reloaded = fresh(tokens)
        diff = report.max_diffs["reloaded vs pruned"] = _max_diff(reloaded, chunked_out)
        step.did = f"logits {tuple(reloaded.shape)}"
        step.check(
            torch.equal(reloaded, chunked_out),
            f"logits bit-identical to the pruned model's (max |diff| {diff:.1e})",
        )
