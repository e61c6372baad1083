"""`kd-grasp depth bench`: teacher and student side by side (parameters, size, latency, FPS).

Latency is the network call including input normalisation (predict_depth) on one 320x240 frame,
batch 1, after a warm-up; median and 90th percentile over the timed runs, at 1 and 2 threads.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from kd_grasp_ros.depth.preprocess import predict_depth
from kd_grasp_ros.depth.registry import DepthModelError, count_parameters, load_model
from kd_grasp_ros.resources import ResourceNotFoundError, resolve_model


def time_model(
    model: torch.nn.Module, size: tuple[int, int], threads: int, warmup: int, runs: int, seed: int = 0
) -> dict[str, float]:
    """Median / p90 latency (ms) and FPS of one network on random 320x240-like inputs."""
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(seed)
    w, h = size
    rgb = torch.randint(0, 256, (1, 3, h, w), dtype=torch.uint8, generator=gen)
    depth = 0.5 + torch.rand(1, 1, h, w, generator=gen)
    depth[..., h // 3 : h // 2, w // 3 : w // 2] = 0.0
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            predict_depth(model, rgb, depth)
        for _ in tqdm(range(runs), desc=f"{threads} thread(s)", leave=False):
            t = time.perf_counter()
            predict_depth(model, rgb, depth)
            times.append(1e3 * (time.perf_counter() - t))
    median = float(np.median(times))
    return {"median_ms": median, "p90_ms": float(np.percentile(times, 90)), "fps": 1e3 / median}


def benchmark(
    model_paths: dict[str, Path], size: tuple[int, int], threads: tuple[int, ...], warmup: int, runs: int
) -> dict:
    """{name: {params, size_mb, load_average, threads: {n: timing}}} for each checkpoint.

    load_average (1-minute, before and after) records how busy the machine was: timings taken while
    other processes use the cores are not the network's speed on an idle machine.
    """
    out = {}
    for name, path in model_paths.items():
        try:
            resolved = resolve_model(str(path))
        except ResourceNotFoundError as exc:
            raise DepthModelError(f"depth checkpoint {path} not found: {exc}") from exc
        model = load_model(resolved)[0]
        row = {
            "checkpoint": str(path),
            "params": count_parameters(model),
            "size_mb": round(resolved.stat().st_size / 1e6, 3),
            "input_size": list(size),
            "threads": {},
        }
        load_before = os.getloadavg()[0]
        for n in threads:
            row["threads"][str(n)] = time_model(model, size, n, warmup, runs)
        row["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        out[name] = row
    return out


def format_bench(result: dict) -> str:
    """Side-by-side table."""
    names = list(result)
    rows = [
        ("parameters", lambda r: f"{r['params']:,}"),
        ("file size (MB)", lambda r: f"{r['size_mb']:.2f}"),
        ("load avg (1 min)", lambda r: "{:.1f}->{:.1f}".format(*r["load_average"])),
    ]
    for n in next(iter(result.values()))["threads"]:
        rows += [
            (f"median ms, {n} thr", lambda r, n=n: f"{r['threads'][n]['median_ms']:.1f}"),
            (f"p90 ms, {n} thr", lambda r, n=n: f"{r['threads'][n]['p90_ms']:.1f}"),
            (f"FPS, {n} thr", lambda r, n=n: f"{r['threads'][n]['fps']:.1f}"),
        ]
    lines = [f"{'':<18}" + "".join(f"{n:>14}" for n in names)]
    lines += [f"{label:<18}" + "".join(f"{fn(result[n]):>14}" for n in names) for label, fn in rows]
    return "\n".join(lines)
