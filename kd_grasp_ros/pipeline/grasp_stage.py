"""From a depth image to filtered 3-D grasp poses: detector, top-k, pose lifting, workspace filter.

ROS-free glue shared by the grasp detection node and the offline replay. Poses are in the camera
optical frame named by the intrinsics (gripper axes: z approach, y closing; see grasp_types).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.grasp_types import CANDIDATE_INFO_FIELDS, GraspPose, ImageGrasp
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.parameter_files import section
from kd_grasp_ros.grasp.errors import GraspInputError
from kd_grasp_ros.grasp.grasp_pose import (
    TURN_STEPS_RAD,
    centred_between_edges,
    edges_fit_stroke,
    robust_depth,
    turned,
)
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M

# The detector is asked for this many times top_k candidates, so that workspace filtering still
# leaves up to top_k grasps.
CANDIDATE_OVERSAMPLING = 3
# grasp_detection_node's shipped parameters (config/grasp_detection.yaml): the defaults of the replay too.
_GRASP_NODE = section("grasp_detection.yaml", "grasp_detection_node")
DEFAULT_TOP_K: int = _GRASP_NODE["top_k"]
# The grasp checkpoint the node and the replay load unless told otherwise (in the package's models/).
DEFAULT_GRASP_MODEL: str = _GRASP_NODE["model_path"]


def jaw_clearance(parameter_value: float) -> float | None:
    """The jaw_clearance_m parameter as GraspFilterConfig takes it: negative = None (the network's width)."""
    return None if float(parameter_value) < 0 else float(parameter_value)


class GraspStageConfigError(KdGraspError, ValueError):
    """Grasp filtering parameters that contradict each other or are out of range."""


@dataclass(frozen=True)
class GraspFilterConfig:
    """Which grasps survive: how many, how good, and where (camera optical frame, metres). Defaults:
    grasp_detection_node's shipped parameters."""

    top_k: int = DEFAULT_TOP_K
    min_quality: float = _GRASP_NODE["min_quality"]
    workspace_min: tuple[float, float, float] = tuple(_GRASP_NODE["workspace_min"])
    workspace_max: tuple[float, float, float] = tuple(_GRASP_NODE["workspace_max"])
    crop_center: tuple[int, int] | None = None  # (row, col) of the network crop; None = image centre
    # jaw opening = width measured in the depth + this per side (grasp_pose.measured_opening); None = the
    # network's width
    jaw_clearance_m: float | None = jaw_clearance(_GRASP_NODE["jaw_clearance_m"])
    # with a jaw clearance: move each grasp along its jaw axis to midway between the object's edges
    # (grasp_pose.centred_between_edges)
    centre_jaws: bool = bool(_GRASP_NODE["centre_jaws"])
    # with a jaw clearance: a grasp whose opening passes the stroke is turned to the narrowest angle
    # that fits (grasp_pose.turned); one whose object is wider than the stroke at every angle tried is
    # dropped (fitted_grasp)
    turn_to_fit: bool = bool(_GRASP_NODE["turn_to_fit"])
    # with a jaw clearance: then move it across the jaw axis to midway between the object's edges there
    centre_across: bool = bool(_GRASP_NODE["centre_across"])

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise GraspStageConfigError(f"top_k must be >= 1, got {self.top_k}")
        if not 0.0 <= self.min_quality <= 1.0:
            raise GraspStageConfigError(f"min_quality must be in [0, 1], got {self.min_quality}")
        if self.jaw_clearance_m is not None and not 0.0 <= self.jaw_clearance_m <= 0.05:
            raise GraspStageConfigError(
                f"jaw_clearance_m must be in [0, 0.05] m or None, got {self.jaw_clearance_m}"
            )
        if len(self.workspace_min) != 3 or len(self.workspace_max) != 3:
            raise GraspStageConfigError(
                f"workspace bounds must be [x, y, z] each, got {self.workspace_min} and {self.workspace_max}"
            )
        if any(lo >= hi for lo, hi in zip(self.workspace_min, self.workspace_max, strict=True)):
            raise GraspStageConfigError(
                f"workspace_min {list(self.workspace_min)} must be below workspace_max "
                f"{list(self.workspace_max)} on every axis"
            )

    def in_workspace(self, position: np.ndarray) -> bool:
        return bool(np.all(position >= self.workspace_min) and np.all(position <= self.workspace_max))


@dataclass
class GraspResult:
    """Grasps of one frame, best first: image grasps and their poses side by side, plus the maps."""

    grasps: list[ImageGrasp]
    poses: list[GraspPose]
    quality_map: np.ndarray
    timings_ms: dict[str, float] = field(default_factory=dict)
    outside_workspace: int = 0
    without_depth: int = 0
    too_wide: int = 0  # dropped: the object under them is wider than the stroke at every angle tried
    turned: int = 0  # kept at another angle than the network's: too wide at its own
    crop: tuple[int, int, int] = (0, 0, 0)  # (top, left, size) of the network's crop, full-image px

    @property
    def best(self) -> GraspPose | None:
        return self.poses[0] if self.poses else None


def detect_grasp_poses(
    detector,
    image_grasp_to_pose,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    stamp_s: float,
    cfg: GraspFilterConfig,
) -> GraspResult:
    """Run `detector` on metres depth and lift the best grasps to poses with `image_grasp_to_pose`.

    detector: a kd_grasp_ros.grasp.detector.GraspDetector; image_grasp_to_pose: the function of
    kd_grasp_ros.grasp.grasp_pose (passed in so callers decide when the torch modules load).
    """
    detection = detector.detect(
        depth_m,
        max_grasps=cfg.top_k * CANDIDATE_OVERSAMPLING,
        min_quality=cfg.min_quality,
        crop_center=cfg.crop_center,
    )
    start = time.perf_counter()
    result = GraspResult(
        grasps=[],
        poses=[],
        quality_map=detection.quality,
        timings_ms=dict(detection.timings_ms),
        crop=detection.crop_box,
    )
    for grasp in detection.grasps:
        if len(result.poses) == cfg.top_k:
            break
        try:
            fitted = fitted_grasp(grasp, image_grasp_to_pose, depth_m, intrinsics, stamp_s, cfg)
        except GraspInputError:
            result.without_depth += 1
            continue
        if fitted is None:
            result.too_wide += 1
            continue
        grasp, pose, was_turned = fitted
        if not cfg.in_workspace(pose.position):
            result.outside_workspace += 1
            continue
        result.turned += int(was_turned)
        result.grasps.append(grasp)
        result.poses.append(pose)
    result.timings_ms["poses"] = (time.perf_counter() - start) * 1000.0
    return result


def fitted_grasp(grasp, image_grasp_to_pose, depth_m, intrinsics, stamp_s, cfg: GraspFilterConfig):
    """(grasp, pose, turned?) of one detected grasp. With a jaw clearance: centred along its jaw axis
    (cfg.centre_jaws), then across it (cfg.centre_across), between the object's edges; an opening
    beyond the stroke is turned (cfg.turn_to_fit) to the narrowest angle whose opening fits; failing
    that, the grasp is kept if the object alone fits the stroke, else None. GraspInputError without
    depth."""

    def placed(g):
        if cfg.jaw_clearance_m is not None:
            for across, wanted in ((False, cfg.centre_jaws), (True, cfg.centre_across)):
                if wanted:
                    g = centred_between_edges(g, depth_m, intrinsics, cfg.jaw_clearance_m, across=across)
        return g, image_grasp_to_pose(g, depth_m, intrinsics, stamp_s, cfg.jaw_clearance_m)

    grasp, pose = placed(grasp)
    if cfg.jaw_clearance_m is None or pose.width_m <= GRIPPER_STROKE_M:
        return grasp, pose, False
    if cfg.turn_to_fit:
        # only angles with both of the object's edges within a stroke are placed (the frame's many
        # grasps on the bare table have none at any angle; placing each turn costs 8 edge searches)
        spans = [turned(grasp, step) for step in TURN_STEPS_RAD]
        z = robust_depth(depth_m, grasp.row, grasp.col)
        turns = (placed(g) for g in spans if edges_fit_stroke(g, depth_m, intrinsics, z, cfg.jaw_clearance_m))
        fitting = [(g, p) for g, p in turns if p.width_m <= GRIPPER_STROKE_M]
        if fitting:
            return (*min(fitting, key=lambda gp: gp[1].width_m), True)
    # the measured opening is the object's width plus the clearance on each side: an object no wider
    # than the stroke is left to the executor (its width_clamp_margin_m)
    if pose.width_m <= GRIPPER_STROKE_M + 2.0 * cfg.jaw_clearance_m:
        return grasp, pose, False
    return None


def candidates_info(poses: list[GraspPose]) -> list[float]:
    """The flat [quality, width_m] per candidate layout of the `grasp_candidates_info` topic."""
    return [float(getattr(pose, name)) for pose in poses for name in CANDIDATE_INFO_FIELDS]
