"""What `kd-grasp bench` feeds a grasp network: a camera frame prepared exactly as the detector does.

The timing loop and the parameter count are common to both networks (common/network_stats.py); the
benchmark itself, over every network and the pipeline, is `kd-grasp bench` (kd_grasp_ros/bench/).
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE
from kd_grasp_ros.grasp.preprocess import crop_origin, inpaint_missing, normalise


def grasp_input(depth_m: np.ndarray) -> dict[str, np.ndarray]:
    """The grasp network's input {'depth': 1x1x300x300} from an HxW depth image, as GraspDetector makes it."""
    h, w = depth_m.shape
    top, left = crop_origin((h // 2, w // 2), (h, w), NETWORK_INPUT_SIZE)
    crop = inpaint_missing(depth_m[top : top + NETWORK_INPUT_SIZE, left : left + NETWORK_INPUT_SIZE])
    return {"depth": normalise(crop)[None, None]}
