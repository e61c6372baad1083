"""Benchmark inputs: the networks' real preprocessing applied to a synthetic RGB-D frame.

A box on a table seen from above (pipeline.synthetic_scene), the box transparent so raw depth has the
holes a RealSense leaves; different box poses give the calibration frames of static quantisation.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.depth.constants import INPUT_SIZE
from kd_grasp_ros.depth.preprocess import normalise_depth, normalise_rgb
from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE
from kd_grasp_ros.grasp.preprocess import crop_origin, inpaint_missing, normalise
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, SyntheticFrame, render_box_scene

CAMERA_640X480 = CameraIntrinsics(width=640, height=480, fx=615.0, fy=615.0, cx=319.5, cy=239.5)
SENSOR_NOISE_M = 0.002


def camera_frame(index: int = 0, intrinsics: CameraIntrinsics = CAMERA_640X480) -> SyntheticFrame:
    """Frame `index`: the box at a pose of its own, transparent (no depth on it), noisy table depth."""
    rng = np.random.default_rng(index)
    scene = BoxScene(box_centre_xy_m=tuple(rng.uniform(-0.08, 0.08, 2)), box_yaw_rad=float(rng.uniform(0, 3)))
    return render_box_scene(intrinsics, scene, transparent_box=True, noise_m=SENSOR_NOISE_M, seed=index)


def grasp_input(frame: SyntheticFrame) -> dict[str, np.ndarray]:
    """The grasp network's input {'depth': 1x1x300x300} exactly as GraspDetector prepares it."""
    h, w = frame.depth_m.shape
    top, left = crop_origin((h // 2, w // 2), (h, w), NETWORK_INPUT_SIZE)
    crop = inpaint_missing(frame.depth_m[top : top + NETWORK_INPUT_SIZE, left : left + NETWORK_INPUT_SIZE])
    return {"depth": normalise(crop)[None, None]}


def depth_input(frame: SyntheticFrame, size: tuple[int, int] = INPUT_SIZE) -> dict[str, np.ndarray]:
    """The depth network's inputs {'rgb', 'log_ratio', 'valid'} at `size` as DepthCompleter prepares them."""
    rgb = cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA)
    depth = cv2.resize(frame.depth_m, size, interpolation=cv2.INTER_NEAREST)
    rgb_t = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0)
    log_ratio, valid, _ = normalise_depth(torch.from_numpy(depth)[None, None])
    return {"rgb": normalise_rgb(rgb_t).numpy(), "log_ratio": log_ratio.numpy(), "valid": valid.numpy()}
