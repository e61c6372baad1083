"""Classical baselines scored beside the networks: the raw sensor depth and OpenCV inpainting of it."""

from __future__ import annotations

import cv2
import numpy as np

from kd_grasp_ros.depth.constants import DEPTH_RANGE_M

INPAINT_RADIUS_PX = 5


def raw_depth_baseline(raw: np.ndarray, depth_range: tuple[float, float] = DEPTH_RANGE_M) -> np.ndarray:
    """The raw depth as a prediction: missing, NaN or out-of-range pixels become 0 (scored as missing)."""
    raw = np.nan_to_num(raw.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    return np.where((raw >= depth_range[0]) & (raw <= depth_range[1]), raw, 0.0).astype(np.float32)


def inpaint_baseline(raw: np.ndarray, depth_range: tuple[float, float] = DEPTH_RANGE_M) -> np.ndarray:
    """Missing raw depth filled by OpenCV's Navier-Stokes inpainting (cv2.INPAINT_NS)."""
    depth = raw_depth_baseline(raw, depth_range)
    holes = (depth <= 0).astype(np.uint8)
    if not holes.any() or holes.all():  # nothing to fill, or nothing to fill from
        return depth
    return cv2.inpaint(depth, holes, INPAINT_RADIUS_PX, cv2.INPAINT_NS).astype(np.float32)
