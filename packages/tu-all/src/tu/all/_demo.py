"""`tu demo`: the packages working together on a small GPT-2-style model with tied embeddings.

Steps: build the model from tu-conv1d layers; prune half the attention heads with tu-prune;
chunk each MLP with tu-chunk; save to safetensors after tu-storage's dedupe of the tied
weights; reload, retie, re-apply the recorded pruning plan to a fresh model, and check that
its outputs equal the pruned model's. Each step prints its time and the process's peak memory.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the usual torch spelling

from tu.chunk import chunked
from tu.conv1d import Conv1D
from tu.prune import prune_heads
from tu.storage import remove_shared_duplicates, restore_shared_duplicates, storage_report


@dataclass(frozen=True)
class DemoConfig:
    """Size of the demo model."""

    vocab_size: int = 1024
    n_positions: int = 128
    n_embd: int = 256
    n_head: int = 8
    n_layer: int = 4
    batch: int = 4
    seq_len: int = 128
    chunk_size: int = 32


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
    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.c_fc = Conv1D(4 * n_embd, n_embd)
        self.c_proj = Conv1D(n_embd, 4 * n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))  # type: ignore[no-any-return]


class Block(nn.Module):
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
        return [block for block in self.h if isinstance(block, Block)]

    def pruning_plan(self) -> dict[int, set[int]]:
        """Which heads each block has lost: enough to rebuild the architecture."""
        return {i: set(block.attn.pruned_heads) for i, block in enumerate(self.blocks())}

    def apply_pruning_plan(self, plan: dict[int, set[int]]) -> None:
        blocks = self.blocks()
        for index, heads in plan.items():
            blocks[index].attn.prune(heads)

    def chunk_mlps(self, chunk_size: int) -> None:
        for block in self.blocks():
            block.mlp = chunked(block.mlp, chunk_size, 1)


def _peak_rss_mib() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class _Steps:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    @contextmanager
    def step(self, title: str) -> Iterator[dict[str, str]]:
        self.count += 1
        notes: dict[str, str] = {}
        start = time.perf_counter()
        yield notes
        elapsed = (time.perf_counter() - start) * 1e3
        peak = _peak_rss_mib()
        memory = f"peak RSS {peak:7.1f} MiB" if peak is not None else "peak RSS n/a"
        detail = "; ".join(f"{k} {v}" for k, v in notes.items())
        print(f"[{self.count}] {title:<44} {elapsed:8.1f} ms  {memory}  {detail}", file=self.out)


def run_demo(
    config: DemoConfig | None = None,
    workdir: Path | None = None,
    out: TextIO | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Run every step; returns the checks' figures. Raises AssertionError if a check fails."""
    config = config or DemoConfig()
    stream = out or sys.stdout
    steps = _Steps(stream)
    results: dict[str, Any] = {}
    torch.manual_seed(seed)
    tokens = torch.randint(0, config.vocab_size, (config.batch, config.seq_len))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(workdir or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "tiny-gpt-pruned.safetensors"
        with torch.no_grad():
            with steps.step("build TinyGPT from tu Conv1D layers") as notes:
                model = TinyGPT(config).eval()
                params = sum(p.numel() for p in model.parameters())
                notes["params"] = f"{params:,}"
                notes["tied"] = str(model.lm_head.weight is model.wte.weight)
            with steps.step("forward (unpruned)") as notes:
                full = model(tokens)
                notes["logits"] = str(tuple(full.shape))
            heads = set(range(0, config.n_head, 2))
            with steps.step(f"prune heads {sorted(heads)} of every block") as notes:
                model.apply_pruning_plan(dict.fromkeys(range(config.n_layer), heads))
                left = sum(p.numel() for p in model.parameters())
                notes["params"] = f"{params:,} -> {left:,}"
                notes["heads"] = f"{config.n_head} -> {model.blocks()[0].attn.n_head}"
            with steps.step("forward (pruned)"):
                pruned = model(tokens)
            with steps.step(f"chunk every MLP (chunk_size {config.chunk_size})") as notes:
                keys = list(model.state_dict())
                model.chunk_mlps(config.chunk_size)
                chunked_out = model(tokens)
                same_keys = list(model.state_dict()) == keys
                difference = (chunked_out - pruned).abs().max().item()
                notes["state_dict keys unchanged"] = str(same_keys)
                notes["max |diff|"] = f"{difference:.2e}"
                assert same_keys, "chunked() changed the state_dict keys"
                # Chunks run smaller matrix products, which may round differently.
                assert torch.allclose(chunked_out, pruned, rtol=1e-4, atol=1e-4), difference
            with steps.step("dedupe tied weights, save safetensors") as notes:
                from safetensors.torch import save_file

                reduced, removed = remove_shared_duplicates(
                    model.state_dict(), preferred_names=["wte.weight"]
                )
                save_file({k: v.contiguous() for k, v in reduced.items()}, str(path))
                notes["removed"] = ", ".join(f"{k}->{v}" for k, v in removed.items())
                notes["file"] = f"{path.stat().st_size / 2**20:.2f} MiB"
            with steps.step("storage report of the saved file") as notes:
                report = storage_report(path)
                notes["tensors"] = str(report.tensor_count)
                notes["unique bytes"] = f"{report.unique_bytes:,}"
            with steps.step("reload, retie, rebuild from the pruning plan") as notes:
                from safetensors.torch import load_file

                loaded = restore_shared_duplicates(load_file(str(path)), removed)
                retied = loaded["lm_head.weight"].data_ptr() == loaded["wte.weight"].data_ptr()
                fresh = TinyGPT(config).eval()
                fresh.apply_pruning_plan(model.pruning_plan())
                fresh.chunk_mlps(config.chunk_size)
                fresh.load_state_dict(loaded, strict=True)
                notes["retied in the loaded dict"] = str(retied)
                notes["tied in the model"] = str(fresh.lm_head.weight is fresh.wte.weight)
                assert retied, "restore_shared_duplicates did not retie lm_head.weight"
            with steps.step("forward (reloaded) and compare") as notes:
                reloaded = fresh(tokens)
                exact = torch.equal(reloaded, chunked_out)
                notes["equal to the pruned model"] = str(exact)
                assert exact, "the reloaded model's outputs differ from the pruned model's"
    results.update(
        params_before=params,
        params_after=left,
        removed=removed,
        max_chunk_difference=difference,
        reloaded_equal=exact,
        file_unique_bytes=report.unique_bytes,
    )
    print("demo: every check passed", file=stream)
    return results


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
