"""Camera frame -> completed depth -> grasp poses: the one perception loop, plain numpy, no ROS.

Two stages, the two perception nodes:
- `complete_frame`: the checks of depth_completion_node (sizes of colour, depth and camera_info agree;
  enough valid raw depth) and the depth completion, or the raw depth when there is no depth model
  (the grasp detector inpaints its own crop, exactly as grasp_detection_node does on raw depth);
- `detect_frame`: the checks of grasp_detection_node and the detection, pose lifting and filtering.
`Perception` chains them with the nodes' defaults; the offline replay, the demo and the benchmark use
it, and the nodes call the two stages, so every path makes the same decisions on the same frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.parameter_files import section
from kd_grasp_ros.grasp.constants import DEPLOYED_CROP_SIZE
from kd_grasp_ros.pipeline.frame_checks import DEFAULT_MIN_VALID_FRACTION, check_depth, check_sizes
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig, GraspResult, detect_grasp_poses

STAGE_DEPTH = "depth_completion"
STAGE_GRASP = "grasp_detection"
# grasp_detection_node's shipped min_valid_fraction (config/grasp_detection.yaml): completed depth is
# dense; raw depth (completion off) has holes the detector inpaints, but a frame with less is too empty.
GRASP_MIN_VALID_FRACTION: float = section("grasp_detection.yaml", "grasp_detection_node")[
    "min_valid_fraction"
]

__all__ = [
    "GRASP_MIN_VALID_FRACTION",
    "STAGE_DEPTH",
    "STAGE_GRASP",
    "CompletedFrame",
    "Perception",
    "PerceptionResult",
    "complete_frame",
    "detect_frame",
]


class CompletedFrame(NamedTuple):
    """The depth the detector reads, the completion's confidence (None without a depth model) and the
    fraction of valid raw depth."""

    depth: np.ndarray
    confidence: np.ndarray | None
    valid_fraction: float


def complete_frame(
    completer,
    rgb: np.ndarray,
    raw_depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
) -> CompletedFrame:
    """The completed (or raw) depth of one frame; FrameInputError on a bad frame.

    completer: a kd_grasp_ros.depth.completer.DepthCompleter, or None for the raw depth.
    """
    check_sizes(raw_depth_m, intrinsics, rgb)
    valid = check_depth(raw_depth_m, min_valid_fraction)
    if completer is None:
        return CompletedFrame(raw_depth_m, None, valid)
    depth, confidence = completer.complete(rgb, raw_depth_m)
    return CompletedFrame(depth, confidence, valid)


def detect_frame(
    detector,
    image_grasp_to_pose,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    stamp_s: float,
    cfg: GraspFilterConfig,
    min_valid_fraction: float = GRASP_MIN_VALID_FRACTION,
) -> GraspResult:
    """Grasps of one depth frame, best first; FrameInputError / GraspInputError on a bad frame.

    detector: a kd_grasp_ros.grasp.detector.GraspDetector; image_grasp_to_pose: the function of
    kd_grasp_ros.grasp.grasp_pose (passed in so callers decide when the torch modules load).
    """
    check_sizes(depth_m, intrinsics)
    check_depth(depth_m, min_valid_fraction)
    return detect_grasp_poses(detector, image_grasp_to_pose, depth_m, intrinsics, stamp_s, cfg)


@dataclass
class PerceptionResult:
    """The depth the detector saw, its grasps (best first, camera frame) and per-stage times (ms)."""

    depth_m: np.ndarray
    grasps: GraspResult
    timings_ms: dict[str, float] = field(default_factory=dict)


class Perception:
    """DepthCompleter (or raw depth) + GraspDetector + pose lifting, loaded once, on the nodes' backend."""

    def __init__(
        self,
        grasp_model: str,
        depth_model: str | None,
        threads: int,
        crop_size: int = DEPLOYED_CROP_SIZE,
        filter_cfg: GraspFilterConfig | None = None,
    ):
        from kd_grasp_ros.depth.completer import DepthCompleter
        from kd_grasp_ros.grasp.detector import GraspDetector
        from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose

        self.threads = int(threads)
        self.completer = DepthCompleter(depth_model, threads=self.threads) if depth_model else None
        self.detector = GraspDetector(grasp_model, crop_size=crop_size, threads=self.threads)
        self._to_pose = image_grasp_to_pose
        self.filter = filter_cfg or GraspFilterConfig()

    def perceive(
        self, rgb: np.ndarray, raw_depth_m: np.ndarray, intrinsics: CameraIntrinsics, stamp_s: float
    ) -> PerceptionResult:
        """Completed (or raw) depth and the grasp poses of one RGB-D frame."""
        t0 = time.perf_counter()
        depth = complete_frame(self.completer, rgb, raw_depth_m, intrinsics).depth
        t1 = time.perf_counter()
        grasps = detect_frame(self.detector, self._to_pose, depth, intrinsics, stamp_s, self.filter)
        t2 = time.perf_counter()
        return PerceptionResult(depth, grasps, {STAGE_DEPTH: 1e3 * (t1 - t0), STAGE_GRASP: 1e3 * (t2 - t1)})
