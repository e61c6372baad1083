"""`kd-grasp grasp bench`: one latency table for the grasp networks (standard and pixel-shuffle ConvT).

Batch 1, 300x300 input, CPU. For each thread count: warm-up runs, then `repeats` timed forward passes;
median and 90th percentile reported. Post-processing (decode + smoothing + peak picking) is timed the
same way on the model's own output.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from kd_grasp_ros.grasp.checkpoint import load_model
from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE
from kd_grasp_ros.grasp.fast_convt import to_fast
from kd_grasp_ros.grasp.models import count_parameters
from kd_grasp_ros.grasp.postprocess import decode_maps, find_grasps
from kd_grasp_ros.resources import resolve_model


def time_call(fn, repeats: int, warmup: int) -> dict:
    """Median / p90 (ms) of fn() after warm-up calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90))}


def bench_model(path: Path, threads: list[int], repeats: int, warmup: int, fast: bool) -> dict:
    model, info = load_model(path)
    x = torch.from_numpy(
        np.random.default_rng(0)
        .uniform(-0.1, 0.1, (1, 1, NETWORK_INPUT_SIZE, NETWORK_INPUT_SIZE))
        .astype(np.float32)
    )
    forms = {"standard": model}
    if fast:
        forms["fast_convt"] = to_fast(model)
    row = {
        "model": str(path),
        "name": info["model_cfg"]["name"],
        "parameters": count_parameters(model),
        "size_mb": path.stat().st_size / 1e6,
        "latency": {},
    }
    with torch.inference_mode():
        out = model(x)[0]
        if fast:
            row["fast_max_abs_diff"] = float((forms["fast_convt"](x)[0] - out).abs().max())
        for n in threads:
            torch.set_num_threads(n)
            for form, m in forms.items():
                row["latency"][f"{form}_{n}t"] = time_call(lambda m=m: m(x), repeats, warmup)
        row["postprocess"] = time_call(lambda: find_grasps(decode_maps(out), max_grasps=5), repeats, warmup)
    return row


def format_table(rows: list[dict], threads: list[int], fast: bool) -> str:
    forms = ["standard", "fast_convt"] if fast else ["standard"]
    head = ["model", "params", "MB"]
    for form in forms:
        tag = "" if form == "standard" else "fast "
        for n in threads:
            head += [f"{tag}{n}T med ms", f"{tag}{n}T p90 ms"]
        head.append(f"{tag}FPS {threads[0]}T")
    head.append("post ms")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['name']} ({Path(r['model']).name})", f"{r['parameters']:,}", f"{r['size_mb']:.3f}"]
        for form in forms:
            for n in threads:
                lat = r["latency"][f"{form}_{n}t"]
                cells += [f"{lat['median_ms']:.1f}", f"{lat['p90_ms']:.1f}"]
            cells.append(f"{1000.0 / r['latency'][f'{form}_{threads[0]}t']['median_ms']:.1f}")
        cells.append(f"{r['postprocess']['median_ms']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_bench(args) -> int:
    fast = not args.no_fast
    rows = [bench_model(resolve_model(m), args.threads, args.repeats, args.warmup, fast) for m in args.models]
    table = format_table(rows, args.threads, fast)
    print(table)
    report = {
        "rows": rows,
        "threads": args.threads,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "table_markdown": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"-> {args.out}")
    return 0
