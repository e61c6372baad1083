"""`kd-grasp depth eval`: networks and baselines scored with the ClearGrasp protocol on one dataset.

Every method sees the same input: colour and raw depth resized to the network size (colour area,
depth nearest); its output is resized back to the ground-truth resolution with nearest and then
scored at 256x144 (official) and at full resolution (metrics.py). Networks run through DepthCompleter,
exactly as the ROS node does. Baselines: raw sensor depth (holes scored as 0, coverage reported),
OpenCV Navier-Stokes inpainting of the raw depth (radius 5, at the network size) and `fill`, the
classical fill the networks correct (fallback.py; what DepthCompleter returns at zero confidence).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from kd_grasp_ros.depth.baselines import inpaint_baseline, raw_depth_baseline
from kd_grasp_ros.depth.completer import DepthCompleter, frame_fill
from kd_grasp_ros.depth.data import ClearGraspDataset, split_indices
from kd_grasp_ros.depth.letterbox import Letterbox
from kd_grasp_ros.depth.metrics import MetricAccumulator
from kd_grasp_ros.depth.visualize import save_comparison


def run_baseline(fn, raw: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A baseline at the network input size, resized back to the raw resolution (nearest)."""
    h, w = raw.shape
    small = cv2.resize(raw, size, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(fn(small), (w, h), interpolation=cv2.INTER_NEAREST)


PER_IMAGE_KEYS = ("rmse", "delta_1.05", "delta_1.25")


def _headline(row: dict[str, float]) -> dict[str, float]:
    return {k: row[k] for k in PER_IMAGE_KEYS}


def not_worse_than_inpaint(method: dict[str, float], inpaint: dict[str, float]) -> bool:
    """Issue #12's per-frame requirement: RMSE at most inpainting's and delta 1.25 at least its."""
    return method["rmse"] <= inpaint["rmse"] and method["delta_1.25"] >= inpaint["delta_1.25"]


def evaluate_dataset(
    data_root: Path,
    split: str,
    model_paths: dict[str, Path],
    input_size: tuple[int, int],
    out_json: Path,
    png_dir: Path | None,
    png_count: int,
    png_prefix: str,
    layout: str | None = None,
) -> dict:
    """Score the networks and both baselines; write the JSON report and PNGs; return the report."""
    dataset = ClearGraspDataset(data_root, layout=layout)
    indices = split_indices(len(dataset), split)
    completers = {name: DepthCompleter(path, input_size=input_size) for name, path in model_paths.items()}
    acc = MetricAccumulator()
    per_image: list[dict] = []
    for k, i in enumerate(tqdm(indices, desc=f"eval {split}")):
        s = dataset[i]
        box = Letterbox(s.raw_depth.shape[::-1], input_size)
        preds = {
            "raw": run_baseline(raw_depth_baseline, s.raw_depth, input_size),
            "inpaint": run_baseline(inpaint_baseline, s.raw_depth, input_size),
            "fill": frame_fill(raw_depth_baseline(s.raw_depth), box),
        }
        for name, completer in completers.items():
            preds[name] = completer.complete(s.rgb, s.raw_depth)[0]
        rows = {name: acc.add(name, pred, s.gt_depth, s.mask) for name, pred in preds.items()}
        if rows["inpaint"] is not None:
            per_image.append({"scene": s.name, **{n: _headline(r) for n, r in rows.items()}})
        if png_dir is not None and k < png_count:
            shown = {n: p for n, p in preds.items() if n != "raw"}
            save_comparison(
                png_dir / f"{png_prefix}_{k:02d}.png",
                s.rgb,
                s.raw_depth,
                shown,
                s.gt_depth,
                s.mask,
                title=f"{s.name} ({split})",
            )
    summary = acc.summary()
    paths = {
        "raw": "baseline: raw sensor depth (missing = 0)",
        "inpaint": "baseline: cv2.inpaint NS of raw depth",
        "fill": "baseline: the classical fill the networks correct (depth/fallback.py)",
    }
    paths.update({n: str(p) for n, p in model_paths.items()})
    methods = {}
    for name, by_res in summary.items():
        official = by_res.get("official", {})
        methods[name] = {
            "model": paths[name],
            "dataset": str(data_root),
            **official,
            "full_resolution": by_res.get("full", {}),
        }
    report = {
        "dataset": str(data_root),
        "split": split,
        "layout": layout or "real and synthetic",
        "n": len(indices),
        "input_size": list(input_size),
        "resolution": "official 256x144 nearest (top level); full in full_resolution",
        "pixels": "valid ground truth inside the transparent mask",
        "delta_unit": "percent",
        "methods": methods,
        "per_image": per_image,
        "never_worse_than_inpaint": {
            name: f"{sum(not_worse_than_inpaint(r[name], r['inpaint']) for r in per_image)}/{len(per_image)}"
            for name in methods
            if name not in ("raw", "inpaint")
        },
    }
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(report, indent=2))
    return report


def format_report(report: dict) -> str:
    """A plain-text table of the report (official resolution, then full resolution)."""
    keys = ("rmse", "rel", "mae", "delta_1.05", "delta_1.10", "delta_1.25", "coverage")
    lines = [f"{report['dataset']} [{report['split']}] {report['n']} scenes; n = scenes with scored pixels"]
    for res, pick in (("256x144", lambda m: m), ("full", lambda m: m["full_resolution"])):
        lines.append(f"{res:<9}{'n':>4}" + "".join(f"{k:>11}" for k in keys))
        for name, m in report["methods"].items():
            row = pick(m)
            cells = "".join(f"{row.get(k, float('nan')):>11.4f}" for k in keys)
            lines.append(f"{name:<9}{row.get('n', 0):>4}" + cells)
    counts = ", ".join(f"{n} {c}" for n, c in report.get("never_worse_than_inpaint", {}).items())
    lines.append(f"images where RMSE <= inpainting's and delta_1.25 >= inpainting's (256x144): {counts}")
    return "\n".join(lines)
