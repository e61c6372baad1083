"""Camera-to-grasp latency: depth completion + grasp detection + pose lifting on one 640x480 frame.

Uses pipeline.perception.Perception (the nodes' checks and stages, the networks on the nodes'
default backend, ONNX Runtime, with `threads` each) on a synthetic RGB-D frame with a transparent box:
the in-process baseline of the node graph.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.bench.inputs import CAMERA_640X480, camera_frame
from kd_grasp_ros.common.network_stats import time_call
from kd_grasp_ros.pipeline.perception import STAGE_DEPTH, STAGE_GRASP, Perception


def bench_pipeline(
    grasp_model: str, depth_model: str | None, threads: int, repeats: int, warmup: int
) -> dict:
    """Median / p90 of the whole perceive() call and the median of each stage (ms)."""
    perception = Perception(grasp_model, depth_model, threads)
    frame = camera_frame(0)
    stages: dict[str, list[float]] = {STAGE_DEPTH: [], STAGE_GRASP: []}
    found: list[int] = []

    def once():
        seen = perception.perceive(frame.rgb, frame.depth_m, CAMERA_640X480, 0.0)
        for k in stages:
            stages[k].append(seen.timings_ms[k])
        found.append(len(seen.grasps.poses))

    total = time_call(once, repeats, warmup)
    timed = slice(warmup, None)
    return {
        "grasp_model": str(perception.detector.model_path.name),
        "depth_model": perception.completer.path.name if perception.completer else "none",
        "resolution": [CAMERA_640X480.width, CAMERA_640X480.height],
        "grasp_crop_px": perception.detector.crop_size,
        "threads": threads,
        "latency": total,
        "stages_median_ms": {k: float(np.median(v[timed])) for k, v in stages.items()},
        "grasps_found_median": float(np.median(found[timed])),
    }
