"""Camera-to-grasp latency: depth completion + grasp detection + pose lifting on one 640x480 frame.

Uses pipeline.perception.Perception (the nodes' checks and stages, the networks on the nodes'
default backend, ONNX Runtime, with `threads` each) on the frames the node-graph benchmark sends (the
sample bag's, in turn, converted as the nodes convert them): the in-process baseline of the node graph
on the same input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kd_grasp_ros.bench.node_graph import SAMPLE_BAG, load_frames
from kd_grasp_ros.common.network_stats import time_call
from kd_grasp_ros.common.resources import SOURCE_ROOT
from kd_grasp_ros.pipeline.perception import STAGE_DEPTH, STAGE_GRASP, Perception


def bag_frames(bag: Path = SAMPLE_BAG) -> list[tuple]:
    """(rgb, depth in metres, intrinsics) of each frame of the bag, converted as the nodes convert them."""
    from kd_grasp_ros.ros_image import camera_info_to_intrinsics, depth_to_metres, image_to_rgb

    return [
        (image_to_rgb(c), depth_to_metres(d), camera_info_to_intrinsics(i)) for c, d, i in load_frames(bag)
    ]


def bench_pipeline(
    grasp_model: str, depth_model: str | None, threads: int, repeats: int, warmup: int, bag: Path = SAMPLE_BAG
) -> dict:
    """Median / p90 of the whole perceive() call and the median of each stage (ms), the bag's frames in
    turn."""
    perception = Perception(grasp_model, depth_model, threads)
    frames = bag_frames(bag)
    stages: dict[str, list[float]] = {STAGE_DEPTH: [], STAGE_GRASP: []}
    found: list[int] = []

    def once():
        rgb, depth_m, intrinsics = frames[len(found) % len(frames)]
        seen = perception.perceive(rgb, depth_m, intrinsics, 0.0)
        for k in stages:
            stages[k].append(seen.timings_ms[k])
        found.append(len(seen.grasps.poses))

    total = time_call(once, repeats, warmup)
    timed = slice(warmup, None)
    return {
        "grasp_model": str(perception.detector.model_path.name),
        "depth_model": perception.completer.path.name if perception.completer else "none",
        "frames": str(bag.relative_to(SOURCE_ROOT)) if bag.is_relative_to(SOURCE_ROOT) else str(bag),
        "resolution": [frames[0][2].width, frames[0][2].height],
        "grasp_crop_px": perception.detector.crop_size,
        "threads": threads,
        "latency": total,
        "stages_median_ms": {k: float(np.median(v[timed])) for k, v in stages.items()},
        "grasps_found_median": float(np.median(found[timed])),
    }
