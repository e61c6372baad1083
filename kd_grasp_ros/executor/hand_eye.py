"""Hand-eye calibration: a grasp in the camera frame -> a pose in base_link.

eye_to_hand: the camera is fixed; its pose in base_link comes from the configured calibration.
eye_in_hand: the camera rides on the flange (tool0); its pose in base_link at the image time is the
flange pose at that time (interpolated from a short history of TCP poses) times the calibration.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.common.transforms import (
    axis_angle_to_matrix,
    invert_transform,
    make_transform,
    matrix_to_axis_angle,
    quat_to_matrix,
)
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import UnsafeGraspError
from kd_grasp_ros.executor.robot_frames import tool_offset


class TcpPoseHistory:
    """A short, thread-safe history of (stamp_s, TCP pose in base_link) for eye-in-hand lookups."""

    def __init__(self, horizon_s: float, max_gap_s: float):
        self.horizon_s = horizon_s
        self.max_gap_s = max_gap_s
        self._stamps: deque[float] = deque()
        self._poses: deque[np.ndarray] = deque()
        self._lock = threading.Lock()

    def add(self, stamp_s: float, t_tcp_base_link: np.ndarray) -> None:
        with self._lock:
            if self._stamps and stamp_s <= self._stamps[-1]:
                return
            self._stamps.append(stamp_s)
            self._poses.append(np.asarray(t_tcp_base_link, dtype=float))
            while self._stamps and self._stamps[0] < stamp_s - self.horizon_s:
                self._stamps.popleft()
                self._poses.popleft()

    def at(self, stamp_s: float) -> np.ndarray:
        """TCP pose at stamp_s, interpolated between neighbours; raises when the history does not cover it."""
        with self._lock:
            stamps, poses = list(self._stamps), list(self._poses)
        if not stamps:
            raise UnsafeGraspError("no_tcp_history", "eye-in-hand needs TCP poses, none recorded yet")
        i = bisect.bisect_left(stamps, stamp_s)
        if i == 0 or i == len(stamps):
            nearest = 0 if i == 0 else len(stamps) - 1
            if abs(stamps[nearest] - stamp_s) > self.max_gap_s:
                raise UnsafeGraspError(
                    "tcp_history_gap",
                    f"image stamp {stamp_s:.3f} s is outside the TCP "
                    f"history [{stamps[0]:.3f}, {stamps[-1]:.3f}] s by more than "
                    f"{self.max_gap_s} s",
                )
            return poses[nearest]
        t0, t1 = stamps[i - 1], stamps[i]
        if t1 - t0 > self.max_gap_s:
            raise UnsafeGraspError(
                "tcp_history_gap", f"TCP history has a {t1 - t0:.3f} s gap at {stamp_s:.3f} s"
            )
        f = (stamp_s - t0) / (t1 - t0)
        a, b = poses[i - 1], poses[i]
        rv = matrix_to_axis_angle(a[:3, :3].T @ b[:3, :3])
        return make_transform(a[:3, :3] @ axis_angle_to_matrix(f * rv), (1 - f) * a[:3, 3] + f * b[:3, 3])


class HandEye:
    """Turns grasps in the configured camera frame into base_link poses."""

    def __init__(self, config: ExecutorConfig, history: TcpPoseHistory | None = None):
        self.config = config
        self.camera = make_transform(quat_to_matrix(config.camera_quat_xyzw), config.camera_xyz_m)
        self.history = history or TcpPoseHistory(config.tcp_history_s, config.max_tcp_history_gap_s)
        self._tcp_from_flange = invert_transform(tool_offset(config.tcp_offset_m))

    def camera_in_base_link(self, stamp_s: float) -> np.ndarray:
        """base_link_from_camera at the image time."""
        if self.config.hand_eye_mode == "eye_to_hand":
            return self.camera
        flange = self.history.at(stamp_s) @ self._tcp_from_flange
        return flange @ self.camera

    def grasp_in_base_link(self, grasp: GraspPose) -> np.ndarray:
        """4x4 grasp pose (gripper axes: z approach, y closing) in base_link."""
        if grasp.frame_id not in (self.config.camera_frame, "base_link"):
            raise UnsafeGraspError(
                "wrong_frame",
                f"grasp frame '{grasp.frame_id}' is neither the calibrated "
                f"camera frame '{self.config.camera_frame}' nor 'base_link'",
            )
        t = make_transform(np.asarray(grasp.rotation, dtype=float), np.asarray(grasp.position, dtype=float))
        if grasp.frame_id == "base_link":
            return t
        return self.camera_in_base_link(grasp.stamp_s) @ t
