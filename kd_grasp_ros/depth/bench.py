"""What `kd-grasp bench` feeds a depth network: an RGB-D frame prepared exactly as the completer does.

The timing loop and the parameter count are common to both networks (common/network_stats.py); the
benchmark itself, over every network and the pipeline, is `kd-grasp bench` (kd_grasp_ros/bench/).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from kd_grasp_ros.depth.constants import INPUT_SIZE
from kd_grasp_ros.depth.preprocess import normalise_depth, normalise_rgb


def depth_input(
    rgb: np.ndarray, depth_m: np.ndarray, size: tuple[int, int] = INPUT_SIZE
) -> dict[str, np.ndarray]:
    """The depth network's inputs {'rgb', 'log_ratio', 'valid'} at `size` as DepthCompleter makes them."""
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    depth = cv2.resize(depth_m, size, interpolation=cv2.INTER_NEAREST)
    rgb_t = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0)
    log_ratio, valid, _ = normalise_depth(torch.from_numpy(depth)[None, None])
    return {"rgb": normalise_rgb(rgb_t).numpy(), "log_ratio": log_ratio.numpy(), "valid": valid.numpy()}
