"""What is measured about any network, grasp or depth: its size, its latency, its benchmark rows.

Latency comes from one loop (`time_call`: warm-up calls, then a timed loop; median, p90, FPS); the
benchmark rows of a network are read back from `kd-grasp bench`'s bench.json by the model cards.
"""

from __future__ import annotations

import time

import numpy as np
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def time_call(fn, repeats: int, warmup: int) -> dict[str, float]:
    """Median / p90 latency (ms) and FPS of fn() after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    median = float(np.median(times))
    return {"median_ms": median, "p90_ms": float(np.percentile(times, 90)), "fps": 1e3 / median}


def bench_rows(bench: dict, network: str) -> list[dict]:
    """The rows of bench.json (`kd-grasp bench`) measured on `network` (checkpoint stem), one per form."""
    return [row for row in bench.get("rows", []) if row.get("network") == network]


def latency_lines(rows: list[dict]) -> list[str]:
    """Markdown lines of a network's latency per form and thread count, from its bench rows."""
    lines = []
    for row in rows:
        for threads, stats in row["latency"].items():
            lines.append(
                f"- {row['form']}, {threads} thread(s): median {stats['median_ms']:.1f} ms, "
                f"p90 {stats['p90_ms']:.1f} ms, {stats['fps']:.1f} FPS"
            )
    return lines
