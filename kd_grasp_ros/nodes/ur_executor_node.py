"""ur_executor_node: a lifecycle node that executes the best grasp on a UR10e through ur_rtde.

Lifecycle: configure = read parameters and connect (robot_ip is required), activate = arm,
deactivate = disarm (and cancel a running attempt), cleanup = disconnect. `dry_run` (default true)
plans, checks and publishes the plan but never moves.

Subscribes: grasp_pose (geometry_msgs/PoseStamped, best grasp, z approach / y closing),
grasp_width and grasp_quality (std_msgs/Float32, paired with the pose that arrived within
grasp_match_tolerance_s of them, since Float32 has no header), grasp_candidates (PoseArray, counted
for diagnostics). Services: ~/execute_latest (std_srvs/Trigger: checks and plans at once, answers
accepted/rejected, then runs in the background), ~/cancel (Trigger: stops the arm). Publishes:
~/status (std_msgs/String JSON per phase: attempt, phase, status, tcp_pose, outcome, reason),
~/planned_path (PoseArray of TCP targets in base_link), ~/planned_trajectory
(trajectory_msgs/JointTrajectory, for joint_trajectory_controller users), /diagnostics.
Custom actions cannot be built in this package, so a grasp attempt is a Trigger + status topic.
"""

from __future__ import annotations

import json
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray, PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from std_msgs.msg import Float32, Header, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from kd_grasp_ros.executor.config import NODE_PARAMETERS, PARAMETER_HELP, ExecutorConfig
from kd_grasp_ros.executor.errors import ExecutorError
from kd_grasp_ros.executor.executor import GraspExecutor, PhaseResult
from kd_grasp_ros.executor.planner import GraspPlan
from kd_grasp_ros.executor.ros_messages import (
    GraspMessageError,
    plan_to_pose_array,
    pose_stamped_to_grasp,
    trajectory_to_msg,
)
from kd_grasp_ros.executor.trajectory import plan_to_trajectory
from kd_grasp_ros.nodes import diagnostics, parameters, topics
from kd_grasp_ros.nodes.clock import now_seconds
from kd_grasp_ros.nodes.parameters import declare
from kd_grasp_ros.nodes.runner import run_node

AUTOSTART_RETRY_S = 1.0  # autostart: seconds between configure attempts
CANCEL_TIMEOUT_S = 10.0  # a cancelled attempt stops within one monitor period or a gripper timeout


def _declare(node, name: str, value, description: str, low, high) -> None:
    """Declare with the shared helper; integer settings get an integer range, floats a float range."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    ranged = low is not None and (is_int or isinstance(value, float))
    declare(
        node,
        name,
        value,
        description,
        int_range=(low, high) if ranged and is_int else None,
        float_range=(low, high) if ranged and not is_int else None,
    )


class URExecutorNode(LifecycleNode):
    """Thin ROS wrapper around GraspExecutor (all the work lives in kd_grasp_ros.executor)."""

    def __init__(self, **kwargs):
        super().__init__("ur_executor", **kwargs)
        defaults = ExecutorConfig()
        for name, (description, low, high) in PARAMETER_HELP.items():
            value = getattr(defaults, name)
            value = [float(v) for v in value] if isinstance(value, tuple) else value
            # robot_ip has no default: it stays unset (an empty address) until the user gives one.
            _declare(
                self, name, Parameter.Type.STRING if name == "robot_ip" else value, description, low, high
            )
        for name, (value, description, low, high) in NODE_PARAMETERS.items():
            _declare(self, name, value, description, low, high)
        self.group = ReentrantCallbackGroup()
        self.executor_core: GraspExecutor | None = None
        self.armed = False
        self.worker: threading.Thread | None = None
        self.latest_pose: PoseStamped | None = None
        self.latest_pose_arrival = 0.0
        self.width = (None, 0.0)
        self.quality = (None, 0.0)
        self.candidates = 0
        self.last_status: dict = {}
        self.attempts = 0
        self.lock = threading.Lock()
        self.status_pub = self.create_publisher(String, "~/status", 10)
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.path_pub = self.create_publisher(PoseArray, "~/planned_path", 10)
        self.traj_pub = self.create_publisher(JointTrajectory, "~/planned_trajectory", 10)
        self.create_subscription(PoseStamped, topics.GRASP_POSE, self._on_pose, 10, callback_group=self.group)
        self.create_subscription(Float32, topics.GRASP_WIDTH, self._on_width, 10, callback_group=self.group)
        self.create_subscription(
            Float32, topics.GRASP_QUALITY, self._on_quality, 10, callback_group=self.group
        )
        self.create_subscription(
            PoseArray, topics.GRASP_CANDIDATES, self._on_candidates, 10, callback_group=self.group
        )
        self.create_service(Trigger, "~/execute_latest", self._on_execute, callback_group=self.group)
        self.create_service(Trigger, "~/cancel", self._on_cancel, callback_group=self.group)
        period = self.get_parameter("diagnostics_period_s").value
        self.create_timer(period, self._publish_diagnostics, callback_group=self.group)
        self.add_on_set_parameters_callback(self._validate_parameters)
        self.tcp_timer = None
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

    # ---- lifecycle ------------------------------------------------------------------------------------
    def _config_from_parameters(self) -> ExecutorConfig:
        values = {}
        for name in PARAMETER_HELP:
            if name == "robot_ip" and not self._has_value(name):
                values[name] = ""  # declared without a default and never set
            else:
                values[name] = self.get_parameter(name).value
        return ExecutorConfig.from_mapping(values)

    def _validate_parameters(self, params) -> SetParametersResult:
        """Reject changes that make an invalid configuration; valid ones apply at the next configure."""
        names = [n for n in PARAMETER_HELP if n != "robot_ip" or self._has_value(n)]
        candidate = parameters.values(self, names, params)
        candidate.setdefault("robot_ip", "")
        try:
            ExecutorConfig.from_mapping(candidate)
        except ExecutorError as err:
            return SetParametersResult(successful=False, reason=str(err))
        return SetParametersResult(successful=True)

    def _has_value(self, name: str) -> bool:
        """Whether a parameter declared without a default has been given a value."""
        return self.get_parameter_or(name).type_ != Parameter.Type.NOT_SET

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            cfg = self._config_from_parameters()
        except ExecutorError as err:
            self.get_logger().error(f"invalid configuration: {err}")
            return TransitionCallbackReturn.FAILURE
        if not cfg.robot_ip:
            self.get_logger().error(
                "parameter robot_ip is empty: set the UR controller's address "
                "(e.g. robot_ip:=192.168.1.102); refusing to configure"
            )
            return TransitionCallbackReturn.FAILURE
        core = GraspExecutor(cfg, clock=self._now, on_plan=self._publish_plan, on_phase=self._publish_phase)
        try:
            core.connect()
        except ExecutorError as err:
            self.get_logger().error(f"cannot connect to the robot: {err}")
            return TransitionCallbackReturn.FAILURE
        self.executor_core = core
        self.tcp_timer = self.create_timer(
            self.get_parameter("tcp_sample_period_s").value, self._sample_tcp, callback_group=self.group
        )
        self.get_logger().info(f"connected to {cfg.robot_ip} (dry_run={cfg.dry_run})")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.armed = True
        self.get_logger().info("armed")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.armed = False
        self._cancel_and_wait()
        self.get_logger().info("disarmed")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._disconnect()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.armed = False
        self._cancel_and_wait()
        self._disconnect()
        return TransitionCallbackReturn.SUCCESS

    def _disconnect(self) -> None:
        if self.tcp_timer is not None:
            self.destroy_timer(self.tcp_timer)
            self.tcp_timer = None
        if self.executor_core is not None:
            self.executor_core.disconnect()
            self.executor_core = None

    def _cancel_and_wait(self) -> None:
        if self.executor_core is not None and self.worker is not None and self.worker.is_alive():
            self.executor_core.cancel()
            self.worker.join(CANCEL_TIMEOUT_S)
            if self.worker.is_alive():
                self.get_logger().error(
                    f"the attempt did not stop within CANCEL_TIMEOUT_S={CANCEL_TIMEOUT_S} s"
                )

    # ---- inputs -----------------------------------------------------------------------------------------
    def _now(self) -> float:
        return now_seconds(self)

    def _on_pose(self, msg: PoseStamped) -> None:
        with self.lock:
            self.latest_pose, self.latest_pose_arrival = msg, time.monotonic()
        if self.get_parameter("auto_execute").value and self.armed:
            ok, text = self._start_attempt()
            if not ok:
                self.get_logger().warning(f"auto_execute: {text}")

    def _on_width(self, msg: Float32) -> None:
        with self.lock:
            self.width = (float(msg.data), time.monotonic())

    def _on_quality(self, msg: Float32) -> None:
        with self.lock:
            self.quality = (float(msg.data), time.monotonic())

    def _on_candidates(self, msg: PoseArray) -> None:
        self.candidates = len(msg.poses)

    def _sample_tcp(self) -> None:
        core = self.executor_core
        if core is not None and not core.busy:
            try:
                core.sample_tcp()
            except ExecutorError as err:
                self.get_logger().warning(f"TCP sampling failed: {err}", throttle_duration_sec=5.0)

    # ---- services ---------------------------------------------------------------------------------------
    def _latest_grasp(self):
        tol = self.get_parameter("grasp_match_tolerance_s").value
        with self.lock:
            pose, arrival, width, quality = (
                self.latest_pose,
                self.latest_pose_arrival,
                self.width,
                self.quality,
            )
        if pose is None:
            raise GraspMessageError("no grasp_pose received yet")
        for name, (value, t) in (("grasp_width", width), ("grasp_quality", quality)):
            if value is None or abs(t - arrival) > tol:
                raise GraspMessageError(
                    f"no {name} within grasp_match_tolerance_s={tol} s of the latest grasp_pose"
                )
        return pose_stamped_to_grasp(pose, width[0], quality[0])

    def _start_attempt(self) -> tuple[bool, str]:
        core = self.executor_core
        if core is None or not self.armed:
            return False, "not active: configure and activate the node first"
        if core.busy or (self.worker is not None and self.worker.is_alive()):
            return False, "an attempt is already running"
        try:
            grasp = self._latest_grasp()
            plan = core.plan(grasp)
        except (ExecutorError, GraspMessageError) as err:
            self._status({"phase": "check", "status": "rejected", "outcome": "rejected", "reason": str(err)})
            return False, f"rejected: {err}"
        if core.cfg.dry_run:
            core.on_plan(plan)
            self._status(
                {
                    "phase": "plan",
                    "status": "done",
                    "outcome": "planned",
                    "dry_run": True,
                    "plan": plan.summary(),
                }
            )
            return True, f"dry_run: planned {len(plan.steps)} steps, nothing moved"
        self.worker = threading.Thread(target=self._run_attempt, args=(grasp,), daemon=True)
        self.worker.start()
        return True, f"accepted: executing {len(plan.steps)} steps"

    def _run_attempt(self, grasp) -> None:
        self.attempts += 1
        try:
            report = self.executor_core.execute(grasp)
            self._status({"phase": "attempt", "status": "done", "outcome": report.outcome})
        except ExecutorError as err:
            outcome = getattr(getattr(err, "report", None), "outcome", "aborted")
            self._status(
                {
                    "phase": "attempt",
                    "status": "failed",
                    "outcome": outcome,
                    "error": type(err).__name__,
                    "reason": str(err),
                }
            )
            self.get_logger().error(f"attempt failed: {err}")

    def _on_execute(self, request, response):
        response.success, response.message = self._start_attempt()
        return response

    def _on_cancel(self, request, response):
        core = self.executor_core
        running = core is not None and self.worker is not None and self.worker.is_alive()
        if running:
            core.cancel()
        response.success = running
        response.message = "cancel requested; the arm is being stopped" if running else "no attempt running"
        return response

    # ---- outputs ----------------------------------------------------------------------------------------
    def _header(self, frame: str = "base_link") -> Header:
        return Header(stamp=self.get_clock().now().to_msg(), frame_id=frame)

    def _status(self, fields: dict) -> None:
        self.last_status = fields
        self.status_pub.publish(String(data=json.dumps(fields)))

    def _publish_plan(self, plan: GraspPlan) -> None:
        self.path_pub.publish(plan_to_pose_array(plan, self._header()))
        traj = plan_to_trajectory(plan, self.executor_core.cfg)
        self.traj_pub.publish(trajectory_to_msg(traj, self._header()))

    def _publish_phase(self, result: PhaseResult) -> None:
        self._status({"attempt": self.attempts, **result.as_dict()})

    def _publish_diagnostics(self) -> None:
        core = self.executor_core
        values = {
            "connected": core is not None and core.connected,
            "armed": self.armed,
            "dry_run": core.cfg.dry_run if core else True,
            "attempts": self.attempts,
            "grasp_candidates": self.candidates,
            "last_status": json.dumps(self.last_status),
        }
        protective = False
        if core is not None and core.connected:
            try:
                protective = core.link.protective_stopped()
            except RuntimeError:
                protective = False
        values["protective_stop"] = protective
        if protective:
            level, message = diagnostics.ERROR, "protective stop"
        elif core is None:
            level, message = diagnostics.WARN, "not connected (unconfigured)"
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
        self._cancel_and_wait()
        self._disconnect()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(URExecutorNode, args)


if __name__ == "__main__":
    main()
