"""MuJoCo UR10e cell: arm, parallel-jaw gripper, table, RealSense-like camera, synthetic RGB-D data.

The MuJoCo world frame is the UR controller's `base` frame (DH frame 0). Rendering is headless:
MUJOCO_GL defaults to `osmesa` (software OpenGL) when the caller has not chosen a backend.
"""

import os

os.environ.setdefault("MUJOCO_GL", "osmesa")
