"""The motion plan of one grasp attempt, in base_link, with joint targets from analytic IK.

Phases: open -> pre_grasp (moveJ above the grasp, back along the approach) -> approach (moveL) ->
close -> lift (moveL straight up) -> [drop: moveJ over the place point, open | place: moveJ above,
moveL down, open, moveL up] -> home (moveJ). The TCP frame of the gripper: z = approach, y = closing.
The approach ends grasp_depth_m past the grasp point, shortened so that the TCP stays at or above
z_floor_m (a thin object on the table is grasped with the TCP at the floor); a grasp point below
z_floor_m is refused. `plan_home` is the plan of going home on request: open -> move_home (moveJ to
home_q; named apart from an attempt's last phase, so that a node's final "home" status is unambiguous).

Approach (approach_mode): vertical, the grasp's own z (the camera's line of sight, the direction the
image grasp was found in), or auto: the grasp's z where the open gripper's lowest pad corner stays at or
above `fingertip_floor` (as low as vertical fingers go with the TCP at z_floor_m), vertical elsewhere.
From a tilted camera a grasp on an upright bottle or glass is centred in the camera's view, not under
its axis, so only the camera's direction closes the jaws across it; low objects need the fingers
straight down to reach them without touching the table.

Yaw: a parallel-jaw grasp is unchanged by a half turn about its approach axis, so both yaws are
solved and the one needing the smaller joint motion (mostly the last wrist joint) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.transforms import make_transform, rot_x, rot_z
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import UnsafeGraspError
from kd_grasp_ros.executor.robot_frames import ik_for_tcp, tcp_from_q
from kd_grasp_ros.robot.gripper_params import FINGER_DEPTH_M, FINGER_THICKNESS_M, PAD_WIDTH_M
from kd_grasp_ros.robot.kinematics import KinematicsError

WRIST_TURN_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 3.0])  # yaw choice: wrist-3 turns count triple
HALF_TURN = rot_z(np.pi)
MIN_HORIZONTAL_CLOSING = 0.2  # vertical approach needs a closing axis at least this far from vertical


@dataclass
class PlanStep:
    """One phase: a joint move (q), a linear move (tcp, predicted q) or a gripper action."""

    phase: str
    kind: str  # "move_j" | "move_l" | "gripper"
    tcp: np.ndarray | None = None  # 4x4 TCP target in base_link
    q: np.ndarray | None = None  # joint target (commanded for move_j, predicted for move_l)
    speed: float = 0.0
    accel: float = 0.0
    gripper: str = ""  # "open" | "close"
    width_m: float = 0.0


@dataclass
class GraspPlan:
    grasp_tcp: np.ndarray
    start_q: np.ndarray
    width_m: float
    steps: list[PlanStep] = field(default_factory=list)

    def motion_steps(self) -> list[PlanStep]:
        return [s for s in self.steps if s.kind != "gripper"]

    def tcp_path(self) -> list[np.ndarray]:
        """The TCP target of every motion step, in order (for a PoseArray)."""
        return [s.tcp for s in self.motion_steps()]

    def summary(self) -> list[dict]:
        return [
            {
                "phase": s.phase,
                "kind": s.kind,
                "xyz": None if s.tcp is None else [round(float(v), 4) for v in s.tcp[:3, 3]],
            }
            for s in self.steps
        ]


def lowest_fingertip_z(tcp: np.ndarray, opening_m: float) -> float:
    """base_link z of the lowest pad corner of the gripper at TCP pose `tcp` with the jaws opened to
    opening_m (pads FINGER_DEPTH_M long centred on the TCP, PAD_WIDTH_M wide, FINGER_THICKNESS_M thick)."""
    corners = np.array(
        [
            [sx * PAD_WIDTH_M / 2, sy * (opening_m / 2 + FINGER_THICKNESS_M), FINGER_DEPTH_M / 2]
            for sx in (-1.0, 1.0)
            for sy in (-1.0, 1.0)
        ]
    )
    return float(tcp[2, 3] + np.min(corners @ tcp[2, :3]))


def fingertip_floor(cfg: ExecutorConfig) -> float:
    """The lowest a fingertip may go: where vertical fingers end with the TCP at z_floor_m."""
    return cfg.z_floor_m - FINGER_DEPTH_M / 2


def _vertical_rotation(r: np.ndarray) -> np.ndarray:
    """Straight down, keeping the horizontal part of the closing axis of rotation r."""
    closing = r[:, 1].copy()
    closing[2] = 0.0
    n = np.linalg.norm(closing)
    if n < MIN_HORIZONTAL_CLOSING:
        raise UnsafeGraspError(
            "closing_axis_vertical",
            f"closing axis {np.round(r[:, 1], 3).tolist()} is "
            f"almost vertical; a top-down grasp cannot use it",
        )
    y = closing / n
    z = np.array([0.0, 0.0, -1.0])
    return np.column_stack([np.cross(y, z), y, z])


def target_rotation(grasp_tcp: np.ndarray, cfg: ExecutorConfig) -> np.ndarray:
    """Gripper rotation in base_link for cfg.approach_mode (module docstring)."""
    r = grasp_tcp[:3, :3]
    if cfg.approach_mode == "grasp_axis":
        return r.copy()
    if cfg.approach_mode == "auto":
        position = grasp_position(cfg, grasp_tcp[:3, 3], r[:, 2])
        if lowest_fingertip_z(make_transform(r, position), cfg.stroke_m) >= fingertip_floor(cfg):
            return r.copy()
    return _vertical_rotation(r)


def _offset_along_approach(tcp: np.ndarray, distance: float) -> np.ndarray:
    out = tcp.copy()
    out[:3, 3] = tcp[:3, 3] - distance * tcp[:3, 2]
    return out


def _raised(tcp: np.ndarray, dz: float) -> np.ndarray:
    out = tcp.copy()
    out[2, 3] += dz
    return out


def _solve(tcp: np.ndarray, reference: np.ndarray, cfg: ExecutorConfig, phase: str) -> np.ndarray:
    try:
        return ik_for_tcp(tcp, reference, cfg.tcp_offset_m)
    except KinematicsError as err:
        raise UnsafeGraspError("unreachable", f"{phase}: {err}") from err


def grasp_position(cfg: ExecutorConfig, point: np.ndarray, approach: np.ndarray) -> np.ndarray:
    """The TCP position at the grasp: grasp_depth_m past `point` along the unit `approach`, the extra
    travel shortened so that the TCP stays at or above z_floor_m. A point below the floor is refused."""
    point = np.asarray(point, dtype=float)
    if point[2] < cfg.z_floor_m:
        raise UnsafeGraspError(
            "below_z_floor", f"grasp: the grasp point's z {point[2]:.4f} m is below z_floor_m {cfg.z_floor_m}"
        )
    depth = cfg.grasp_depth_m
    descent = -float(approach[2])  # metres of z lost per metre of travel along the approach
    if depth > 0.0 and descent > 0.0 and point[2] - depth * descent < cfg.z_floor_m:
        position = point + (point[2] - cfg.z_floor_m) / descent * approach
        position[2] = cfg.z_floor_m  # exactly at the floor, not a rounding error below it
        return position
    return point + depth * approach


def plan_attempt(cfg: ExecutorConfig, grasp_in_base_link: np.ndarray, width_m: float, start_q) -> GraspPlan:
    """The full plan for a grasp pose in base_link (gripper axes) starting from joint angles start_q."""
    start_q = np.asarray(start_q, dtype=float)
    rotation = target_rotation(grasp_in_base_link, cfg)
    position = grasp_position(cfg, grasp_in_base_link[:3, 3], rotation[:, 2])
    best, best_cost, errors = None, np.inf, []
    for r in (rotation, rotation @ HALF_TURN):
        grasp_tcp = make_transform(r, position)
        pre = _offset_along_approach(grasp_tcp, cfg.approach_offset_m)
        try:
            q_pre = _solve(pre, start_q, cfg, "pre_grasp")
            q_grasp = _solve(grasp_tcp, q_pre, cfg, "approach")
        except UnsafeGraspError as err:
            errors.append(err)
            continue
        cost = float(np.sum(WRIST_TURN_WEIGHTS * (q_pre - start_q) ** 2))
        if cost < best_cost:
            best, best_cost = (grasp_tcp, pre, q_pre, q_grasp), cost
    if best is None:
        raise errors[0]
    grasp_tcp, pre, q_pre, q_grasp = best
    plan = GraspPlan(grasp_tcp=grasp_tcp, start_q=start_q, width_m=float(width_m))
    lin = {"speed": cfg.linear_speed_mps, "accel": cfg.linear_accel_mps2}
    joint = {"speed": cfg.joint_speed_radps, "accel": cfg.joint_accel_radps2}
    plan.steps += [
        PlanStep("open", "gripper", gripper="open", width_m=cfg.stroke_m),
        PlanStep("pre_grasp", "move_j", tcp=pre, q=q_pre, **joint),
        PlanStep("approach", "move_l", tcp=grasp_tcp, q=q_grasp, **lin),
        PlanStep("close", "gripper", gripper="close", width_m=float(width_m)),
    ]
    lift = _raised(grasp_tcp, cfg.lift_height_m)
    q = _solve(lift, q_grasp, cfg, "lift")
    plan.steps.append(PlanStep("lift", "move_l", tcp=lift, q=q, **lin))
    if cfg.place_mode != "none":
        place = make_transform(rot_z(cfg.place_yaw_rad) @ rot_x(np.pi), cfg.place_xyz_m)
        above = _raised(place, cfg.approach_offset_m)
        if cfg.place_mode == "drop":
            q = _solve(place, q, cfg, "drop")
            plan.steps += [
                PlanStep("drop", "move_j", tcp=place, q=q, **joint),
                PlanStep("release", "gripper", gripper="open", width_m=cfg.stroke_m),
            ]
        else:
            q_above = _solve(above, q, cfg, "place_above")
            q_place = _solve(place, q_above, cfg, "place")
            plan.steps += [
                PlanStep("place_above", "move_j", tcp=above, q=q_above, **joint),
                PlanStep("place", "move_l", tcp=place, q=q_place, **lin),
                PlanStep("release", "gripper", gripper="open", width_m=cfg.stroke_m),
                PlanStep("retreat", "move_l", tcp=above, q=q_above, **lin),
            ]
            q = q_above
    if cfg.return_home:
        plan.steps.append(_home_step(cfg))
    return plan


def _home_step(cfg: ExecutorConfig, phase: str = "home") -> PlanStep:
    home_q = np.asarray(cfg.home_q, dtype=float)
    return PlanStep(
        phase,
        "move_j",
        tcp=tcp_from_q(home_q, cfg.tcp_offset_m),
        q=home_q,
        speed=cfg.joint_speed_radps,
        accel=cfg.joint_accel_radps2,
    )


def plan_home(cfg: ExecutorConfig, start_q) -> GraspPlan:
    """Going home on request: open the gripper, then moveJ from start_q to home_q (phase move_home).

    `grasp_tcp` is the home TCP (there is no grasp); check it with safety.check_plan like any plan.
    """
    home = _home_step(cfg, "move_home")
    plan = GraspPlan(grasp_tcp=home.tcp, start_q=np.asarray(start_q, dtype=float), width_m=cfg.stroke_m)
    plan.steps += [PlanStep("open", "gripper", gripper="open", width_m=cfg.stroke_m), home]
    return plan
