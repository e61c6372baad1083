"""The plan as a time-parameterised joint trajectory (for the UR Gazebo joint_trajectory_controller).

Each move is sampled with the same trapezoidal profiles the controller uses (moveJ: straight in joint
space; moveL: straight TCP line solved with IK at every sample); gripper phases become dwell points
of gripper_settle_s. Positions in rad, velocities in rad/s, times in s from the start. Gripper
actions are not part of a JointTrajectory: their times are listed in `events`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.planner import GraspPlan
from kd_grasp_ros.executor.robot_frames import ik_for_tcp, tcp_from_q, tool_offset
from kd_grasp_ros.robot.motion import JointPath, LinearPath, Profile
from kd_grasp_ros.robot.ur10e_params import JOINT_NAMES

SAMPLE_PERIOD_S = 0.05  # one trajectory point per 50 ms of motion
MIN_DWELL_S = 0.1


@dataclass
class JointTrajectoryPlan:
    joint_names: tuple = JOINT_NAMES
    positions: list[np.ndarray] = field(default_factory=list)
    velocities: list[np.ndarray] = field(default_factory=list)
    times_s: list[float] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)  # (time, "close"/"open") gripper actions

    def add(self, q: np.ndarray, qd: np.ndarray, t: float) -> None:
        self.positions.append(np.asarray(q, dtype=float))
        self.velocities.append(np.asarray(qd, dtype=float))
        self.times_s.append(float(t))


def plan_to_trajectory(plan: GraspPlan, cfg: ExecutorConfig) -> JointTrajectoryPlan:
    """Sample every move of the plan into one joint trajectory starting at plan.start_q (t = 0)."""
    traj = JointTrajectoryPlan()
    q = np.asarray(plan.start_q, dtype=float)
    t = 0.0
    traj.add(q, np.zeros(6), t)
    for step in plan.steps:
        if step.kind == "gripper":
            traj.events.append((t, step.gripper))
            t += max(cfg.gripper_settle_s, MIN_DWELL_S)
            traj.add(q, np.zeros(6), t)
            continue
        if step.kind == "move_j":
            path = JointPath(q, step.q)
        else:
            path = LinearPath(tcp_from_q(q, cfg.tcp_offset_m), step.tcp, tool_offset(cfg.tcp_offset_m))
        profile = Profile.trapezoid(path.length, step.speed, step.accel)
        n = max(2, int(np.ceil(profile.duration / SAMPLE_PERIOD_S)))
        prev_q, prev_t = q, 0.0
        for tau in np.linspace(0.0, profile.duration, n + 1)[1:]:
            s, _ = profile.sample(tau)
            if step.kind == "move_j":
                q_s = path.q_at(s, prev_q)
            else:
                q_s = ik_for_tcp(path.tcp_at(s), prev_q, cfg.tcp_offset_m)
            qd = (q_s - prev_q) / max(tau - prev_t, 1e-9)
            traj.add(q_s, qd if tau < profile.duration else np.zeros(6), t + tau)
            prev_q, prev_t = q_s, tau
        q = prev_q
        t += profile.duration
    return traj
