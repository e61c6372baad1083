"""Fault injection through ur_executor_node: the faults that are ROS ones.

The node (this process, its own rclpy context and ROS domain) drives the emulated controller (its own
process) through the unmodified ur_rtde client; the test talks to it only through topics, services
(execute_latest, cancel, the lifecycle's change_state, SetParameters) and reads ~/status and
/diagnostics. After each fault the emulator's event log must show no motion (fault_injection.py).
"""

import json
import socket
import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("rtde_control")

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from executor_test_helpers import FAST_MOTION  # noqa: E402
from fault_injection import record_fault  # noqa: E402
from geometry_msgs.msg import PoseStamped  # noqa: E402
from lifecycle_msgs.msg import Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState  # noqa: E402
from rcl_interfaces.srv import SetParameters  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from ros_helpers import wait_until  # noqa: E402
from std_msgs.msg import Float32, String  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

from kd_grasp_ros.executor.config import ExecutorConfig  # noqa: E402
from kd_grasp_ros.nodes.ur_executor_node import URExecutorNode  # noqa: E402
from kd_grasp_ros.robot.emulator import ROBOTIQ_PORT  # noqa: E402
from kd_grasp_ros.robot.emulator_process import EmulatorProcess  # noqa: E402

# the shipped grasp_depth_m: the TCP goes this far past the seen surface (down)
GRASP_DEPTH_M = ExecutorConfig().grasp_depth_m

WAIT_S = 30.0
GRASP_XYZ = (0.05, 0.02, 0.9)  # camera frame; -> (0.65, -0.02, 0.10) in base_link
PARAMS = {
    **FAST_MOTION,
    "dry_run": False,
    "approach_offset_m": 0.25,
    "linear_speed_mps": 0.25,
    "gripper_settle_s": 0.3,
    "reconnect_period_s": 0.2,
}


class ExecutorUnderTest:
    """ur_executor_node plus a probe node that publishes grasps, calls services and records outputs."""

    def __init__(self, context, host: str, **params):
        overrides = {"robot_ip": host, **PARAMS, **params}
        self.node = URExecutorNode(
            context=context, parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()]
        )
        self.probe = rclpy.create_node("fault_probe", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.executor.add_node(self.probe)
        self.statuses, self.diagnostics = [], []
        self.probe.create_subscription(
            String, "/ur_executor/status", lambda m: self.statuses.append(json.loads(m.data)), 100
        )
        self.probe.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 20)
        self.pose_pub = self.probe.create_publisher(PoseStamped, "grasp_pose", 10)
        self.width_pub = self.probe.create_publisher(Float32, "grasp_width", 10)
        self.quality_pub = self.probe.create_publisher(Float32, "grasp_quality", 10)
        self.clients = {
            "execute": self.probe.create_client(Trigger, "/ur_executor/execute_latest"),
            "cancel": self.probe.create_client(Trigger, "/ur_executor/cancel"),
            "change_state": self.probe.create_client(ChangeState, "/ur_executor/change_state"),
            "set_parameters": self.probe.create_client(SetParameters, "/ur_executor/set_parameters"),
        }

    def spin_until(self, condition, what: str, timeout_s: float = WAIT_S) -> None:
        wait_until(condition, timeout_s, what, self.executor)

    def call(self, name: str, request=None):
        client = self.clients[name]
        self.spin_until(client.service_is_ready, f"service {name}")
        future = client.call_async(request if request is not None else client.srv_type.Request())
        self.spin_until(future.done, f"the {name} response")
        return future.result()

    def transition(self, transition_id: int) -> bool:
        return self.call("change_state", ChangeState.Request(transition=Transition(id=transition_id))).success

    def set_parameter(self, name: str, value):
        request = SetParameters.Request(parameters=[Parameter(name, value=value).to_parameter_msg()])
        return self.call("set_parameters", request).results[0]

    def start(self) -> None:
        assert self.transition(Transition.TRANSITION_CONFIGURE)
        assert self.transition(Transition.TRANSITION_ACTIVATE)

    def send_grasp(self, xyz=GRASP_XYZ, stamp_offset_s: float = 0.0, stamp=None) -> PoseStamped:
        msg = PoseStamped()
        msg.header.frame_id = "camera_color_optical_frame"
        if stamp is None:
            ns = self.node.get_clock().now().nanoseconds + int(stamp_offset_s * 1e9)
            msg.header.stamp.sec, msg.header.stamp.nanosec = ns // 10**9, ns % 10**9
        else:
            msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
        msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = xyz
        msg.pose.orientation.w = 1.0
        self.spin_until(lambda: self.node.count_subscribers("/grasp_pose") > 0, "the node's subscription")
        self.pose_pub.publish(msg)
        self.width_pub.publish(Float32(data=0.04))
        self.quality_pub.publish(Float32(data=0.9))
        self.spin_until(
            lambda: (
                self.node.latest_pose is not None
                and self.node.latest_pose.header.stamp == msg.header.stamp
                and self.node.quality[1] >= self.node.latest_pose_arrival
            ),
            "the grasp to arrive",
        )
        return msg

    def start_attempt_until_approach(self, emulator) -> int:
        """A fresh grasp, execute_latest, and wait until the approach (second motion) is under way;
        returns the index of the first status of this attempt."""
        self.send_grasp()
        since, motions = len(self.statuses), emulator.motions_started()
        assert self.call("execute").success
        self.spin_until(lambda: emulator.motions_started() >= motions + 2, "the approach to start")
        return since

    def final_status(self, since: int) -> dict:
        self.spin_until(
            lambda: any(s.get("phase") == "attempt" for s in self.statuses[since:]),
            "the attempt's final status",
        )
        return next(s for s in self.statuses[since:] if s.get("phase") == "attempt")

    def close(self) -> None:
        self.executor.shutdown()
        self.probe.destroy_node()
        self.node.destroy_node()


@pytest.fixture
def robot(rclpy_context, emulator):
    harness = ExecutorUnderTest(rclpy_context, emulator.host)
    harness.start()
    yield harness
    harness.close()
    if "PROTECTIVE" in emulator.dashboard("safetystatus"):
        emulator.dashboard("unlock protective stop")


@pytest.mark.ros
@pytest.mark.timeout(120)
def test_cancel_right_after_execute_is_accepted_moves_nothing(robot, emulator):
    for _ in range(5):
        robot.send_grasp()
        since = len(robot.statuses)
        assert robot.call("execute").success
        t_fault = time.monotonic()
        reply = robot.call("cancel")
        assert reply.success and reply.message.startswith("cancelled"), reply.message
        final = robot.final_status(since)
        assert final["outcome"] == "aborted" and final["error"] == "ExecutionCancelledError", final
        assert record_fault("cancel right after execute (service)", emulator, t_fault).motions_after == 0


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_cancel_service_mid_motion_answers_once_the_arm_has_stopped(robot, emulator):
    since = robot.start_attempt_until_approach(emulator)
    t_fault = time.monotonic()
    reply = robot.call("cancel")
    t_reply = time.monotonic()
    assert reply.success and "arm stopped with stop" in reply.message, reply.message
    rec = record_fault("cancel mid-motion (service)", emulator, t_fault)
    assert rec.motions_after == 0 and rec.at_rest_ms is not None
    assert t_fault + rec.at_rest_ms / 1e3 <= t_reply + 0.01  # the answer came after the arm was at rest
    assert robot.final_status(since)["outcome"] == "aborted"


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_deactivate_mid_motion_returns_once_the_arm_has_stopped(robot, emulator):
    since = robot.start_attempt_until_approach(emulator)
    t_fault = time.monotonic()
    assert robot.transition(Transition.TRANSITION_DEACTIVATE)
    t_reply = time.monotonic()
    rec = record_fault("deactivate mid-motion (lifecycle)", emulator, t_fault)
    assert rec.motions_after == 0 and t_fault + rec.at_rest_ms / 1e3 <= t_reply + 0.01
    assert "deactivated" in robot.final_status(since)["reason"]
    robot.send_grasp()
    assert not robot.call("execute").success  # inactive: nothing is accepted


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_dry_run_switched_on_mid_motion_stops_the_attempt_and_the_next_one_only_plans(robot, emulator):
    since = robot.start_attempt_until_approach(emulator)
    t_fault = time.monotonic()
    assert robot.set_parameter("dry_run", True).successful
    assert robot.final_status(since)["outcome"] == "aborted"
    robot.send_grasp()
    reply = robot.call("execute")
    assert reply.success and reply.message.startswith("dry_run"), reply.message
    assert record_fault("dry_run switched on while active", emulator, t_fault).motions_after == 0


@pytest.mark.ros
@pytest.mark.timeout(60)
def test_workspace_tightened_while_active_applies_to_the_next_attempt(robot, emulator):
    t_fault = time.monotonic()
    assert robot.set_parameter("workspace_max_m", [0.5, 0.8, 1.2]).successful  # the grasp is at x = 0.65
    robot.send_grasp()
    reply = robot.call("execute")
    assert not reply.success and "outside_workspace" in reply.message, reply.message
    refused = robot.set_parameter("robot_ip", "127.0.0.1")  # a connection setting: only when unconfigured
    assert not refused.successful and "unconfigured" in refused.reason
    assert record_fault("workspace tightened while active", emulator, t_fault).motions_after == 0


@pytest.mark.ros
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("label", "offset_s", "stamp", "reason"),
    [
        ("grasp stamped 10 s in the future", 10.0, None, "future_stamp"),
        ("grasp stamped 1 h in the future", 3600.0, None, "future_stamp"),
        ("grasp with a negative stamp", 0.0, (-5, 0), "stale"),
        ("stale grasp (10 s old)", -10.0, None, "stale"),
    ],
)
def test_grasps_stamped_out_of_bounds_are_refused(robot, emulator, label, offset_s, stamp, reason):
    t_fault = time.monotonic()
    robot.send_grasp(stamp_offset_s=offset_s, stamp=stamp)
    reply = robot.call("execute")
    assert not reply.success and reason in reply.message, reply.message
    assert record_fault(label, emulator, t_fault).motions_after == 0
    robot.send_grasp()
    assert robot.call("execute").success  # the node is alive and a good grasp goes through
    robot.final_status(len(robot.statuses) - 1)


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_a_grasp_is_executed_at_most_once(robot, emulator):
    robot.send_grasp()
    since = len(robot.statuses)
    assert robot.call("execute").success
    robot.final_status(since)
    t_fault = time.monotonic()
    reply = robot.call("execute")
    assert not reply.success and "already executed" in reply.message
    assert record_fault("the same grasp executed again", emulator, t_fault).motions_after == 0


@pytest.mark.ros
@pytest.mark.timeout(120)
def test_controller_killed_mid_motion_is_reported_at_once_and_reconnected_when_back(rclpy_context):
    emu = EmulatorProcess().start()
    robot = ExecutorUnderTest(rclpy_context, emu.host)
    try:
        robot.start()
        robot.send_grasp()
        since = len(robot.statuses)
        assert robot.call("execute").success
        robot.spin_until(lambda: emu.motions_started() >= 2, "the approach to start")
        t_kill = time.monotonic()
        emu.kill()
        # Reported at once, whether the attempt's own watch saw it or ur_rtde blocked the attempt in a
        # call (then the connection watch reports it and cancels the attempt).
        robot.spin_until(
            lambda: any(
                s.get("status") == "lost" or s.get("phase") == "attempt" for s in robot.statuses[since:]
            ),
            "the loss to be reported",
            5.0,
        )
        assert time.monotonic() - t_kill < 2.5
        robot.spin_until(
            lambda: robot.diagnostics and _value(robot.diagnostics[-1], "connected") == "False",
            "diagnostics to say disconnected",
        )
        robot.send_grasp()
        reply = robot.call("execute")
        assert not reply.success and "connection lost" in reply.message  # never "accepted" while down

        emu = EmulatorProcess(host=emu.host).start()  # the controller comes back on the same address
        final = robot.final_status(since)
        assert final["outcome"] == "aborted" and final["error"] in (
            "RobotConnectionError",
            "ExecutionCancelledError",
        ), final
        robot.spin_until(
            lambda: any(s.get("status") == "reconnected" for s in robot.statuses[since:]),
            "the node to reconnect by itself",
        )
        robot.spin_until(
            lambda: _value(robot.diagnostics[-1], "connected") == "True", "diagnostics: connected"
        )
        assert emu.motions_started() == 0  # the new controller saw no motion
        robot.send_grasp()
        since = len(robot.statuses)
        assert robot.call("execute").success
        assert robot.final_status(since)["outcome"] == "succeeded"
    finally:
        robot.close()
        emu.stop()


def _value(diagnostic: DiagnosticArray, key: str) -> str:
    return next(kv.value for kv in diagnostic.status[0].values if kv.key == key)


def _robotiq_activated(host: str) -> bool:
    with socket.create_connection((host, ROBOTIQ_PORT), 2.0) as sock:
        stream = sock.makefile("rwb", buffering=0)
        stream.write(b"GET ACT\n")
        return stream.readline().decode().split() == ["ACT", "1"]


@pytest.mark.ros
@pytest.mark.timeout(60)
def test_robotiq_is_never_activated_in_dry_run_and_activated_on_arming(rclpy_context):
    with EmulatorProcess() as emu:
        robot = ExecutorUnderTest(rclpy_context, emu.host, gripper_driver="robotiq", dry_run=True)
        try:
            robot.start()
            robot.send_grasp()
            assert robot.call("execute").message.startswith("dry_run")
            assert not _robotiq_activated(emu.host)  # configure + activate + a plan: the fingers never moved
            assert robot.transition(Transition.TRANSITION_DEACTIVATE)
            assert robot.set_parameter("dry_run", False).successful
            assert robot.transition(Transition.TRANSITION_ACTIVATE)
            assert _robotiq_activated(emu.host)
            assert np.isfinite(robot.node.executor_core.gripper.position_for_width(0.04))
        finally:
            robot.close()


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_trajectory_execution_sends_only_armed_non_dry_attempts_from_joint_states(rclpy_context):
    """The Gazebo mode: no ur_rtde; plans start at joint_states; ~/execute_trajectory only when armed with
    dry_run false; a cancel sends an empty trajectory (the joint_trajectory_controller then holds)."""
    from sensor_msgs.msg import JointState
    from trajectory_msgs.msg import JointTrajectory

    from kd_grasp_ros.robot.ur10e_params import HOME_Q, JOINT_NAMES

    robot = ExecutorUnderTest(rclpy_context, "gazebo", trajectory_execution=True, dry_run=True)
    sent, planned, targets = [], [], []
    robot.probe.create_subscription(JointTrajectory, "/ur_executor/execute_trajectory", sent.append, 10)
    robot.probe.create_subscription(JointTrajectory, "/ur_executor/planned_trajectory", planned.append, 10)
    robot.probe.create_subscription(PoseStamped, "/ur_executor/target_pose", targets.append, 10)
    joints_pub = robot.probe.create_publisher(JointState, "joint_states", 10)
    q0 = np.asarray(HOME_Q, dtype=float) + np.array([0.1, -0.05, 0.05, 0.0, 0.0, 0.2])

    def publish_joints():
        joints_pub.publish(JointState(name=list(JOINT_NAMES)[::-1], position=list(q0[::-1])))

    try:
        robot.start()
        robot.spin_until(lambda: (publish_joints(), robot.node.joint_state[0] is not None)[1], "joint_states")
        robot.send_grasp()
        assert robot.call("execute").message.startswith("dry_run")
        robot.spin_until(lambda: planned and targets, "the plan and its target")
        np.testing.assert_allclose(planned[-1].points[0].positions, q0, atol=1e-9)  # from joint_states
        assert targets[-1].header.frame_id == "base_link"
        np.testing.assert_allclose(
            [targets[-1].pose.position.x, targets[-1].pose.position.z],
            [0.65, 0.10 - GRASP_DEPTH_M],
            atol=1e-6,
        )  # the hand-computed grasp in base_link
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            robot.executor.spin_once(timeout_sec=0.05)
        assert sent == []  # dry_run: nothing goes to the controller

        assert robot.set_parameter("dry_run", False).successful
        publish_joints()
        robot.send_grasp()
        since = len(robot.statuses)
        assert robot.call("execute").message.startswith("accepted")
        robot.spin_until(lambda: len(sent) == 1, "the executed trajectory")
        np.testing.assert_allclose(sent[0].points[0].positions, q0, atol=1e-9)
        assert robot.call("cancel").success
        robot.spin_until(lambda: len(sent) == 2, "the stopping (empty) trajectory")
        assert len(sent[1].points) == 0 and list(sent[1].joint_names) == list(JOINT_NAMES)
        assert robot.final_status(since)["outcome"] == "aborted"
    finally:
        robot.close()


@pytest.mark.ros
@pytest.mark.timeout(60)
def test_width_just_beyond_the_stroke_is_clamped_and_a_wider_one_rejected(robot, emulator):
    """The network sizes grasps up to the stroke limit (sim: 0.0856 m for an 0.085 m stroke)."""
    for width, accepted in ((0.0856, True), (0.1, False)):
        msg = robot.send_grasp()
        robot.width_pub.publish(Float32(data=width))
        robot.spin_until(lambda w=width: abs(robot.node.width[0] - w) < 1e-6, "the width")
        assert robot.node.latest_pose.header.stamp == msg.header.stamp
        assert robot.set_parameter("dry_run", True).successful
        reply = robot.call("execute")
        assert reply.success == accepted, reply.message
        if not accepted:
            assert "outside the gripper stroke" in reply.message


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_sigint_mid_motion_stops_the_arm_before_the_node_exits(rclpy_context, spawn_node, emulator):
    """What `ros2 launch` does on Ctrl-C: the executor process gets SIGINT while the arm moves."""
    import os
    import signal

    from node_test_helpers import Listener

    node = spawn_node(
        "ur_executor_node",
        params={"robot_ip": emulator.host, "autostart": True, **PARAMS, "max_grasp_age_s": 10.0},
    )
    node.wait_for_output("armed", 60.0)
    listener = Listener(rclpy_context, {})
    execute = listener.node.create_client(Trigger, "/ur_executor/execute_latest")
    pubs = {
        "grasp_pose": listener.publisher(PoseStamped, "grasp_pose"),
        "grasp_width": listener.publisher(Float32, "grasp_width"),
        "grasp_quality": listener.publisher(Float32, "grasp_quality"),
    }
    try:
        deadline = time.monotonic() + WAIT_S
        while not execute.service_is_ready() or any(p.get_subscription_count() == 0 for p in pubs.values()):
            assert time.monotonic() < deadline, "executor node not discovered"
            listener.spin_for(0.05)
        motions = emulator.motions_started()
        msg = PoseStamped()
        msg.header.frame_id, msg.header.stamp = "camera_color_optical_frame", listener.now()
        msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = GRASP_XYZ
        msg.pose.orientation.w = 1.0
        pubs["grasp_pose"].publish(msg)
        pubs["grasp_width"].publish(Float32(data=0.04))
        pubs["grasp_quality"].publish(Float32(data=0.9))
        listener.spin_for(0.3)
        future = execute.call_async(Trigger.Request())
        while not future.done():
            listener.spin_for(0.02)
        assert future.result().success, future.result().message
        while emulator.motions_started() < motions + 2:  # the approach is under way
            listener.spin_for(0.01)
        t_fault = time.monotonic()
        os.kill(node.popen.pid, signal.SIGINT)
        node.popen.wait(5.0)  # launch's default SIGINT grace period
        rec = record_fault("SIGINT to the executor process mid-motion", emulator, t_fault)
        assert rec.motions_after == 0 and rec.stop_request_ms is not None, rec
    finally:
        listener.close()
