"""ur_executor_node: a lifecycle node that executes the best grasp on a UR10e through ur_rtde.

Lifecycle: configure = read parameters and connect (robot_ip is required), activate = arm (a Robotiq
gripper is activated here, never in dry_run), deactivate = disarm: a running attempt is cancelled and
deactivate returns only once the arm has stopped (or fails, saying so), cleanup = disconnect.
`dry_run` (true in config/ur_executor.yaml) plans, checks and publishes the plan but never moves.

Subscribes: grasp_pose (geometry_msgs/PoseStamped, best grasp, z approach / y closing),
grasp_width and grasp_quality (std_msgs/Float32, paired with the pose that arrived within
grasp_match_tolerance_s of them, since Float32 has no header), grasp_candidates (PoseArray, best
first) and grasp_candidates_info (std_msgs/Float32MultiArray, [quality, width_m] per candidate; it has
no header, so each one is paired with the one PoseArray that arrived next to it, before or after,
within grasp_match_tolerance_s), joint_states (only with trajectory_execution).
Services (std_srvs/Trigger):
- ~/execute_latest: checks and plans at once, answers accepted/rejected, then runs in the background.
  With max_candidates > 1 and candidates stamped like the latest grasp_pose (the same frame), the
  first max_candidates of them are tried best first until one passes every check and plans; the
  answer and the plan status name the candidate index chosen, a rejection each candidate's reason.
  Otherwise (max_candidates 1, candidates of another frame or none) grasp_pose alone is tried.
- ~/go_home: when active, opens the gripper and moveJs to home_q with the safety machinery of an
  attempt (own cancel token, plan checks, ~/cancel, deactivate, every fault stops the arm); answers
  at once and runs in the background (step statuses {"run": "go_home", "phase": "open"|"move_home"}),
  ending in {"phase": "home", "status": "done"|"failed", "outcome", ...}. dry_run only plans;
  "already home" (within HOME_TOLERANCE_RAD, gripper open) moves nothing. Refused while an attempt
  runs, when inactive, when the connection is lost, and with trajectory_execution.
- ~/cancel: stops the arm (attempt or go_home); answers once it has stopped, saying how.
Publishes: ~/status (std_msgs/String JSON per phase: attempt, phase, status, tcp_pose, outcome,
reason, error, candidate), ~/target_pose (PoseStamped: the planned grasp TCP in base_link, for MoveIt
users), ~/planned_path (PoseArray of TCP targets in base_link), ~/planned_trajectory (JointTrajectory
of every plan, dry or not), ~/execute_trajectory (JointTrajectory, only with trajectory_execution when
armed and not dry_run; empty = stop), /diagnostics (the truth about the robot connection).
Parameters: every ExecutorConfig field (executor/config.py: robot_ip, dry_run, hand-eye, attempt
geometry, safety limits incl. max_candidates, gripper, timeouts) and the node's own ExecutorNodeSettings
(autostart, auto_execute, grasp_match_tolerance_s, diagnostics_period_s, tcp_sample_period_s,
reconnect_period_s, max_reconnect_attempts, trajectory_execution); defaults in config/ur_executor.yaml.
With auto_execute, each new frame is tried once, as soon as it is complete: grasp_pose with its
grasp_width and grasp_quality or, with max_candidates > 1 once grasp_candidates have been seen, its
candidates and their info (the grasp node publishes them after grasp_pose).

Safety rules (the reasoning is in docs/executor.md):
- every attempt has its own cancel token, made before planning; the token and `armed` are checked
  before every step and in every wait; any fault stops the arm and ends in a final status naming it;
- a grasp is executed at most once (its stamp and frame identify it: one frame's candidates count as
  one grasp), and must be stamped within max_grasp_age_s of now in either direction;
- executor parameters apply atomically from the next attempt; a change while an attempt runs stops
  that attempt; connection settings (CONNECTION_SETTINGS) are refused while configured;
- a lost connection is reported at once and retried every reconnect_period_s (max_reconnect_attempts);
  attempts are refused until it is back.
Custom actions cannot be built in this package, so a grasp attempt is a Trigger + status topic.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32, Float32MultiArray, Header, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from kd_grasp_ros.executor.cancel import AttemptGuard, CancelToken
from kd_grasp_ros.executor.config import CONNECTION_SETTINGS, ExecutorConfig, ExecutorNodeSettings
from kd_grasp_ros.executor.connection_watch import ConnectionWatch
from kd_grasp_ros.executor.errors import NO_GRASP_YET, ExecutorError
from kd_grasp_ros.executor.executor import HOME_TOLERANCE_RAD, GraspExecutor, PhaseResult
from kd_grasp_ros.executor.planner import GraspPlan
from kd_grasp_ros.executor.ros_messages import (
    GraspMessageError,
    plan_to_pose_array,
    pose_array_to_grasps,
    pose_stamped_to_grasp,
    trajectory_to_msg,
    transform_to_pose_msg,
)
from kd_grasp_ros.executor.trajectory import plan_to_trajectory
from kd_grasp_ros.nodes import diagnostics, parameters, topics
from kd_grasp_ros.nodes.clock import now_seconds
from kd_grasp_ros.nodes.parameters import declare_values, parameter_names
from kd_grasp_ros.nodes.runner import run_node
from kd_grasp_ros.robot.ur10e_params import JOINT_NAMES

NODE_NAME = "ur_executor"
EXECUTOR_SETTINGS = frozenset(parameter_names(ExecutorConfig))  # the parameters of the executor core
AUTOSTART_RETRY_S = 1.0  # autostart: seconds between configure attempts
CANCEL_TIMEOUT_S = 10.0  # a cancelled attempt stops within one monitor period or a gripper timeout
CONNECTION_CHECK_PERIOD_S = 0.1  # how often the idle link is checked
STUCK_ATTEMPT_S = 2.0  # a cancelled attempt still blocked in ur_rtde this long after a loss is abandoned
MAX_JOINT_STATE_AGE_S = 0.5  # trajectory_execution: joint_states older than this cannot start a plan
TRAJECTORY_POLL_S = 0.01
USED_GRASPS_REMEMBERED = 1000


class URExecutorNode(LifecycleNode):
    """Thin ROS wrapper around GraspExecutor (all the work lives in kd_grasp_ros.executor)."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        # Defaults from config/ur_executor.yaml; robot_ip has none: it stays unset until the user gives one.
        declare_values(self, ExecutorConfig, ExecutorNodeSettings)
        self.trajectory_execution = bool(self.get_parameter("trajectory_execution").value)
        self.group = ReentrantCallbackGroup()
        self.executor_core: GraspExecutor | None = None
        self.watch: ConnectionWatch | None = None
        self.armed = False
        self.worker: threading.Thread | None = None
        self.attempt_active = threading.Event()  # cleared just before an attempt's final status
        self.token: CancelToken | None = None
        self.last_stop = ""
        self.lost_since: float | None = None
        self.abandoned_workers: set[int] = set()
        self.used_grasps: deque = deque(maxlen=USED_GRASPS_REMEMBERED)
        self.latest_pose: PoseStamped | None = None
        self.latest_pose_arrival = 0.0
        self.width = (None, 0.0)
        self.quality = (None, 0.0)
        self.joint_state = (None, 0.0)
        self.candidates = 0
        self.candidates_seen = False
        self.candidates_unpaired: tuple | None = None  # (PoseArray, arrival) waiting for its info
        self.info_unpaired: tuple | None = None  # ([quality, width_m] * n, arrival) waiting for its poses
        self.frame_candidates: tuple | None = None  # the latest (PoseArray, info) paired
        self.auto_frame = None  # auto_execute: the last frame (stamp, frame_id) an attempt was started for
        self.run_kind = "attempt"  # what the worker runs: "attempt" | "home"
        self.start_lock = threading.Lock()  # one request at a time from its checks to its worker's start
        self.last_status: dict = {}
        self.attempts = 0
        self.lock = threading.Lock()
        self.status_pub = self.create_publisher(String, "~/status", 10)
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.target_pub = self.create_publisher(PoseStamped, "~/target_pose", 10)
        self.path_pub = self.create_publisher(PoseArray, "~/planned_path", 10)
        self.traj_pub = self.create_publisher(JointTrajectory, "~/planned_trajectory", 10)
        self.exec_traj_pub = self.create_publisher(JointTrajectory, "~/execute_trajectory", 10)
        self.create_subscription(PoseStamped, topics.GRASP_POSE, self._on_pose, 10, callback_group=self.group)
        self.create_subscription(Float32, topics.GRASP_WIDTH, self._on_width, 10, callback_group=self.group)
        self.create_subscription(
            Float32, topics.GRASP_QUALITY, self._on_quality, 10, callback_group=self.group
        )
        self.create_subscription(
            PoseArray, topics.GRASP_CANDIDATES, self._on_candidates, 10, callback_group=self.group
        )
        self.create_subscription(
            Float32MultiArray,
            topics.GRASP_CANDIDATES_INFO,
            self._on_candidates_info,
            10,
            callback_group=self.group,
        )
        if self.trajectory_execution:
            self.create_subscription(
                JointState, topics.JOINT_STATES, self._on_joint_state, 10, callback_group=self.group
            )
        self.create_service(Trigger, "~/execute_latest", self._on_execute, callback_group=self.group)
        self.create_service(Trigger, "~/go_home", self._on_go_home, callback_group=self.group)
        self.create_service(Trigger, "~/cancel", self._on_cancel, callback_group=self.group)
        period = self.get_parameter("diagnostics_period_s").value
        self.create_timer(period, self._publish_diagnostics, callback_group=self.group)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.tcp_timer = None
        self.watch_timer = None
        self.autostart_timer = None
        if self.get_parameter("autostart").value:
            self.autostart_timer = self.create_timer(AUTOSTART_RETRY_S, self._autostart)

    def _autostart(self) -> None:
        """Configure (retried while the robot is unreachable), then activate; stops when done."""
        if self.executor_core is None and self.trigger_configure() != TransitionCallbackReturn.SUCCESS:
            if not self._has_value("robot_ip") or not self.get_parameter("robot_ip").value:
                self.destroy_timer(self.autostart_timer)
            return
        self.destroy_timer(self.autostart_timer)
        self.trigger_activate()

    # ---- parameters -----------------------------------------------------------------------------------
    def _config_from_parameters(self, pending=()) -> ExecutorConfig:
        names = [n for n in EXECUTOR_SETTINGS if n != "robot_ip" or self._has_value(n)]
        values = parameters.values(self, names, pending)
        values.setdefault("robot_ip", "")  # declared without a default and never set
        return ExecutorConfig.from_mapping(values)

    def _on_set_parameters(self, params) -> SetParametersResult:
        """Validate; apply executor settings atomically from the next attempt (see module docstring)."""
        if any(p.name == "trajectory_execution" for p in params):
            return SetParametersResult(successful=False, reason="trajectory_execution is fixed at start-up")
        if not any(p.name in EXECUTOR_SETTINGS for p in params):
            return SetParametersResult(successful=True)
        try:
            candidate = self._config_from_parameters(params)
        except ExecutorError as err:
            return SetParametersResult(successful=False, reason=str(err))
        core = self.executor_core
        if core is None:
            return SetParametersResult(successful=True)  # read at the next configure
        changed = [n for n in CONNECTION_SETTINGS if getattr(candidate, n) != getattr(core.cfg, n)]
        if changed:
            return SetParametersResult(
                successful=False,
                reason=f"{changed} can change only while unconfigured (cleanup, set, configure again)",
            )
        if self._attempt_running():
            self.token.cancel(f"executor parameter(s) {[p.name for p in params]} changed during the attempt")
        core.update_config(candidate)
        self.get_logger().info(f"executor parameters {[p.name for p in params]} apply from the next attempt")
        return SetParametersResult(successful=True)

    def _has_value(self, name: str) -> bool:
        """Whether a parameter declared without a default has been given a value."""
        return self.get_parameter_or(name).type_ != Parameter.Type.NOT_SET

    # ---- lifecycle ------------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            cfg = self._config_from_parameters()
        except ExecutorError as err:
            self.get_logger().error(f"invalid configuration: {err}")
            return TransitionCallbackReturn.FAILURE
        core = GraspExecutor(cfg, clock=self._now, on_plan=self._publish_plan, on_phase=self._publish_phase)
        if self.trajectory_execution:
            self.executor_core = core
            self.get_logger().info("configured for trajectory_execution (no ur_rtde connection)")
            return TransitionCallbackReturn.SUCCESS
        if not cfg.robot_ip:
            self.get_logger().error(
                "parameter robot_ip is empty: set the UR controller's address "
                "(e.g. robot_ip:=192.168.1.102); refusing to configure"
            )
            return TransitionCallbackReturn.FAILURE
        try:
            core.connect()
        except ExecutorError as err:
            self.get_logger().error(f"cannot connect to the robot: {err}")
            return TransitionCallbackReturn.FAILURE
        self.executor_core = core
        self.watch = ConnectionWatch(
            core,
            self.get_parameter("reconnect_period_s").value,
            self.get_parameter("max_reconnect_attempts").value,
            self._on_connection_event,
            after_reconnect=lambda: self.executor_core.arm() if self.armed else None,
            on_lost_while_busy=lambda reason: self.token.cancel(f"robot connection lost: {reason}"),
        )
        self.tcp_timer = self.create_timer(
            self.get_parameter("tcp_sample_period_s").value, self._sample_tcp, callback_group=self.group
        )
        self.watch_timer = self.create_timer(
            CONNECTION_CHECK_PERIOD_S, self._check_connection, callback_group=self.group
        )
        self.get_logger().info(f"connected to {cfg.robot_ip} (dry_run={cfg.dry_run})")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            if not self.trajectory_execution:
                self.executor_core.arm()
        except ExecutorError as err:
            self.get_logger().error(f"cannot arm: {err}")
            return TransitionCallbackReturn.FAILURE
        self.armed = True
        self.get_logger().info("armed")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.armed = False
        stopped = self._stop_attempt("deactivated")
        if not stopped:
            self.get_logger().error(f"deactivate: the arm could not be confirmed stopped: {self.last_stop}")
            return TransitionCallbackReturn.FAILURE
        self.get_logger().info("disarmed")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._disconnect()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.armed = False
        self._stop_attempt("shutting down")
        self._disconnect()
        return TransitionCallbackReturn.SUCCESS

    def _disconnect(self) -> None:
        for timer in (self.tcp_timer, self.watch_timer):
            if timer is not None:
                self.destroy_timer(timer)
        self.tcp_timer = self.watch_timer = None
        if self.executor_core is not None:
            self.executor_core.disconnect()
            self.executor_core = None
        self.watch = None

    def _attempt_running(self) -> bool:
        return self.attempt_active.is_set()

    def _stop_attempt(self, reason: str) -> bool:
        """Cancel a running attempt and wait until the arm has stopped; False if that is not certain."""
        core = self.executor_core
        if not self._attempt_running() or self.worker is None:
            return True
        self.token.cancel(reason)
        self.worker.join(CANCEL_TIMEOUT_S)
        if not self.worker.is_alive():
            return not self.last_stop.startswith("STOP FAILED")
        self.last_stop = core.link.stop_arm(joint=True) if core is not None else "no robot link"
        self.get_logger().error(
            f"the attempt did not end within CANCEL_TIMEOUT_S={CANCEL_TIMEOUT_S} s; {self.last_stop}"
        )
        return False

    # ---- inputs -----------------------------------------------------------------------------------------
    def _now(self) -> float:
        return now_seconds(self)

    def _on_pose(self, msg: PoseStamped) -> None:
        with self.lock:
            self.latest_pose, self.latest_pose_arrival = msg, time.monotonic()
        self._auto_execute()

    def _on_width(self, msg: Float32) -> None:
        with self.lock:
            self.width = (float(msg.data), time.monotonic())
        self._auto_execute()

    def _on_quality(self, msg: Float32) -> None:
        with self.lock:
            self.quality = (float(msg.data), time.monotonic())
        self._auto_execute()

    def _on_candidates(self, msg: PoseArray) -> None:
        now, tol = time.monotonic(), self.get_parameter("grasp_match_tolerance_s").value
        with self.lock:
            self.candidates, self.candidates_seen = len(msg.poses), True
            info, self.info_unpaired = self.info_unpaired, None
            if info is not None and now - info[1] <= tol:
                self.frame_candidates, self.candidates_unpaired = (msg, info[0]), None
            else:
                self.candidates_unpaired = (msg, now)
        self._auto_execute()

    def _on_candidates_info(self, msg: Float32MultiArray) -> None:
        now, tol = time.monotonic(), self.get_parameter("grasp_match_tolerance_s").value
        with self.lock:
            candidates, self.candidates_unpaired = self.candidates_unpaired, None
            if candidates is not None and now - candidates[1] <= tol:
                self.frame_candidates, self.info_unpaired = (candidates[0], list(msg.data)), None
            else:
                self.info_unpaired = (list(msg.data), now)
        self._auto_execute()

    def _auto_execute(self) -> None:
        """auto_execute: start an attempt once per frame, as soon as the frame is complete (see the
        module docstring); called on every grasp input, whichever order they come in."""
        core = self.executor_core
        if not (self.get_parameter("auto_execute").value and self.armed and core is not None):
            return
        tol = self.get_parameter("grasp_match_tolerance_s").value
        with self.lock:
            pose = self.latest_pose
            if pose is None:
                return
            frame = (pose.header.stamp.sec, pose.header.stamp.nanosec, pose.header.frame_id)
            paired = all(
                value is not None and abs(t - self.latest_pose_arrival) <= tol
                for value, t in (self.width, self.quality)
            )
            if core.cfg.max_candidates > 1 and self.candidates_seen:
                complete = self._frame_candidates_locked(pose) is not None
            else:
                complete = paired
            if frame == self.auto_frame or not complete:
                return
            self.auto_frame = frame
        ok, text = self._start_attempt()
        if not ok:
            self.get_logger().warning(f"auto_execute: {text}", throttle_duration_sec=2.0)

    def _on_joint_state(self, msg: JointState) -> None:
        try:
            q = np.array([msg.position[list(msg.name).index(n)] for n in JOINT_NAMES], dtype=float)
        except (ValueError, IndexError):
            return  # another robot's joints, or a partial message
        if np.all(np.isfinite(q)):
            self.joint_state = (q, time.monotonic())

    def _sample_tcp(self) -> None:
        core = self.executor_core
        if core is not None and not core.busy and self.watch is not None and not self.watch.lost:
            try:
                core.sample_tcp()
            except ExecutorError as err:
                self.get_logger().warning(f"TCP sampling failed: {err}", throttle_duration_sec=5.0)

    def _check_connection(self) -> None:
        """The connection watch, plus: an attempt that ur_rtde keeps blocked in a call after the
        controller vanished (its token already cancelled) is abandoned after STUCK_ATTEMPT_S with a
        final status, and a fresh executor core reconnects (the blocked interfaces are never touched)."""
        self.watch.poll()
        if not self.watch.lost:
            self.lost_since = None
            return
        now = time.monotonic()
        self.lost_since = self.lost_since or now
        if not self._attempt_running() or now - self.lost_since < STUCK_ATTEMPT_S:
            return
        old = self.executor_core
        self.abandoned_workers.add(self.worker.ident)
        self.attempt_active.clear()
        self.last_stop = (
            f"STOP FAILED: the controller {old.cfg.robot_ip} does not answer; the attempt "
            f"was blocked in a ur_rtde call and is abandoned (its token is cancelled)"
        )
        self._final_status(
            {
                "status": "failed",
                "outcome": "aborted",
                "error": "RobotConnectionError",
                "reason": f"robot connection lost: {self.watch.reason}",
                "stop": self.last_stop,
            }
        )
        self.get_logger().error(self.last_stop)
        old.link.abandon_dead_interfaces()
        core = GraspExecutor(
            old.cfg, clock=self._now, on_plan=self._publish_plan, on_phase=self._publish_phase
        )
        self.executor_core = self.watch.executor = core
        self.worker = None

    def _on_connection_event(self, event: dict) -> None:
        self._status(event)
        if event["status"] == "reconnected":
            self.get_logger().info(f"robot connection back after {event['attempts']} attempt(s)")
        else:
            self.get_logger().error(f"robot connection {event['status']}: {event.get('reason', '')}")
        self._publish_diagnostics()

    # ---- services ---------------------------------------------------------------------------------------
    def _frame_candidates_locked(self, pose: PoseStamped):
        """The latest paired (PoseArray, info) if it belongs to `pose`'s frame (same stamp and frame_id);
        else None."""
        if self.frame_candidates is None:
            return None
        msg, info = self.frame_candidates
        same_frame = msg.header.stamp == pose.header.stamp and msg.header.frame_id == pose.header.frame_id
        return (msg, info) if msg.poses and same_frame else None

    def _latest_grasps(self, max_candidates: int) -> list:
        """The latest frame's grasps, best first: its candidates when max_candidates > 1 and they match
        the latest grasp_pose (see the module docstring), else grasp_pose with grasp_width/quality."""
        tol = self.get_parameter("grasp_match_tolerance_s").value
        with self.lock:
            pose, arrival, width, quality = (
                self.latest_pose,
                self.latest_pose_arrival,
                self.width,
                self.quality,
            )
            candidates = self._frame_candidates_locked(pose) if pose is not None else None
        if pose is None:
            raise GraspMessageError(NO_GRASP_YET)
        if max_candidates > 1 and candidates is not None:
            try:
                return pose_array_to_grasps(*candidates, limit=max_candidates)
            except GraspMessageError as err:
                self.get_logger().warning(
                    f"grasp_candidates unusable, trying grasp_pose alone: {err}", throttle_duration_sec=2.0
                )
        for name, (value, t) in (("grasp_width", width), ("grasp_quality", quality)):
            if value is None or abs(t - arrival) > tol:
                raise GraspMessageError(
                    f"no {name} within grasp_match_tolerance_s={tol} s of the latest grasp_pose"
                )
        return [pose_stamped_to_grasp(pose, width[0], quality[0])]

    def _start_q(self):
        """Where a plan starts: joint_states with trajectory_execution, else the robot (None)."""
        if not self.trajectory_execution:
            return None
        q, received = self.joint_state
        if q is None or time.monotonic() - received > MAX_JOINT_STATE_AGE_S:
            raise GraspMessageError(
                f"no joint_states within {MAX_JOINT_STATE_AGE_S} s: cannot plan from the robot's pose"
            )
        return q

    def _refusal(self, core) -> str | None:
        """Why no attempt or go_home can start now (None: one can)."""
        if core is None or not self.armed:
            return "not active: configure and activate the node first"
        if self.watch is not None and self.watch.lost:
            return f"rejected: robot connection lost ({self.watch.state}): {self.watch.reason}"
        if core.busy or self._attempt_running():
            return "going home is under way" if self.run_kind == "home" else "an attempt is already running"
        return None

    def _start_attempt(self) -> tuple[bool, str]:
        with self.start_lock:
            return self._start_attempt_locked()

    def _start_attempt_locked(self) -> tuple[bool, str]:
        core = self.executor_core
        refusal = self._refusal(core)
        if refusal is not None:
            return False, refusal
        token = CancelToken()  # before planning: a cancel from now on reaches this attempt
        self.token = token
        guard = AttemptGuard(token, lambda: self.armed)
        dry_run = core.cfg.dry_run
        try:
            grasps = self._latest_grasps(core.cfg.max_candidates)
            key = (grasps[0].stamp_s, grasps[0].frame_id)
            if not dry_run and key in self.used_grasps:
                raise GraspMessageError("this grasp_pose was already executed; waiting for a new one")
            index, plan = core.plan_first(grasps, self._start_q())
            if not dry_run and not self.trajectory_execution:
                core.link.check_ready()
            guard.check("plan")
        except (ExecutorError, GraspMessageError) as err:
            self._status(
                {
                    "phase": "check",
                    "status": "rejected",
                    "outcome": "rejected",
                    "reason": str(err),
                    "error": type(err).__name__,
                }
            )
            return False, f"rejected: {err}"
        self._publish_plan(plan)
        chosen = f"candidate {index} of {len(grasps)}"
        if dry_run:
            self._status(
                {
                    "phase": "plan",
                    "status": "done",
                    "outcome": "planned",
                    "dry_run": True,
                    "candidate": index,
                    "candidates": len(grasps),
                    "plan": plan.summary(),
                }
            )
            return True, f"dry_run: planned {len(plan.steps)} steps ({chosen}), nothing moved"
        self.used_grasps.append(key)
        self.attempts += 1
        self.last_stop = ""
        self.run_kind = "attempt"
        self._status(
            {
                "attempt": self.attempts,
                "phase": "plan",
                "status": "done",
                "candidate": index,
                "candidates": len(grasps),
                "plan": plan.summary(),
            }
        )
        target = self._run_trajectory if self.trajectory_execution else self._run_attempt
        self.attempt_active.set()
        self.worker = threading.Thread(target=target, args=(grasps[index], plan, guard), daemon=True)
        self.worker.start()
        return True, f"accepted: executing {len(plan.steps)} steps ({chosen})"

    def _start_home(self) -> tuple[bool, str]:
        with self.start_lock:
            return self._start_home_locked()

    def _start_home_locked(self) -> tuple[bool, str]:
        core = self.executor_core
        if self.trajectory_execution:
            return False, (
                "go_home needs the ur_rtde connection, which trajectory_execution does not make: "
                "send the arm home through the trajectory controller"
            )
        refusal = self._refusal(core)
        if refusal is not None:
            return False, refusal
        token = CancelToken()  # before planning, as for an attempt
        self.token = token
        guard = AttemptGuard(token, lambda: self.armed)
        dry_run = core.cfg.dry_run
        try:
            if core.at_home():
                return True, (
                    f"already home: every joint within {HOME_TOLERANCE_RAD} rad of home_q and the "
                    "gripper open; nothing moved"
                )
            plan = core.plan_home()
            if not dry_run:
                core.link.check_ready()
            guard.check("plan")
        except ExecutorError as err:
            self._status(
                {
                    "phase": "home",
                    "status": "rejected",
                    "outcome": "rejected",
                    "reason": str(err),
                    "error": type(err).__name__,
                }
            )
            return False, f"rejected: {err}"
        self._publish_plan(plan, target=False)
        if dry_run:
            self._status(
                {
                    "phase": "home",
                    "status": "done",
                    "outcome": "planned",
                    "dry_run": True,
                    "plan": plan.summary(),
                }
            )
            return True, f"dry_run: planned going home ({len(plan.steps)} steps), nothing moved"
        self.last_stop = ""
        self.run_kind = "home"
        self.attempt_active.set()
        self.worker = threading.Thread(target=self._run_home, args=(plan, guard), daemon=True)
        self.worker.start()
        return True, "accepted: going home (open the gripper, moveJ to home_q)"

    def _run_attempt(self, grasp, plan: GraspPlan, guard: AttemptGuard) -> None:
        """The worker of one attempt through ur_rtde."""
        core = self.executor_core
        self._run_worker(core, lambda: core.execute(grasp, guard, plan=plan))

    def _run_home(self, plan: GraspPlan, guard: AttemptGuard) -> None:
        """The worker of go_home through ur_rtde."""
        core = self.executor_core
        self._run_worker(core, lambda: core.go_home(guard, plan=plan))

    def _run_worker(self, core: GraspExecutor, run) -> None:
        """Run `run()` (an attempt or go_home); every way out publishes a final status (unless the node
        has abandoned this worker and published it already)."""
        try:
            report = run()
            if threading.get_ident() in self.abandoned_workers:
                return
            self.attempt_active.clear()
            self._final_status({"status": "done", "outcome": report.outcome})
        except BaseException as err:  # noqa: B036 - a worker must never die without a final status
            if threading.get_ident() in self.abandoned_workers:
                return
            if not isinstance(err, ExecutorError):
                self.last_stop = core.link.stop_arm(joint=True)
            else:
                self.last_stop = getattr(err, "stop", "")
            outcome = getattr(getattr(err, "report", None), "outcome", "aborted")
            self.attempt_active.clear()
            self._final_status(
                {
                    "status": "failed",
                    "outcome": outcome,
                    "error": type(err).__name__,
                    "reason": str(err),
                    "stop": self.last_stop,
                }
            )
            self.get_logger().error(f"{'go_home' if self.run_kind == 'home' else 'attempt'} failed: {err}")

    def _run_trajectory(self, grasp, plan: GraspPlan, guard: AttemptGuard) -> None:
        """The worker with trajectory_execution: send the trajectory, watch the guard until its end."""
        core = self.executor_core
        traj = plan_to_trajectory(plan, core.cfg)
        self.exec_traj_pub.publish(trajectory_to_msg(traj, self._header()))
        self._status(
            {
                "attempt": self.attempts,
                "phase": "trajectory",
                "status": "started",
                "duration_s": traj.times_s[-1],
                "gripper_events": traj.events,
            }
        )
        deadline = time.monotonic() + traj.times_s[-1]
        try:
            while time.monotonic() < deadline:
                guard.check("trajectory")
                time.sleep(TRAJECTORY_POLL_S)
        except ExecutorError as err:
            self.exec_traj_pub.publish(JointTrajectory(header=self._header(), joint_names=list(JOINT_NAMES)))
            self.last_stop = "empty trajectory sent: the controller holds position"
            self.attempt_active.clear()
            self._status(
                {
                    "attempt": self.attempts,
                    "phase": "attempt",
                    "status": "failed",
                    "outcome": "aborted",
                    "error": type(err).__name__,
                    "reason": str(err),
                    "stop": self.last_stop,
                }
            )
            return
        self.attempt_active.clear()
        self._status({"attempt": self.attempts, "phase": "attempt", "status": "done", "outcome": "sent"})

    def _on_execute(self, request, response):
        response.success, response.message = self._start_attempt()
        return response

    def _on_go_home(self, request, response):
        response.success, response.message = self._start_home()
        return response

    def _on_cancel(self, request, response):
        running = self._attempt_running()
        if not running:
            response.success, response.message = False, "no attempt running"
            return response
        stopped = self._stop_attempt("~/cancel was called")
        response.success = stopped
        response.message = f"cancelled: {self.last_stop}" if stopped else f"NOT confirmed: {self.last_stop}"
        return response

    # ---- outputs ----------------------------------------------------------------------------------------
    def _header(self, frame: str = "base_link") -> Header:
        return Header(stamp=self.get_clock().now().to_msg(), frame_id=frame)

    def _status(self, fields: dict) -> None:
        self.last_status = fields
        self.status_pub.publish(String(data=json.dumps(fields)))

    def _final_status(self, fields: dict) -> None:
        """The last status of the worker's run: phase "attempt" (with its number) or "home"."""
        if self.run_kind == "home":
            head = {"phase": "home"}
        else:
            head = {"attempt": self.attempts, "phase": "attempt"}
        self._status({**head, **fields})

    def _publish_plan(self, plan: GraspPlan, target: bool = True) -> None:
        """~/planned_path and ~/planned_trajectory; ~/target_pose too unless `target` is false (go_home
        has no grasp)."""
        header = self._header()
        if target:
            self.target_pub.publish(PoseStamped(header=header, pose=transform_to_pose_msg(plan.grasp_tcp)))
        self.path_pub.publish(plan_to_pose_array(plan, header))
        traj = plan_to_trajectory(plan, self.executor_core.cfg)
        self.traj_pub.publish(trajectory_to_msg(traj, header))

    def _publish_phase(self, result: PhaseResult) -> None:
        run = {"run": "go_home"} if self.run_kind == "home" else {"attempt": self.attempts}
        self._status({**run, **result.as_dict()})

    def _publish_diagnostics(self) -> None:
        core, watch = self.executor_core, self.watch
        connected = core is not None and core.connected and not (watch is not None and watch.lost)
        values = {
            "connected": connected,
            "connection": watch.state if watch is not None else "none",
            "reconnect_attempts": watch.attempts if watch is not None else 0,
            "armed": self.armed,
            "dry_run": core.cfg.dry_run if core else True,
            "attempts": self.attempts,
            "grasp_candidates": self.candidates,
            "last_status": json.dumps(self.last_status),
        }
        protective = False
        if connected and not self.trajectory_execution:
            try:
                protective = core.link.protective_stopped()
            except ExecutorError:
                protective = False
        values["protective_stop"] = protective
        if core is None:
            level, message = diagnostics.WARN, "not connected (unconfigured)"
        elif watch is not None and watch.lost:
            level, message = diagnostics.ERROR, f"robot connection {watch.state}: {watch.reason}"
        elif protective:
            level, message = diagnostics.ERROR, "protective stop"
        else:
            level, message = diagnostics.OK, "armed" if self.armed else "connected, disarmed"
        self.diag_pub.publish(
            diagnostics.diagnostic_array(
                self.get_clock().now().to_msg(),
                "ur_executor",
                core.cfg.robot_ip if core else "",
                level,
                message,
                values,
            )
        )

    def destroy_node(self) -> None:
        """Stop a running attempt and disconnect before the node goes away."""
        self.armed = False
        self._stop_attempt("node shutting down")
        self._disconnect()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(URExecutorNode, args)


if __name__ == "__main__":
    main()
