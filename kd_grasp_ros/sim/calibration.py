"""The simulated camera's calibration for the executor, and the conversions between the simulation's
frame and the executor's.

The MuJoCo world frame is the UR controller's `base` frame; the executor works in ROS `base_link`.
Both conversions go through the transforms the executor uses (robot/ur10e_params.py:
T_BASE_LINK_FROM_BASE and its inverse), so the hand-eye calibration mujoco_sim.launch.py (and the demo,
which starts the same processes) gives the executor is exactly the simulated camera's pose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.transforms import make_transform, matrix_to_quat
from kd_grasp_ros.robot.ur10e_params import T_BASE_FROM_BASE_LINK, T_BASE_LINK_FROM_BASE


class SimFramesError(KdGraspError, ValueError):
    """A simulated camera whose calibration cannot be expressed for the executor."""


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


def sim_camera_calibration(sim_config: str | Path | None = None) -> dict:
    """The executor's hand-eye parameters of the simulated fixed camera configured in `sim_config` (None:
    the package's config/sim.yaml): what mujoco_sim.launch.py gives ur_executor_node, so a grasp seen by
    the simulated camera is sent to where it is. SimFramesError for a wrist-mounted camera."""
    from kd_grasp_ros.sim.config import load_sim_config
    from kd_grasp_ros.sim.scene import camera_placement

    placement = camera_placement(load_sim_config(sim_config))
    if placement.mount != "fixed":
        raise SimFramesError(
            f"only a fixed (eye-to-hand) simulated camera has a launch-time calibration, "
            f"the configuration mounts it '{placement.mount}'"
        )
    return eye_to_hand_calibration(make_transform(placement.r_optical, placement.position))


def base_link_to_sim(t_base_link: np.ndarray) -> np.ndarray:
    """A 4x4 pose in base_link expressed in the simulation (= controller `base`) frame."""
    return T_BASE_FROM_BASE_LINK @ np.asarray(t_base_link, dtype=float)


def sim_to_base_link(t_sim: np.ndarray) -> np.ndarray:
    """A 4x4 pose in the simulation frame expressed in base_link."""
    return T_BASE_LINK_FROM_BASE @ np.asarray(t_sim, dtype=float)
