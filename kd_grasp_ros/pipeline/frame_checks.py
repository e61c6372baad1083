"""Checks every camera frame passes before it reaches a network: age, sizes and usable depth.

Plain numpy, no ROS: the nodes and the offline replay share these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.parameter_files import section

# The defaults are depth_completion_node's shipped parameters (config/depth_completion.yaml), so plain
# callers (the offline replay) judge frames as the launched node does.
_DEPTH_NODE = section("depth_completion.yaml", "depth_completion_node")
# Frames whose depth has fewer valid (> 0, finite) pixels than this fraction are refused by default.
DEFAULT_MIN_VALID_FRACTION: float = _DEPTH_NODE["min_valid_fraction"]
# Frames older than this (seconds, stamp vs. the node's clock) are dropped by default.
DEFAULT_MAX_AGE_S: float = _DEPTH_NODE["max_age_s"]
# Frames stamped further than this in the future (clock skew, sim time vs. wall clock) are refused.
DEFAULT_MAX_FUTURE_S: float = _DEPTH_NODE["max_future_s"]


class FrameInputError(KdGraspError, ValueError):
    """A camera frame cannot be processed: sizes disagree, depth is missing or not finite."""


def check_depth(depth_m: np.ndarray, min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION) -> float:
    """Raise FrameInputError unless depth is (H, W) float metres with enough valid pixels.

    Returns the fraction of valid pixels. Non-finite values are errors here (the ROS conversion
    already maps them to 0 = missing).
    """
    depth = np.asarray(depth_m)
    if depth.ndim != 2 or depth.size == 0:
        raise FrameInputError(f"depth must be a non-empty (H, W) array, got shape {depth.shape}")
    if not np.issubdtype(depth.dtype, np.floating):
        raise FrameInputError(f"depth must be float metres, got dtype {depth.dtype}")
    if not np.all(np.isfinite(depth)):
        raise FrameInputError("depth holds NaN or inf; expected finite metres with 0 = missing")
    valid = float(np.count_nonzero(depth > 0.0)) / depth.size
    if valid < min_valid_fraction:
        raise FrameInputError(
            f"only {valid:.1%} of depth pixels are valid (> 0 m); at least {min_valid_fraction:.1%} needed"
        )
    return valid


def check_sizes(depth_m: np.ndarray, intrinsics: CameraIntrinsics, rgb: np.ndarray | None = None) -> None:
    """Raise FrameInputError unless depth, camera_info (and colour, if given) have the same size."""
    h, w = np.asarray(depth_m).shape[:2]
    if (intrinsics.width, intrinsics.height) != (w, h):
        raise FrameInputError(
            f"camera_info is {intrinsics.width}x{intrinsics.height} but the depth image is {w}x{h}"
        )
    if rgb is not None:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise FrameInputError(f"colour must be (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}")
        if rgb.shape[:2] != (h, w):
            raise FrameInputError(
                f"colour image is {rgb.shape[1]}x{rgb.shape[0]} but the depth image is {w}x{h}; "
                "expected depth aligned to colour"
            )


@dataclass
class StaleFrameFilter:
    """Judges a frame's stamp against the clock and counts what it refuses.

    Refused: an unstamped frame (stamp <= 0 s), a frame older than `max_age_s` (<= 0: never too old)
    and a frame stamped more than `max_future_s` ahead of the clock (a future stamp would otherwise
    look fresh forever).
    """

    max_age_s: float = DEFAULT_MAX_AGE_S
    max_future_s: float = DEFAULT_MAX_FUTURE_S
    accepted: int = 0
    dropped: int = 0
    future_dropped: int = 0
    unstamped: int = 0

    def refusal(self, stamp_s: float, now_s: float) -> str | None:
        """None if a frame stamped `stamp_s` is usable at `now_s` (seconds, same clock), else why not."""
        if not (stamp_s > 0.0) or not np.isfinite(stamp_s):
            self.unstamped += 1
            return f"frame is unstamped (header.stamp {stamp_s:.9f} s)"
        age = now_s - stamp_s
        if age < -self.max_future_s:
            self.future_dropped += 1
            return f"frame is stamped {-age:.3f} s in the future (> max_future_s {self.max_future_s})"
        if self.max_age_s > 0.0 and age > self.max_age_s:
            self.dropped += 1
            return f"frame is {age:.3f} s old (> max_age_s {self.max_age_s})"
        self.accepted += 1
        return None

    def accept(self, stamp_s: float, now_s: float) -> bool:
        """True if a frame stamped `stamp_s` is usable at time `now_s` (see `refusal`)."""
        return self.refusal(stamp_s, now_s) is None
