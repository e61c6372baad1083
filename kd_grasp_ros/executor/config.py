"""The executor's configuration: one flat dataclass, loaded from YAML or ROS parameters, validated once.

Units: metres, radians, seconds; speeds m/s or rad/s, accelerations m/s^2 or rad/s^2. Positions and
boxes are in ROS `base_link` (the conversion to the controller's `base` happens in frames.py only).
Hard caps (HARD_*) are the limits ur_rtde itself enforces; configured caps may only be lower.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from kd_grasp_ros.executor.errors import ExecutorConfigError
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M, TCP_LENGTH_M
from kd_grasp_ros.robot.ur10e_params import HOME_Q

HARD_LINEAR_SPEED_MPS = 3.0  # ur_rtde moveL limit
HARD_LINEAR_ACCEL_MPS2 = 150.0
HARD_JOINT_SPEED_RADPS = 3.14  # ur_rtde moveJ limit
HARD_JOINT_ACCEL_RADPS2 = 40.0

HAND_EYE_MODES = ("eye_to_hand", "eye_in_hand")
APPROACH_MODES = ("vertical", "grasp_axis")
PLACE_MODES = ("none", "drop", "place")
GRIPPER_DRIVERS = ("tool_digital", "standard_digital", "robotiq")
MAX_CANDIDATES_RANGE = (1, 20)  # grasp candidates of one frame tried in quality order
# Settings used when connecting: they change only through a new connection (cleanup, configure).
CONNECTION_SETTINGS = ("robot_ip", "tcp_offset_m", "gripper_driver", "robotiq_port", "connect_timeout_s")


@dataclass(frozen=True)
class ExecutorConfig:
    """Every knob of the executor (see config/ur_executor.yaml for the documented defaults)."""

    robot_ip: str = ""
    dry_run: bool = True
    # Hand-eye calibration: eye_to_hand = camera pose in base_link; eye_in_hand = camera pose in tool0.
    hand_eye_mode: str = "eye_to_hand"
    camera_frame: str = "camera_color_optical_frame"
    camera_xyz_m: tuple = (0.6, 0.0, 1.0)
    camera_quat_xyzw: tuple = (1.0, 0.0, 0.0, 0.0)  # looking straight down
    tcp_offset_m: float = TCP_LENGTH_M  # TCP along the flange z axis
    # Geometry of the attempt.
    approach_mode: str = "vertical"
    approach_offset_m: float = 0.10
    grasp_depth_m: float = 0.025
    lift_height_m: float = 0.15
    place_mode: str = "none"
    place_xyz_m: tuple = (0.4, -0.4, 0.3)
    place_yaw_rad: float = 0.0
    return_home: bool = True
    home_q: tuple = tuple(float(v) for v in HOME_Q)
    # Safety.
    workspace_min_m: tuple = (0.2, -0.8, 0.0)
    workspace_max_m: tuple = (1.2, 0.8, 1.2)
    z_floor_m: float = 0.02
    min_quality: float = 0.5
    max_candidates: int = 5  # candidates of one frame tried, best first, until one plans (1 = best only)
    max_grasp_age_s: float = 2.0  # in either direction: a grasp stamped in the future is refused too
    width_clamp_margin_m: float = 0.005  # widths up to this far beyond the stroke are clamped to it
    max_linear_speed_mps: float = 0.5
    max_linear_accel_mps2: float = 1.5
    max_joint_speed_radps: float = 1.5
    max_joint_accel_radps2: float = 3.0
    max_joint_step_rad: float = 0.25  # largest joint change between samples of a linear move
    linear_speed_mps: float = 0.25
    linear_accel_mps2: float = 0.8
    joint_speed_radps: float = 1.0
    joint_accel_radps2: float = 2.0
    # Gripper.
    gripper_driver: str = "tool_digital"
    gripper_output: int = 0
    gripper_close_level: bool = True
    gripper_settle_s: float = 0.3
    robotiq_port: int = 63352
    gripper_close_margin_m: float = 0.02  # Robotiq: close to the grasp width minus this
    # Controller program: respect an operator's stop (and a stop after a protective stop) by default.
    restart_control_script: bool = False
    # Named timeouts.
    connect_timeout_s: float = 5.0
    motion_timeout_margin_s: float = 3.0
    stream_stall_timeout_s: float = 0.5
    gripper_timeout_s: float = 3.0
    tcp_history_s: float = 5.0
    max_tcp_history_gap_s: float = 0.1
    arrival_tolerance_m: float = 0.002
    stop_deceleration: float = 2.0  # stopL m/s^2 (stopJ uses the same number in rad/s^2)

    def __post_init__(self) -> None:
        _choice("hand_eye_mode", self.hand_eye_mode, HAND_EYE_MODES)
        _choice("approach_mode", self.approach_mode, APPROACH_MODES)
        _choice("place_mode", self.place_mode, PLACE_MODES)
        _choice("gripper_driver", self.gripper_driver, GRIPPER_DRIVERS)
        for name, n in (
            ("camera_xyz_m", 3),
            ("camera_quat_xyzw", 4),
            ("place_xyz_m", 3),
            ("workspace_min_m", 3),
            ("workspace_max_m", 3),
            ("home_q", 6),
        ):
            value = np.asarray(getattr(self, name), dtype=float)
            if value.shape != (n,) or not np.all(np.isfinite(value)):
                raise ExecutorConfigError(f"{name} must be {n} finite numbers, got {getattr(self, name)!r}")
        if np.linalg.norm(self.camera_quat_xyzw) < 1e-6:
            raise ExecutorConfigError("camera_quat_xyzw must be a non-zero quaternion (x, y, z, w)")
        if np.any(np.asarray(self.workspace_min_m) >= np.asarray(self.workspace_max_m)):
            raise ExecutorConfigError(
                f"workspace_min_m {self.workspace_min_m} must be below "
                f"workspace_max_m {self.workspace_max_m} on every axis"
            )
        caps = (
            ("max_linear_speed_mps", HARD_LINEAR_SPEED_MPS),
            ("max_linear_accel_mps2", HARD_LINEAR_ACCEL_MPS2),
            ("max_joint_speed_radps", HARD_JOINT_SPEED_RADPS),
            ("max_joint_accel_radps2", HARD_JOINT_ACCEL_RADPS2),
        )
        for name, hard in caps:
            _positive(name, getattr(self, name))
            if getattr(self, name) > hard:
                raise ExecutorConfigError(f"{name}={getattr(self, name)} exceeds the hard cap {hard}")
        for name, cap in (
            ("linear_speed_mps", "max_linear_speed_mps"),
            ("linear_accel_mps2", "max_linear_accel_mps2"),
            ("joint_speed_radps", "max_joint_speed_radps"),
            ("joint_accel_radps2", "max_joint_accel_radps2"),
        ):
            _positive(name, getattr(self, name))
            if getattr(self, name) > getattr(self, cap):
                raise ExecutorConfigError(f"{name}={getattr(self, name)} exceeds {cap}={getattr(self, cap)}")
        for name in (
            "approach_offset_m",
            "lift_height_m",
            "tcp_offset_m",
            "gripper_settle_s",
            "connect_timeout_s",
            "motion_timeout_margin_s",
            "stream_stall_timeout_s",
            "gripper_timeout_s",
            "tcp_history_s",
            "max_tcp_history_gap_s",
            "max_grasp_age_s",
            "arrival_tolerance_m",
            "stop_deceleration",
            "width_clamp_margin_m",
            "gripper_close_margin_m",
            "max_joint_step_rad",
        ):
            _non_negative(name, getattr(self, name))
        low, high = MAX_CANDIDATES_RANGE
        n = self.max_candidates
        if isinstance(n, bool) or not isinstance(n, int) or not low <= n <= high:
            raise ExecutorConfigError(f"max_candidates must be an integer {low}..{high}, got {n!r}")
        if not 0 <= self.gripper_output <= 7:
            raise ExecutorConfigError(f"gripper_output must be 0..7, got {self.gripper_output}")

    @classmethod
    def from_mapping(cls, values: dict) -> ExecutorConfig:
        """Build from a flat mapping (YAML or ROS parameters); unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ExecutorConfigError(f"unknown executor setting(s) {unknown}; known: {sorted(known)}")
        converted = {k: tuple(v) if isinstance(v, list | np.ndarray) else v for k, v in values.items()}
        return cls(**converted)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ExecutorConfig:
        """Load a ROS-style parameter file (`<node>: ros__parameters: {...}`) or a flat mapping."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        if len(data) == 1 and isinstance(next(iter(data.values())), dict):
            inner = next(iter(data.values()))
            data = inner.get("ros__parameters", inner)
        return cls.from_mapping({k: v for k, v in data.items() if k not in NODE_PARAMETERS})

    @property
    def stroke_m(self) -> float:
        return GRIPPER_STROKE_M


def _choice(name: str, value: str, choices: tuple) -> None:
    if value not in choices:
        raise ExecutorConfigError(f"{name} must be one of {choices}, got {value!r}")


def _positive(name: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ExecutorConfigError(f"{name} must be a positive number, got {value!r}")


def _non_negative(name: str, value: float) -> None:
    if not (np.isfinite(value) and value >= 0):
        raise ExecutorConfigError(f"{name} must be a non-negative number, got {value!r}")


# Description and allowed range (None = unbounded) of every setting, for ROS parameter descriptors.
PARAMETER_HELP: dict[str, tuple[str, float | None, float | None]] = {
    "robot_ip": (
        "IP address of the UR controller; required, no default (empty refuses to configure)",
        None,
        None,
    ),
    "dry_run": ("plan, check and publish the plan but never move the robot (default true)", None, None),
    "hand_eye_mode": ("eye_to_hand (camera fixed in base_link) or eye_in_hand (camera on tool0)", None, None),
    "camera_frame": ("frame_id of incoming grasps (the calibrated camera optical frame)", None, None),
    "camera_xyz_m": ("camera position (m) in base_link (eye_to_hand) or tool0 (eye_in_hand)", None, None),
    "camera_quat_xyzw": (
        "camera orientation quaternion (x, y, z, w), same parent frame as camera_xyz_m",
        None,
        None,
    ),
    "tcp_offset_m": (
        "TCP distance along the flange z axis (m); sent to the controller with setTcp",
        0.0,
        0.5,
    ),
    "approach_mode": (
        "vertical (top-down, yaw from the grasp) or grasp_axis (approach along the grasp z)",
        None,
        None,
    ),
    "approach_offset_m": ("pre-grasp distance back along the approach (m)", 0.0, 0.5),
    "grasp_depth_m": (
        "extra TCP travel past the grasp point along the approach (m); shortened so that the TCP "
        "stays at or above z_floor_m (a grasp point below z_floor_m is refused)",
        -0.1,
        0.1,
    ),
    "lift_height_m": ("lift after closing (m, base_link z)", 0.0, 0.5),
    "place_mode": (
        "none (hold after lift), drop (moveJ to place_xyz_m, open) or place (down, open, up)",
        None,
        None,
    ),
    "place_xyz_m": ("place/drop TCP position (m, base_link)", None, None),
    "place_yaw_rad": ("gripper yaw at the place point (rad about base_link z)", -3.1416, 3.1416),
    "return_home": ("moveJ to home_q at the end of an attempt", None, None),
    "home_q": ("home joint angles (rad)", None, None),
    "workspace_min_m": (
        "workspace box lower corner (m, base_link); every waypoint must be inside",
        None,
        None,
    ),
    "workspace_max_m": ("workspace box upper corner (m, base_link)", None, None),
    "z_floor_m": ("lowest allowed TCP z (m, base_link), also checked along joint moves", -0.5, 2.0),
    "min_quality": ("reject grasps below this quality", 0.0, 1.0),
    "max_candidates": (
        "grasp candidates of the latest frame (grasp_candidates + grasp_candidates_info, best first) "
        "tried in order until one passes every check and plans; 1 = only grasp_pose",
        *MAX_CANDIDATES_RANGE,
    ),
    "max_grasp_age_s": (
        "reject grasps stamped more than this away from the node clock, older or in the future (s)",
        0.0,
        3600.0,
    ),
    "width_clamp_margin_m": (
        "grasp widths up to this far beyond the gripper stroke are clamped to the stroke (m); "
        "wider grasps are rejected",
        0.0,
        0.05,
    ),
    "max_linear_speed_mps": (
        "cap on linear speed (m/s); ur_rtde's own limit is 3",
        0.0,
        HARD_LINEAR_SPEED_MPS,
    ),
    "max_linear_accel_mps2": ("cap on linear acceleration (m/s^2)", 0.0, HARD_LINEAR_ACCEL_MPS2),
    "max_joint_speed_radps": ("cap on joint speed (rad/s)", 0.0, HARD_JOINT_SPEED_RADPS),
    "max_joint_accel_radps2": ("cap on joint acceleration (rad/s^2)", 0.0, HARD_JOINT_ACCEL_RADPS2),
    "max_joint_step_rad": (
        "largest joint change between samples of a linear move (wrist-flip guard, rad)",
        0.0,
        3.1416,
    ),
    "linear_speed_mps": ("moveL speed (m/s)", 0.0, HARD_LINEAR_SPEED_MPS),
    "linear_accel_mps2": ("moveL acceleration (m/s^2)", 0.0, HARD_LINEAR_ACCEL_MPS2),
    "joint_speed_radps": ("moveJ speed (rad/s)", 0.0, HARD_JOINT_SPEED_RADPS),
    "joint_accel_radps2": ("moveJ acceleration (rad/s^2)", 0.0, HARD_JOINT_ACCEL_RADPS2),
    "gripper_driver": ("tool_digital, standard_digital or robotiq (URCap socket)", None, None),
    "gripper_output": ("digital output index driving the gripper (tool 0-1, standard 0-7)", 0, 7),
    "gripper_close_level": ("output level that closes the gripper", None, None),
    "gripper_settle_s": ("wait after a gripper command is confirmed (s)", 0.0, 10.0),
    "robotiq_port": ("Robotiq URCap socket port", 1, 65535),
    "gripper_close_margin_m": (
        "Robotiq: close to the grasp width minus this, so the fingers press the object (m; "
        "the stroke or more closes fully); digital grippers always close fully",
        0.0,
        0.2,
    ),
    "restart_control_script": (
        "re-upload and start ur_rtde's control script when it is not running (after an operator's "
        "stop or a protective stop); false reports it and waits for the operator. A paused program "
        "is never restarted",
        None,
        None,
    ),
    "connect_timeout_s": ("timeout for reaching the controller's ports (s)", 0.0, 60.0),
    "motion_timeout_margin_s": ("a move may take its expected duration plus this (s)", 0.0, 60.0),
    "stream_stall_timeout_s": ("RTDE stream silence that counts as a lost connection (s)", 0.0, 10.0),
    "gripper_timeout_s": ("timeout for gripper confirmation (s)", 0.0, 30.0),
    "tcp_history_s": ("length of the TCP pose history for eye-in-hand (s)", 0.0, 60.0),
    "max_tcp_history_gap_s": ("largest gap in the TCP history to interpolate across (s)", 0.0, 5.0),
    "arrival_tolerance_m": ("a linear move has arrived within this distance (m)", 0.0, 0.05),
    "stop_deceleration": ("stopL/stopJ deceleration on abort (m/s^2, rad/s^2)", 0.0, 40.0),
}

# Settings of the ROS node only (not of the executor core): name: (default, description, low, high).
NODE_PARAMETERS: dict[str, tuple] = {
    "autostart": (
        False,
        "configure (retrying every second) and activate on start-up, without a lifecycle manager",
        None,
        None,
    ),
    "auto_execute": (
        False,
        "execute every new frame automatically while active, once its grasp_pose with grasp_width and "
        "grasp_quality (or, with max_candidates > 1, its grasp_candidates with their info) are in",
        None,
        None,
    ),
    "grasp_match_tolerance_s": (
        0.2,
        "max arrival-time difference pairing grasp_width/quality with the pose, and "
        "grasp_candidates_info with grasp_candidates (s)",
        0.0,
        10.0,
    ),
    "diagnostics_period_s": (1.0, "diagnostics publishing period (s)", 0.05, 60.0),
    "tcp_sample_period_s": (0.05, "TCP pose sampling period for the eye-in-hand history (s)", 0.005, 1.0),
    "reconnect_period_s": (
        1.0,
        "after the robot connection is lost: seconds between reconnection attempts",
        0.1,
        60.0,
    ),
    "max_reconnect_attempts": (
        30,
        "reconnection attempts before giving up (0 = never try; a new configure starts afresh)",
        0,
        100000,
    ),
    "trajectory_execution": (
        False,
        "Gazebo/ros2_control: instead of moving through ur_rtde, send each armed attempt "
        "(dry_run false) as a JointTrajectory on ~/execute_trajectory, starting from joint_states; "
        "cancel, disarm or a safety-setting change sends an empty trajectory (the controller holds). "
        "No robot connection is made; gripper actions are reported on ~/status only",
        None,
        None,
    ),
}
