"""`base` (ur_rtde, controller) vs `base_link` (ROS): the one place where the two frames meet.

The controller's `base` frame is ROS `base_link` rotated by pi about z (BASE_LINK_FROM_BASE). Poses
over RTDE are [x, y, z, rx, ry, rz] of the TCP in `base`; everything else in the executor uses
4x4 transforms in `base_link`. The TCP sits tcp_offset_m along the flange (`tool0`) z axis.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.common.transforms import (
    invert_transform,
    make_transform,
    pose_to_transform,
    transform_to_pose,
)
from kd_grasp_ros.robot import kinematics
from kd_grasp_ros.robot.ur10e_params import T_BASE_FROM_BASE_LINK, T_BASE_LINK_FROM_BASE


def tool_offset(tcp_offset_m: float) -> np.ndarray:
    """flange_from_tcp: the TCP tcp_offset_m along the flange z axis."""
    return make_transform(np.eye(3), [0.0, 0.0, tcp_offset_m])


def ur_pose_to_base_link(pose6) -> np.ndarray:
    """4x4 in base_link of a ur_rtde pose [x, y, z, rx, ry, rz] given in base."""
    return T_BASE_LINK_FROM_BASE @ pose_to_transform(pose6)


def base_link_to_ur_pose(t_base_link: np.ndarray) -> list[float]:
    """ur_rtde pose in base of a 4x4 pose in base_link."""
    return transform_to_pose(T_BASE_FROM_BASE_LINK @ np.asarray(t_base_link, dtype=float))


def tcp_from_q(q, tcp_offset_m: float) -> np.ndarray:
    """TCP pose in base_link for joint angles q."""
    return T_BASE_LINK_FROM_BASE @ kinematics.forward(q) @ tool_offset(tcp_offset_m)


def ik_for_tcp(t_tcp_base_link: np.ndarray, reference_q, tcp_offset_m: float) -> np.ndarray:
    """Joint angles (nearest reference_q, inside limits) that put the TCP at a base_link pose."""
    flange_in_base = T_BASE_FROM_BASE_LINK @ t_tcp_base_link @ invert_transform(tool_offset(tcp_offset_m))
    return kinematics.closest_ik(flange_in_base, reference_q)
