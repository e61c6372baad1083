"""Shared by the executor tests that move the emulated arm: short motions and grasps in the camera frame."""

import time

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.common.transforms import rot_z

CAMERA = "camera_color_optical_frame"

# ExecutorConfig fields (ur_executor_node parameters) for quick, short motions against the emulator.
FAST_MOTION = {
    "linear_speed_mps": 0.5,
    "linear_accel_mps2": 1.5,
    "joint_speed_radps": 1.5,
    "joint_accel_radps2": 3.0,
    "gripper_settle_s": 0.02,
    "return_home": False,
    "lift_height_m": 0.1,
}


def camera_grasp(position, yaw=0.4, quality=0.9, width=0.04, stamp_s=None) -> GraspPose:
    """A top-down grasp at `position` in the default calibration's camera frame, stamped now."""
    return GraspPose(
        position=np.asarray(position, dtype=float),
        rotation=rot_z(yaw),
        width_m=width,
        quality=quality,
        frame_id=CAMERA,
        stamp_s=time.time() if stamp_s is None else stamp_s,
    )
