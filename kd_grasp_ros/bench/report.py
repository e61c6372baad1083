"""The benchmark's outputs: the machine description, one markdown table, and the JSON."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import torch

from kd_grasp_ros.common.machine import cpu_model

SCHEMA_VERSION = 1


def machine() -> dict:
    import onnxruntime

    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def _ms(row: dict, n: int, key: str) -> str:
    lat = row.get("latency", {}).get(str(n))
    return f"{lat[key]:.1f}" if lat else "-"


def format_markdown(result: dict) -> str:
    """Machine line, the network table (one row per network and form), the pipeline row, targets."""
    threads = result["threads"]
    m = result["machine"]
    head = ["network", "role", "form", "params", "MB"]
    for n in threads:
        head += [f"median ms {n}T", f"p90 ms {n}T"]
    head += [f"FPS {threads[-1]}T", f"speed-up vs torch {threads[0]}T", "max abs diff", "accuracy (source)"]
    command = result.get("command")
    note = result.get("command_note", "unknown")
    made_by = (
        f"Produced by `{command}`."
        if command
        else f"The command that produced these figures was not recorded ({note})."
    )
    lines = [
        made_by,
        "",
        f"Machine: {m['cpu']}, {m['logical_cores']} logical cores, torch {m['torch']}, onnxruntime "
        f"{m['onnxruntime']}, Python {m['python']}. Batch 1; grasp networks 1x300x300 depth, depth "
        f"networks {result['depth_input_size'][0]}x{result['depth_input_size'][1]} RGB-D; {result['warmup']} "
        f"warm-up runs, then {result['repeats']} timed runs (median, 90th percentile). T = threads. "
        f"Load average at the start: {m.get('load_average_1min_at_start', 'n/a')} (the cores are shared with "
        f"other jobs; contention inflates the 2-thread figures most).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in result["rows"]:
        if "error" in r:
            cells = [r["network"], r["role"], r["form"], f"{r['parameters']:,}", "-"]
            cells += ["-"] * (2 * len(threads))
            cells += ["-", "-", "-", f"failed: {r['error']}"]
        else:
            cells = [r["network"], r["role"], r["form"], f"{r['parameters']:,}", f"{r['size_mb']:.3f}"]
            for n in threads:
                cells += [_ms(r, n, "median_ms"), _ms(r, n, "p90_ms")]
            acc = r["accuracy"]
            cells += [
                f"{r['latency'][str(threads[-1])]['fps']:.1f}",
                f"{r['speedup_vs_torch']:.2f}x",
                f"{r['max_abs_diff']:.2e}",
                f"{acc['text']} ({acc['source']})",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    for p in result.get("pipeline") or []:
        lat = p["latency"]
        stages = ", ".join(f"{k} {v:.1f} ms" for k, v in p["stages_median_ms"].items())
        size = f"{p['resolution'][0]}x{p['resolution'][1]}"
        lines += [
            "",
            f"Camera-to-grasp at {size}, {p['threads']} thread(s) "
            f"({p['depth_model']} + {p['grasp_model']} on a {p['grasp_crop_px']} px crop + pose): "
            f"median {lat['median_ms']:.1f} ms, "
            f"p90 {lat['p90_ms']:.1f} ms, {lat['fps']:.1f} FPS (stage medians: {stages}).",
        ]
    lines += _node_graph_lines(result.get("nodes") or {})
    targets = result.get("targets")
    if targets:
        lines += [
            "",
            "Targets: "
            + "; ".join(
                f"{t['what']}: {t['measured']} vs {t['target']} -> {'met' if t['met'] else 'NOT met'}"
                for t in targets
            )
            + ".",
        ]
    return "\n".join(lines) + "\n"


def _node_graph_lines(nodes: dict) -> list[str]:
    lines = []
    for mode in ("composed", "separate"):
        if mode not in nodes:
            continue
        n = nodes[mode]
        e2e, closed = n["end_to_end_ms"], n["closed_loop_ms"]
        per_node = ", ".join(f"{name} {v['median']:.1f} ms" for name, v in n["node_latency_ms"].items() if v)
        stages = "; ".join(
            f"{name}: " + ", ".join(f"{k.removesuffix('_ms')} {v:.1f}" for k, v in times.items())
            for name, times in n.get("node_stage_ms", {}).items()
        )
        send = n.get("driver_send_ms")  # absent in results saved before it was measured
        driver = f"; the driver's own publishing {send['median']:.1f} ms" if send else ""
        form = "pipeline_composed" if mode == "composed" else "depth_completion_node + grasp_detection_node"
        lines += [
            "",
            f"Node graph, {mode} ({form}; {', '.join(nodes['parameter_files'])}), "
            f"{nodes['frame_size'][0]}x{nodes['frame_size'][1]} frames at {n['input_hz']:g} Hz for "
            f"{n['seconds']:g} s: {n['output_fps']:.1f} frames/s out ({n['frames_answered']}/"
            f"{n['frames_sent']} answered); image stamp -> grasp_candidates median "
            f"{e2e['median']:.1f} ms (p10 {e2e['p10']:.1f}, p90 {e2e['p90']:.1f}); one frame at a time "
            f"{closed['median']:.1f} ms; per node {per_node}"
            + (f" (medians, ms: {stages})" if stages else "")
            + f"{driver}.",
        ]
    return lines


def write_outputs(result: dict, json_path: Path, md_path: Path) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=1))
    md_path.write_text(format_markdown(result))
