"""UR10e constants in one place: published DH parameters, joint limits, link masses, frames.

Source: Universal Robots' published DH table for the e-Series UR10e. Lengths in metres, angles in
radians, masses in kilograms.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.common.transforms import invert_transform, make_transform, rot_z

# Standard (Denavit-Hartenberg) parameters, joint i = 1..6.
DH_D = (0.1807, 0.0, 0.0, 0.17415, 0.11985, 0.11655)
DH_A = (0.0, -0.6127, -0.57155, 0.0, 0.0, 0.0)
DH_ALPHA = (np.pi / 2, 0.0, 0.0, np.pi / 2, -np.pi / 2, 0.0)

JOINT_NAMES = (
    "shoulder_pan_joint",
    "shoulder_lift_joint",
    "elbow_joint",
    "wrist_1_joint",
    "wrist_2_joint",
    "wrist_3_joint",
)
# Position limits: +-2 pi for every joint except the elbow (+-pi, UR's self-collision limit).
JOINT_LOWER = np.array([-2 * np.pi, -2 * np.pi, -np.pi, -2 * np.pi, -2 * np.pi, -2 * np.pi])
JOINT_UPPER = -JOINT_LOWER
# Maximum joint speeds (rad/s): base and shoulder 120 deg/s, the rest 180 deg/s.
JOINT_MAX_SPEED = np.deg2rad([120.0, 120.0, 180.0, 180.0, 180.0, 180.0])
# Approximate link masses (kg), from UR's published dynamics parameters.
LINK_MASSES = (7.369, 13.051, 3.989, 2.1, 1.98, 0.615)
PAYLOAD_MAX_KG = 12.5
REACH_M = 1.3

# ur_rtde poses are in the controller's `base` frame; ROS uses `base_link`, rotated pi about z.
BASE_LINK_FROM_BASE = rot_z(np.pi)
# The same as 4x4 transforms, both ways: the one place where `base` and `base_link` meet.
T_BASE_LINK_FROM_BASE = make_transform(BASE_LINK_FROM_BASE, np.zeros(3))
T_BASE_FROM_BASE_LINK = invert_transform(T_BASE_LINK_FROM_BASE)

# A joint configuration with the tool pointing down over the table in front of the robot.
HOME_Q = np.array([0.0, -1.5708, 1.5708, -1.5708, -1.5708, 0.0])
