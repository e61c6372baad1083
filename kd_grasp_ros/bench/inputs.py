"""Benchmark inputs: the networks' real preprocessing applied to a synthetic RGB-D frame.

A box on a table seen from above (pipeline.synthetic_scene), the box transparent so raw depth has the
holes a RealSense leaves; different box poses give the calibration frames of static quantisation.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, SyntheticFrame, render_box_scene

CAMERA_640X480 = CameraIntrinsics(width=640, height=480, fx=615.0, fy=615.0, cx=319.5, cy=239.5)
SENSOR_NOISE_M = 0.002


def camera_frame(index: int = 0, intrinsics: CameraIntrinsics = CAMERA_640X480) -> SyntheticFrame:
    """Frame `index`: the box at a pose of its own, transparent (no depth on it), noisy table depth."""
    rng = np.random.default_rng(index)
    scene = BoxScene(box_centre_xy_m=tuple(rng.uniform(-0.08, 0.08, 2)), box_yaw_rad=float(rng.uniform(0, 3)))
    return render_box_scene(intrinsics, scene, transparent_box=True, noise_m=SENSOR_NOISE_M, seed=index)
