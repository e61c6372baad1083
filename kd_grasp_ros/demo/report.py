"""The demo's report folder: annotated frames, raw vs completed depth, a latency plot, summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from kd_grasp_ros.demo.attempt import STAGES, AttemptResult  # noqa: E402
from kd_grasp_ros.pipeline.visualize import draw_grasps  # noqa: E402

SUMMARY_NAME = "summary.json"
LATENCY_PLOT_NAME = "latency.png"


def save_attempt_images(result: AttemptResult, out_dir: Path) -> list[Path]:
    """attempt_NN_grasps.png (the executed candidate green, the others orange) and attempt_NN_depth.png
    (the camera's raw depth beside the depth the grasp network was given), from the nodes' messages."""
    if result.rgb is None:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    grasps = list(result.image_grasps)
    if result.chosen is not None and result.chosen < len(grasps):
        grasps.insert(0, grasps.pop(result.chosen))
    annotated = draw_grasps(result.rgb, grasps)
    label = f"#{result.index} {result.outcome}" + (f" target {result.target}" if result.target else "")
    cv2.putText(annotated, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    grasp_png = out_dir / f"attempt_{result.index:02d}_grasps.png"
    cv2.imwrite(str(grasp_png), cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR))
    panels = [
        (title, depth)
        for title, depth in (
            ("raw sensor depth (black = missing)", result.depth_raw),
            ("depth given to the grasp network", result.depth_network),
        )
        if depth is not None
    ]
    if not panels:
        return [grasp_png]
    depth_png = out_dir / f"attempt_{result.index:02d}_depth.png"
    valid = np.concatenate([d[d > 0].ravel() for _, d in panels])
    lo, hi = (float(np.percentile(valid, 1)), float(np.percentile(valid, 99))) if valid.size else (0.0, 1.0)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="black")
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False)
    for ax, (title, depth) in zip(axes[0], panels, strict=True):
        im = ax.imshow(np.ma.masked_where(~(np.asarray(depth) > 0), depth), cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title)
        ax.axis("off")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="depth (m)")
    fig.savefig(depth_png, dpi=80)
    plt.close(fig)
    return [grasp_png, depth_png]


def save_latency_plot(results: list[AttemptResult], path: Path) -> Path:
    """Box plot of each stage's latency over the attempts (log scale), median written above each box."""
    stages = [s for s in STAGES if any(s in r.timings_ms for r in results)]
    data = [[r.timings_ms[s] for r in results if s in r.timings_ms] for s in stages]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(stages) + 1), [s.replace("_", "\n") for s in stages])
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title(f"closed-loop demo through the node graph: latency over {len(results)} attempts")
    for i, d in enumerate(data, start=1):
        ax.annotate(
            f"{np.median(d):.0f} ms",
            (i, np.median(d)),
            textcoords="offset points",
            xytext=(14, 4),
            fontsize=8,
        )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_summary(summary: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1, default=_json_default))
    return path


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
