"""Camera frame -> completed depth -> grasp poses: the demo's perception, timed stage by stage.

The same object measures the pipeline's camera-to-grasp latency in `kd-grasp bench`. With no depth
model the detector sees the raw sensor depth with its holes inpainted (the ablation of the trials).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.grasp.constants import DEPLOYED_CROP_SIZE
from kd_grasp_ros.grasp.preprocess import inpaint_missing
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig, GraspResult, detect_grasp_poses

STAGE_DEPTH = "depth_completion"
STAGE_GRASP = "grasp_detection"


@dataclass
class PerceptionResult:
    """The depth the detector saw, its grasps (best first, camera frame) and per-stage times (ms)."""

    depth_m: np.ndarray
    grasps: GraspResult
    timings_ms: dict[str, float] = field(default_factory=dict)


class Perception:
    """DepthCompleter (or raw depth) + GraspDetector + pose lifting, loaded once."""

    def __init__(self, grasp_model: str, depth_model: str | None, threads: int,
                 crop_size: int = DEPLOYED_CROP_SIZE,
                 top_k: int = 5, min_quality: float = 0.2):
        from kd_grasp_ros.depth.completer import DepthCompleter
        from kd_grasp_ros.grasp.detector import GraspDetector
        from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose

        self.threads = int(threads)
        self.completer = DepthCompleter(depth_model, threads=self.threads) if depth_model else None
        self.detector = GraspDetector(grasp_model, crop_size=crop_size, threads=self.threads)
        self._to_pose = image_grasp_to_pose
        self.filter = GraspFilterConfig(top_k=top_k, min_quality=min_quality)

    @property
    def depth_label(self) -> str:
        return self.completer.name if self.completer is not None else "raw (inpainted)"

    def perceive(self, rgb: np.ndarray, depth_raw: np.ndarray, intrinsics: CameraIntrinsics,
                 stamp_s: float) -> PerceptionResult:
        """Completed (or inpainted raw) depth and the grasp poses of one RGB-D frame."""
        t0 = time.perf_counter()
        if self.completer is not None:
            depth = self.completer.complete(rgb, depth_raw)
        else:
            depth = inpaint_missing(np.asarray(depth_raw, dtype=np.float32))
        t1 = time.perf_counter()
        grasps = detect_grasp_poses(self.detector, self._to_pose, depth, intrinsics, stamp_s, self.filter)
        t2 = time.perf_counter()
        return PerceptionResult(depth, grasps, {STAGE_DEPTH: 1e3 * (t1 - t0), STAGE_GRASP: 1e3 * (t2 - t1)})
