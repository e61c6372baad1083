"""Safety checks that run before anything moves; each failure raises UnsafeGraspError(reason, detail).

Grasp: finite, orthonormal rotation, quality >= min_quality, stamp within max_grasp_age_s of now in
either direction (a grasp from the future, clock skew or sim time against wall-clock stamps, is as
untrustworthy as an old one), width within the stroke (`clamp_width` first brings widths up to
width_clamp_margin_m beyond the stroke down to it).
Plan: every motion target inside the workspace box and above the z floor, the open gripper's lowest
pad corner no lower than vertical fingers go at the floor (a tilted approach), every joint target inside
the joint limits, joint moves sampled for the z floor along the way, linear moves sampled for
IK continuity (no wrist flips: no joint step above max_joint_step_rad between samples), speeds and
accelerations within the configured caps (ExecutorConfig refuses caps above ur_rtde's own).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import UnsafeGraspError
from kd_grasp_ros.executor.planner import GraspPlan, fingertip_floor, lowest_fingertip_z
from kd_grasp_ros.executor.robot_frames import ik_for_tcp, tcp_from_q, tool_offset
from kd_grasp_ros.robot.kinematics import KinematicsError, within_limits
from kd_grasp_ros.robot.motion import JointPath, LinearPath

PATH_SAMPLES = 24  # samples per move for the along-the-path checks


def clamp_width(grasp: GraspPose, cfg: ExecutorConfig) -> GraspPose:
    """The grasp with a width up to width_clamp_margin_m beyond the stroke clamped to the stroke."""
    if np.isfinite(grasp.width_m) and cfg.stroke_m < grasp.width_m <= cfg.stroke_m + cfg.width_clamp_margin_m:
        return dataclasses.replace(grasp, width_m=cfg.stroke_m)
    return grasp


def check_grasp(grasp: GraspPose, cfg: ExecutorConfig, now_s: float) -> None:
    """Reject malformed, poor or stale grasps."""
    p = np.asarray(grasp.position, dtype=float)
    r = np.asarray(grasp.rotation, dtype=float)
    if p.shape != (3,) or r.shape != (3, 3) or not (np.all(np.isfinite(p)) and np.all(np.isfinite(r))):
        raise UnsafeGraspError(
            "malformed", f"expected a finite 3-vector and 3x3 rotation, got shapes {p.shape} and {r.shape}"
        )
    if not np.allclose(r.T @ r, np.eye(3), atol=1e-3) or np.linalg.det(r) < 0:
        raise UnsafeGraspError("malformed", "grasp rotation is not a proper rotation matrix")
    if not np.isfinite(grasp.quality) or grasp.quality < cfg.min_quality:
        raise UnsafeGraspError("low_quality", f"quality {grasp.quality} < min_quality {cfg.min_quality}")
    age = now_s - grasp.stamp_s
    if not np.isfinite(age) or age > cfg.max_grasp_age_s:
        raise UnsafeGraspError("stale", f"grasp is {age:.3f} s old, max_grasp_age_s is {cfg.max_grasp_age_s}")
    if age < -cfg.max_grasp_age_s:
        raise UnsafeGraspError(
            "future_stamp",
            f"grasp is stamped {-age:.3f} s in the future (more than max_grasp_age_s "
            f"{cfg.max_grasp_age_s}); check the clocks (use_sim_time?)",
        )
    if not (np.isfinite(grasp.width_m) and 0.0 <= grasp.width_m <= cfg.stroke_m):
        raise UnsafeGraspError(
            "width",
            f"width {grasp.width_m} m is outside the gripper stroke [0, {cfg.stroke_m}] m "
            f"(+ width_clamp_margin_m {cfg.width_clamp_margin_m} m is clamped)",
        )


def check_point(name: str, tcp: np.ndarray, cfg: ExecutorConfig) -> None:
    """Reject a TCP pose (base_link) below the z floor or outside the workspace box."""
    xyz = tcp[:3, 3]
    if xyz[2] < cfg.z_floor_m:
        raise UnsafeGraspError(
            "below_z_floor", f"{name}: TCP z {xyz[2]:.4f} m is below z_floor_m {cfg.z_floor_m}"
        )
    lo, hi = np.asarray(cfg.workspace_min_m), np.asarray(cfg.workspace_max_m)
    if np.any(xyz < lo) or np.any(xyz > hi):
        raise UnsafeGraspError(
            "outside_workspace",
            f"{name}: TCP {np.round(xyz, 4).tolist()} m is outside the "
            f"workspace box {list(lo)}..{list(hi)} (base_link)",
        )


def check_plan(plan: GraspPlan, cfg: ExecutorConfig) -> None:
    """Reject a plan with any unsafe waypoint or move; nothing has moved when this raises."""
    q = np.asarray(plan.start_q, dtype=float)
    flange_from_tcp = tool_offset(cfg.tcp_offset_m)
    for step in plan.motion_steps():
        check_point(step.phase, step.tcp, cfg)
        lowest = lowest_fingertip_z(step.tcp, cfg.stroke_m)
        if lowest < fingertip_floor(cfg) - 1e-9:
            raise UnsafeGraspError(
                "fingertips_below_floor",
                f"{step.phase}: the open gripper's lowest pad corner would be at z {lowest:.4f} m, below "
                f"{fingertip_floor(cfg):.4f} m (where vertical fingers end with the TCP at z_floor_m)",
            )
        if not within_limits(step.q):
            raise UnsafeGraspError("joint_limits", f"{step.phase}: joint target outside the UR10e limits")
        if step.kind == "move_j":
            if step.speed > cfg.max_joint_speed_radps or step.accel > cfg.max_joint_accel_radps2:
                raise UnsafeGraspError(
                    "speed_cap", f"{step.phase}: joint speed/accel {step.speed}/{step.accel} above the caps"
                )
            path = JointPath(q, step.q)
            for s in np.linspace(0.0, path.length, PATH_SAMPLES + 1):
                z = tcp_from_q(path.q_at(s, q), cfg.tcp_offset_m)[2, 3]
                if z < cfg.z_floor_m:
                    raise UnsafeGraspError(
                        "below_z_floor",
                        f"{step.phase}: the joint move dips to TCP z "
                        f"{z:.4f} m, below z_floor_m {cfg.z_floor_m}",
                    )
            q = np.asarray(step.q, dtype=float)
        else:
            if step.speed > cfg.max_linear_speed_mps or step.accel > cfg.max_linear_accel_mps2:
                raise UnsafeGraspError(
                    "speed_cap", f"{step.phase}: linear speed/accel {step.speed}/{step.accel} above the caps"
                )
            path = LinearPath(tcp_from_q(q, cfg.tcp_offset_m), step.tcp, flange_from_tcp)
            for s in np.linspace(0.0, path.length, PATH_SAMPLES + 1)[1:]:
                try:
                    q_next = ik_for_tcp(path.tcp_at(s), q, cfg.tcp_offset_m)
                except KinematicsError as err:
                    raise UnsafeGraspError(
                        "unreachable", f"{step.phase}: linear path leaves the reachable space: {err}"
                    ) from err
                if np.max(np.abs(q_next - q)) > cfg.max_joint_step_rad:
                    raise UnsafeGraspError(
                        "wrist_flip",
                        f"{step.phase}: the linear move needs a joint jump of "
                        f"{np.max(np.abs(q_next - q)):.3f} rad (singularity)",
                    )
                q = q_next
