"""The one place where the demo converts between the simulation's frame and the executor's.

The MuJoCo world frame is the UR controller's `base` frame; the executor works in ROS `base_link`.
Both conversions go through the executor's own frames helpers (T_BASE_LINK_FROM_BASE and its inverse),
so the demo's hand-eye calibration is exactly the simulated camera's pose.
"""
from __future__ import annotations

import numpy as np

from kd_grasp_ros.common.transforms import matrix_to_quat
from kd_grasp_ros.executor.frames import T_BASE_FROM_BASE_LINK, T_BASE_LINK_FROM_BASE


def eye_to_hand_calibration(t_base_camera: np.ndarray) -> dict:
    """ExecutorConfig fields (hand_eye_mode, camera_xyz_m, camera_quat_xyzw) of a camera pose in `base`."""
    t = np.asarray(t_base_camera, dtype=float)
    if t.shape != (4, 4) or not np.all(np.isfinite(t)):
        raise ValueError(f"camera pose must be a finite 4x4 transform, got shape {t.shape}")
    t_base_link_camera = T_BASE_LINK_FROM_BASE @ t
    return {
        "hand_eye_mode": "eye_to_hand",
        "camera_xyz_m": tuple(float(v) for v in t_base_link_camera[:3, 3]),
        "camera_quat_xyzw": tuple(float(v) for v in matrix_to_quat(t_base_link_camera[:3, :3])),
    }


def base_link_to_sim(t_base_link: np.ndarray) -> np.ndarray:
    """A 4x4 pose in base_link expressed in the simulation (= controller `base`) frame."""
    return T_BASE_FROM_BASE_LINK @ np.asarray(t_base_link, dtype=float)


def sim_to_base_link(t_sim: np.ndarray) -> np.ndarray:
    """A 4x4 pose in the simulation frame expressed in base_link."""
    return T_BASE_LINK_FROM_BASE @ np.asarray(t_sim, dtype=float)
