"""The executor's configuration: one flat dataclass, loaded from YAML or ROS parameters, validated once.

Units: metres, radians, seconds; speeds m/s or rad/s, accelerations m/s^2 or rad/s^2. Positions and
boxes are in ROS `base_link` (the conversion to the controller's `base` happens in robot_frames.py only).
Hard caps (HARD_*) are the limits ur_rtde itself enforces; configured caps may only be lower.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import yaml

from kd_grasp_ros.common.parameter_files import defaults_from_parameter_file, parameter
from kd_grasp_ros.executor.errors import ExecutorConfigError
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M

HARD_LINEAR_SPEED_MPS = 3.0  # ur_rtde moveL limit
HARD_LINEAR_ACCEL_MPS2 = 150.0
HARD_JOINT_SPEED_RADPS = 3.14  # ur_rtde moveJ limit
HARD_JOINT_ACCEL_RADPS2 = 40.0

HAND_EYE_MODES = ("eye_to_hand", "eye_in_hand")
APPROACH_MODES = ("vertical", "grasp_axis", "auto")
PLACE_MODES = ("none", "drop", "place")
GRIPPER_DRIVERS = ("tool_digital", "standard_digital", "robotiq")
MAX_CANDIDATES_RANGE = (1, 20)  # grasp candidates of one frame tried in quality order
# Settings used when connecting: they change only through a new connection (cleanup, configure).
CONNECTION_SETTINGS = ("robot_ip", "tcp_offset_m", "gripper_driver", "robotiq_port", "connect_timeout_s")


@dataclass(frozen=True)
@defaults_from_parameter_file
class ExecutorConfig:
    """Every knob of the executor, described once. ur_executor_node declares each as a parameter; the
    defaults (also of keywords left out when built in code) are config/ur_executor.yaml's."""

    parameter_file: ClassVar[str] = "ur_executor.yaml"
    section: ClassVar[str] = "ur_executor"

    robot_ip: str = parameter(
        "IP address of the UR controller; required, no default (empty refuses to configure)",
        no_default=True,
        default="",
    )
    dry_run: bool = parameter("plan, check and publish the plan but never move the robot")
    # Hand-eye calibration: eye_to_hand = camera pose in base_link; eye_in_hand = camera pose in tool0.
    hand_eye_mode: str = parameter(
        "eye_to_hand (camera fixed in base_link) or eye_in_hand (camera on tool0)",
        constraints=f"one of {', '.join(HAND_EYE_MODES)}",
    )
    camera_frame: str = parameter("frame_id of incoming grasps (the calibrated camera optical frame)")
    camera_xyz_m: tuple[float, ...] = parameter(
        "camera position (m) in base_link (eye_to_hand) or tool0 (eye_in_hand)"
    )
    camera_quat_xyzw: tuple[float, ...] = parameter(
        "camera orientation quaternion (x, y, z, w), same parent frame as camera_xyz_m"
    )
    tcp_offset_m: float = parameter(
        "TCP distance along the flange z axis (m); sent to the controller with setTcp", range=(0.0, 0.5)
    )
    # Geometry of the attempt.
    approach_mode: str = parameter(
        "vertical (top-down, yaw from the grasp), grasp_axis (approach along the grasp z: the camera's "
        "view) or auto (grasp_axis where its open fingertips stay as high as vertical fingers may go, "
        "z_floor_m less half the pad depth; vertical elsewhere)",
        constraints=f"one of {', '.join(APPROACH_MODES)}",
    )
    approach_offset_m: float = parameter("pre-grasp distance back along the approach (m)", range=(0.0, 0.5))
    grasp_depth_m: float = parameter(
        "extra TCP travel past the grasp point along the approach (m); shortened so that the TCP "
        "stays at or above z_floor_m (a grasp point below z_floor_m is refused)",
        range=(-0.1, 0.1),
    )
    lift_height_m: float = parameter("lift after closing (m, base_link z)", range=(0.0, 0.5))
    place_mode: str = parameter(
        "none (hold after lift), drop (moveJ to place_xyz_m, open) or place (down, open, up)",
        constraints=f"one of {', '.join(PLACE_MODES)}",
    )
    place_xyz_m: tuple[float, ...] = parameter("place/drop TCP position (m, base_link)")
    place_yaw_rad: float = parameter(
        "gripper yaw at the place point (rad about base_link z)", range=(-3.1416, 3.1416)
    )
    return_home: bool = parameter("moveJ to home_q at the end of an attempt")
    home_q: tuple[float, ...] = parameter("home joint angles (rad)")
    # Safety.
    workspace_min_m: tuple[float, ...] = parameter(
        "workspace box lower corner (m, base_link); every waypoint must be inside"
    )
    workspace_max_m: tuple[float, ...] = parameter("workspace box upper corner (m, base_link)")
    z_floor_m: float = parameter(
        "lowest allowed TCP z (m, base_link), also checked along joint moves", range=(-0.5, 2.0)
    )
    min_quality: float = parameter("reject grasps below this quality", range=(0.0, 1.0))
    max_candidates: int = parameter(
        "grasp candidates of the latest frame (grasp_candidates + grasp_candidates_info, best first) "
        "tried in order until one passes every check and plans; 1 = only grasp_pose",
        range=MAX_CANDIDATES_RANGE,
    )
    max_grasp_age_s: float = parameter(
        "reject grasps stamped more than this away from the node clock, older or in the future (s)",
        range=(0.0, 3600.0),
    )
    width_clamp_margin_m: float = parameter(
        "grasp widths up to this far beyond the gripper stroke are clamped to the stroke (m); "
        "wider grasps are rejected",
        range=(0.0, 0.05),
    )
    max_linear_speed_mps: float = parameter(
        f"cap on linear speed (m/s); ur_rtde's own limit is {HARD_LINEAR_SPEED_MPS}",
        range=(0.0, HARD_LINEAR_SPEED_MPS),
    )
    max_linear_accel_mps2: float = parameter(
        "cap on linear acceleration (m/s^2)", range=(0.0, HARD_LINEAR_ACCEL_MPS2)
    )
    max_joint_speed_radps: float = parameter(
        "cap on joint speed (rad/s)", range=(0.0, HARD_JOINT_SPEED_RADPS)
    )
    max_joint_accel_radps2: float = parameter(
        "cap on joint acceleration (rad/s^2)", range=(0.0, HARD_JOINT_ACCEL_RADPS2)
    )
    max_joint_step_rad: float = parameter(
        "largest joint change between samples of a linear move (wrist-flip guard, rad)", range=(0.0, 3.1416)
    )
    linear_speed_mps: float = parameter("moveL speed (m/s)", range=(0.0, HARD_LINEAR_SPEED_MPS))
    linear_accel_mps2: float = parameter("moveL acceleration (m/s^2)", range=(0.0, HARD_LINEAR_ACCEL_MPS2))
    joint_speed_radps: float = parameter("moveJ speed (rad/s)", range=(0.0, HARD_JOINT_SPEED_RADPS))
    joint_accel_radps2: float = parameter(
        "moveJ acceleration (rad/s^2)", range=(0.0, HARD_JOINT_ACCEL_RADPS2)
    )
    # Gripper.
    gripper_driver: str = parameter(
        "tool_digital, standard_digital or robotiq (URCap socket)",
        constraints=f"one of {', '.join(GRIPPER_DRIVERS)}",
    )
    gripper_output: int = parameter(
        "digital output index driving the gripper (tool 0-1, standard 0-7)", range=(0, 7)
    )
    gripper_close_level: bool = parameter("output level that closes the gripper")
    gripper_settle_s: float = parameter("wait after a gripper command is confirmed (s)", range=(0.0, 10.0))
    robotiq_port: int = parameter("Robotiq URCap socket port", range=(1, 65535))
    gripper_close_margin_m: float = parameter(
        "Robotiq: close to the grasp width minus this, so the fingers press the object (m; "
        "the stroke or more closes fully); digital grippers always close fully",
        range=(0.0, 0.2),
    )
    restart_control_script: bool = parameter(
        "re-upload and start ur_rtde's control script when it is not running (after an operator's "
        "stop or a protective stop); false reports it and waits for the operator. A paused program "
        "is never restarted"
    )
    # Named timeouts.
    connect_timeout_s: float = parameter("timeout for reaching the controller's ports (s)", range=(0.0, 60.0))
    motion_timeout_margin_s: float = parameter(
        "a move may take its expected duration plus this (s)", range=(0.0, 60.0)
    )
    stream_stall_timeout_s: float = parameter(
        "RTDE stream silence that counts as a lost connection (s)", range=(0.0, 10.0)
    )
    gripper_timeout_s: float = parameter("timeout for gripper confirmation (s)", range=(0.0, 30.0))
    tcp_history_s: float = parameter("length of the TCP pose history for eye-in-hand (s)", range=(0.0, 60.0))
    max_tcp_history_gap_s: float = parameter(
        "largest gap in the TCP history to interpolate across (s)", range=(0.0, 5.0)
    )
    arrival_tolerance_m: float = parameter(
        "a linear move has arrived within this distance (m)", range=(0.0, 0.05)
    )
    stop_deceleration: float = parameter(
        "stopL/stopJ deceleration on abort (m/s^2; stopJ uses the same number in rad/s^2)", range=(0.0, 40.0)
    )

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
        node_only = {f.name for f in dataclasses.fields(ExecutorNodeSettings)}
        return cls.from_mapping({k: v for k, v in data.items() if k not in node_only})

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


@dataclass(frozen=True)
class ExecutorNodeSettings:
    """Settings of ur_executor_node only (not of the executor core), beside ExecutorConfig's in the
    node's section of config/ur_executor.yaml, where their defaults are."""

    parameter_file: ClassVar[str] = ExecutorConfig.parameter_file
    section: ClassVar[str] = ExecutorConfig.section

    autostart: bool = parameter(
        "configure (retrying every second) and activate on start-up, without a lifecycle manager"
    )
    auto_execute: bool = parameter(
        "execute every new frame automatically while active, once its grasp_pose with grasp_width and "
        "grasp_quality (or, with max_candidates > 1, its grasp_candidates with their info) are in"
    )
    grasp_match_tolerance_s: float = parameter(
        "max arrival-time difference pairing grasp_width/quality with the pose, and "
        "grasp_candidates_info with grasp_candidates (s)",
        range=(0.0, 10.0),
    )
    diagnostics_period_s: float = parameter("diagnostics publishing period (s)", range=(0.05, 60.0))
    tcp_sample_period_s: float = parameter(
        "TCP pose sampling period for the eye-in-hand history (s)", range=(0.005, 1.0)
    )
    reconnect_period_s: float = parameter(
        "after the robot connection is lost: seconds between reconnection attempts", range=(0.1, 60.0)
    )
    max_reconnect_attempts: int = parameter(
        "reconnection attempts before giving up (0 = never try; a new configure starts afresh)",
        range=(0, 100000),
    )
    trajectory_execution: bool = parameter(
        "Gazebo/ros2_control: instead of moving through ur_rtde, send each armed attempt "
        "(dry_run false) as a JointTrajectory on ~/execute_trajectory, starting from joint_states; "
        "cancel, disarm or a safety-setting change sends an empty trajectory (the controller holds). "
        "No robot connection is made; gripper actions are reported on ~/status only"
    )
