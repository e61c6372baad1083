"""Run the pipeline over every frame of a bag without a ROS graph, deterministically.

Colour and depth are paired as the nodes pair them (approximate time), each pair goes through the
nodes' two stages (pipeline/perception.py: checks, DepthCompleter unless disabled, GraspDetector + the
grasp stage), and the results are written to
OUT: results.json (per frame: stamp, timings, every candidate), results.csv (one row per candidate),
frame_NNNN.png (colour with the grasps drawn | completed depth | quality heat map) and optionally
grasps_bag/ with the grasp topics as the node publishes them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from geometry_msgs.msg import PoseArray, PoseStamped
from std_msgs.msg import Float32
from tqdm import tqdm

from kd_grasp_ros.common.transforms import matrix_to_quat
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.grasp_messages import candidates_info_msg, pose_to_msg
from kd_grasp_ros.pipeline.frame_checks import DEFAULT_MIN_VALID_FRACTION
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig
from kd_grasp_ros.pipeline.perception import complete_frame, detect_frame
from kd_grasp_ros.pipeline.sync import DEFAULT_SLOP_S, ApproximateTimeSynchronizer
from kd_grasp_ros.pipeline.visualize import depth_to_rgb, draw_grasps, quality_heatmap
from kd_grasp_ros.replay.bag_io import BagError, BagWriter, deserialize, read_messages
from kd_grasp_ros.ros_image import camera_info_to_intrinsics, depth_to_metres, image_to_rgb

CSV_FIELDS = [
    "frame",
    "stamp_s",
    "rank",
    "quality",
    "width_m",
    "x",
    "y",
    "z",
    "qx",
    "qy",
    "qz",
    "qw",
    "row",
    "col",
    "angle_rad",
]


@dataclass(frozen=True)
class OfflineTopics:
    """Bag topics read by the offline run (realsense-ros names by default)."""

    color: str = "/" + topics.REALSENSE_COLOR
    depth: str = "/" + topics.REALSENSE_ALIGNED_DEPTH
    camera_info: str = "/" + topics.REALSENSE_ALIGNED_DEPTH_INFO


def paired_frames(bag: str | Path, bag_topics: OfflineTopics, slop_s: float = DEFAULT_SLOP_S):
    """(stamp_s, colour msg, depth msg, camera_info msg) for every colour/depth pair, in time order."""
    sync = ApproximateTimeSynchronizer(("color", "depth"), slop_s=slop_s)
    info = None
    names = {bag_topics.color: "color", bag_topics.depth: "depth"}
    for message in read_messages(bag, [bag_topics.color, bag_topics.depth, bag_topics.camera_info]):
        msg = deserialize(message)
        if message.topic == bag_topics.camera_info:
            info = msg
            continue
        stamp_s = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        matched = sync.add(names[message.topic], stamp_s, msg)
        if matched is not None:
            if info is None:
                raise BagError(
                    f"a frame at {stamp_s:.3f} s comes before any camera_info on {bag_topics.camera_info}"
                )
            yield stamp_s, matched["color"].item, matched["depth"].item, info


def run_offline(
    bag: str | Path,
    out_dir: str | Path,
    completer,
    detector,
    image_grasp_to_pose,
    filter_cfg: GraspFilterConfig,
    bag_topics: OfflineTopics = OfflineTopics(),
    slop_s: float = DEFAULT_SLOP_S,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
    write_bag: bool = False,
) -> dict:
    """Process every frame; returns the summary also written to results.json.

    completer: a DepthCompleter or None (grasps on raw depth); detector: a GraspDetector.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames, rows = [], []
    bag_writer = BagWriter(out / "grasps_bag") if write_bag else None
    if bag_writer is not None:
        bag_writer.__enter__()
    try:
        for index, (stamp_s, color_msg, depth_msg, info_msg) in enumerate(
            tqdm(paired_frames(bag, bag_topics, slop_s), desc="frames", unit="frame")
        ):
            rgb, raw = image_to_rgb(color_msg), depth_to_metres(depth_msg)
            intrinsics = replace(camera_info_to_intrinsics(info_msg), frame_id=depth_msg.header.frame_id)
            depth = complete_frame(completer, rgb, raw, intrinsics, min_valid_fraction).depth
            result = detect_frame(detector, image_grasp_to_pose, depth, intrinsics, stamp_s, filter_cfg)
            timings = {"depth_" + k: v for k, v in (completer.last_timings_ms if completer else {}).items()}
            timings.update({"grasp_" + k: v for k, v in result.timings_ms.items()})
            candidates = []
            for rank, (grasp, pose) in enumerate(zip(result.grasps, result.poses, strict=True)):
                q = matrix_to_quat(pose.rotation)
                row = {
                    "frame": index,
                    "stamp_s": stamp_s,
                    "rank": rank,
                    "quality": pose.quality,
                    "width_m": pose.width_m,
                    "x": pose.position[0],
                    "y": pose.position[1],
                    "z": pose.position[2],
                    "qx": q[0],
                    "qy": q[1],
                    "qz": q[2],
                    "qw": q[3],
                    "row": grasp.row,
                    "col": grasp.col,
                    "angle_rad": grasp.angle,
                }
                rows.append(row)
                candidates.append(
                    {k: float(v) for k, v in row.items() if k not in ("frame", "stamp_s", "rank")}
                )
            frames.append(
                {
                    "frame": index,
                    "stamp_s": stamp_s,
                    "frame_id": intrinsics.frame_id,
                    "timings_ms": timings,
                    "candidates": candidates,
                }
            )
            panel = np.hstack(
                [
                    draw_grasps(rgb, result.grasps),
                    draw_grasps(depth_to_rgb(depth), result.grasps),
                    quality_heatmap(result.quality_map),
                ]
            )
            cv2.imwrite(str(out / f"frame_{index:04d}.png"), cv2.cvtColor(panel, cv2.COLOR_RGB2BGR))
            if bag_writer is not None:
                _write_grasp_messages(
                    bag_writer,
                    depth_msg.header,
                    result,
                    depth_msg.header.stamp.sec * 10**9 + depth_msg.header.stamp.nanosec,
                )
    finally:
        if bag_writer is not None:
            bag_writer.__exit__(None, None, None)
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    summary = {
        "bag": str(bag),
        "frames": len(frames),
        "frames_with_grasp": sum(bool(f["candidates"]) for f in frames),
        "depth_completion": completer is not None,
        "results": frames,
    }
    (out / "results.json").write_text(json.dumps(summary, indent=1))
    return summary


def _write_grasp_messages(writer: BagWriter, header, result, t_ns: int) -> None:
    if result.best is not None:
        writer.write("/" + topics.GRASP_POSE, PoseStamped(header=header, pose=pose_to_msg(result.best)), t_ns)
        writer.write("/" + topics.GRASP_WIDTH, Float32(data=float(result.best.width_m)), t_ns)
        writer.write("/" + topics.GRASP_QUALITY, Float32(data=float(result.best.quality)), t_ns)
    writer.write(
        "/" + topics.GRASP_CANDIDATES,
        PoseArray(header=header, poses=[pose_to_msg(p) for p in result.poses]),
        t_ns,
    )
    writer.write("/" + topics.GRASP_CANDIDATES_INFO, candidates_info_msg(result.poses), t_ns)
