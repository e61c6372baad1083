"""ur_executor_node (lifecycle) end to end: topics in, Trigger service, status/plan/diagnostics out.

The node runs in this process with its own rclpy context and ROS domain; the emulated controller runs
in a separate process on its own loopback address.
"""

import copy
import json
import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("rtde_control")

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from executor_test_helpers import FAST_MOTION  # noqa: E402
from geometry_msgs.msg import PoseArray, PoseStamped  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.lifecycle import TransitionCallbackReturn  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from ros_helpers import wait_until  # noqa: E402
from std_msgs.msg import Float32, Float32MultiArray, String  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402
from trajectory_msgs.msg import JointTrajectory  # noqa: E402

from kd_grasp_ros.executor.config import ExecutorConfig  # noqa: E402
from kd_grasp_ros.executor.gripper import TOOL_OUTPUT_FIRST_BIT  # noqa: E402
from kd_grasp_ros.nodes.ur_executor_node import URExecutorNode  # noqa: E402
from kd_grasp_ros.robot.ur10e_params import JOINT_NAMES  # noqa: E402

# the shipped grasp_depth_m: the TCP goes this far past the seen surface (down)
GRASP_DEPTH_M = ExecutorConfig().grasp_depth_m

WAIT_S = 30.0
GOOD_XYZ = (0.05, 0.02, 0.9)  # camera frame -> (0.65, -0.02, 0.10) in base_link
OUTSIDE_XYZ = (0.0, 0.85, 0.8)  # -> y = -0.85 m: reachable but outside the workspace box


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_node_executes_the_latest_grasp_through_the_lifecycle(rclpy_context, emulator):
    node = URExecutorNode(
        context=rclpy_context,
        parameter_overrides=[
            Parameter(name, value=value) for name, value in {**FAST_MOTION, "dry_run": False}.items()
        ],
    )
    probe = rclpy.create_node("executor_probe", context=rclpy_context)
    executor = SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    executor.add_node(probe)
    statuses, paths, trajectories, diagnostics = [], [], [], []
    probe.create_subscription(
        String, "/ur_executor/status", lambda m: statuses.append(json.loads(m.data)), 50
    )
    probe.create_subscription(PoseArray, "/ur_executor/planned_path", paths.append, 5)
    probe.create_subscription(JointTrajectory, "/ur_executor/planned_trajectory", trajectories.append, 5)
    probe.create_subscription(DiagnosticArray, "/diagnostics", diagnostics.append, 5)
    pose_pub = probe.create_publisher(PoseStamped, "grasp_pose", 10)
    width_pub = probe.create_publisher(Float32, "grasp_width", 10)
    quality_pub = probe.create_publisher(Float32, "grasp_quality", 10)
    execute = probe.create_client(Trigger, "/ur_executor/execute_latest")
    try:
        # robot_ip has no default: configuring without it fails with a clear error.
        assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
        node.set_parameters([Parameter("robot_ip", value=emulator.host)])
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS

        wait_until(
            lambda: node.count_subscribers("/grasp_pose") and execute.service_is_ready(),
            WAIT_S,
            "the node's subscriptions and service",
            executor,
        )
        grasp = PoseStamped()
        grasp.header.frame_id = "camera_color_optical_frame"
        grasp.header.stamp = node.get_clock().now().to_msg()
        grasp.pose.position.x, grasp.pose.position.y, grasp.pose.position.z = 0.05, 0.02, 0.9
        grasp.pose.orientation.z, grasp.pose.orientation.w = (
            np.sin(0.2),
            np.cos(0.2),
        )  # yaw 0.4 about camera z
        pose_pub.publish(grasp)
        width_pub.publish(Float32(data=0.04))
        quality_pub.publish(Float32(data=0.9))
        wait_until(
            lambda: node.latest_pose is not None and node.quality[0] is not None,
            WAIT_S,
            "the grasp topics to arrive",
            executor,
        )

        future = execute.call_async(Trigger.Request())
        wait_until(future.done, WAIT_S, "the execute_latest response", executor)
        assert future.result().success, future.result().message
        wait_until(
            lambda: any(s.get("outcome") in ("succeeded", "aborted") for s in statuses),
            WAIT_S,
            "the attempt to finish",
            executor,
        )
        assert statuses[-1]["outcome"] == "succeeded", statuses
        close = next(s for s in statuses if s.get("phase") == "close" and s.get("status") == "done")
        np.testing.assert_allclose(close["tcp_pose"][:3], [0.65, -0.02, 0.10 - GRASP_DEPTH_M], atol=1e-3)
        assert close["gripper_closed"] is True
        wait_until(
            lambda: paths and trajectories and diagnostics, WAIT_S, "plan and diagnostics messages", executor
        )
        assert paths[-1].header.frame_id == "base_link" and len(paths[-1].poses) == 3
        assert list(trajectories[-1].joint_names) == list(JOINT_NAMES)
        assert any(kv.key == "connected" and kv.value == "True" for kv in diagnostics[-1].status[0].values)

        # An unsafe grasp is rejected synchronously by the service, before anything moves.
        moves = emulator.motions_started()
        grasp.header.stamp = node.get_clock().now().to_msg()
        grasp.pose.position.z = 1.0  # the table surface: below z_floor_m
        pose_pub.publish(grasp)
        width_pub.publish(Float32(data=0.04))
        quality_pub.publish(Float32(data=0.9))
        wait_until(
            lambda: node.latest_pose.pose.position.z == 1.0, WAIT_S, "the unsafe grasp to arrive", executor
        )
        future = execute.call_async(Trigger.Request())
        wait_until(future.done, WAIT_S, "the execute_latest response", executor)
        assert not future.result().success and "below_z_floor" in future.result().message
        assert emulator.motions_started() == moves

        assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
        assert node.trigger_cleanup() == TransitionCallbackReturn.SUCCESS
    finally:
        executor.shutdown()
        probe.destroy_node()
        node.destroy_node()


@pytest.mark.ros
@pytest.mark.timeout(60)
def test_autostart_configures_and_arms_without_a_lifecycle_manager(rclpy_context, emulator):
    node = URExecutorNode(
        context=rclpy_context,
        parameter_overrides=[Parameter("robot_ip", value=emulator.host), Parameter("autostart", value=True)],
    )
    executor = SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    try:
        wait_until(lambda: node.armed, WAIT_S, "autostart to configure and activate", executor)
        assert node.executor_core.connected and node.executor_core.cfg.dry_run  # dry_run stays the default
        (result,) = node.set_parameters([Parameter("linear_speed_mps", value=0.9)])  # above max_linear_speed
        assert not result.successful and "max_linear_speed_mps" in result.reason
    finally:
        executor.shutdown()
        node.destroy_node()


class ExecutorProbe:
    """ur_executor_node (this process) plus a probe node publishing grasp frames as the grasp node
    does (grasp_width, grasp_quality, grasp_pose, then grasp_candidates and grasp_candidates_info),
    calling the node's services and recording ~/status."""

    def __init__(self, context, host: str, **params):
        overrides = {**FAST_MOTION, "dry_run": False, "robot_ip": host, **params}
        self.node = URExecutorNode(
            context=context, parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()]
        )
        self.probe = rclpy.create_node("executor_probe", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.executor.add_node(self.probe)
        self.statuses = []
        self.probe.create_subscription(
            String, "/ur_executor/status", lambda m: self.statuses.append(json.loads(m.data)), 100
        )
        self.pubs = {
            "pose": self.probe.create_publisher(PoseStamped, "grasp_pose", 10),
            "width": self.probe.create_publisher(Float32, "grasp_width", 10),
            "quality": self.probe.create_publisher(Float32, "grasp_quality", 10),
            "candidates": self.probe.create_publisher(PoseArray, "grasp_candidates", 10),
            "info": self.probe.create_publisher(Float32MultiArray, "grasp_candidates_info", 10),
        }
        self.clients = {
            name: self.probe.create_client(Trigger, f"/ur_executor/{name}")
            for name in ("execute_latest", "go_home", "cancel")
        }

    def spin_until(self, condition, what: str, timeout_s: float = WAIT_S) -> None:
        wait_until(condition, timeout_s, what, self.executor)

    def spin_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.02)

    def call(self, name: str) -> Trigger.Response:
        client = self.clients[name]
        self.spin_until(client.service_is_ready, f"service {name}")
        future = client.call_async(Trigger.Request())
        self.spin_until(future.done, f"the {name} response")
        return future.result()

    def send_frame(self, best_xyz, candidates=(), stamp=None, candidates_stamp=None) -> PoseStamped:
        """One frame: grasp_pose at best_xyz (quality 0.9, width 0.04) and, if given, `candidates`
        [(xyz, quality)] (width 0.04) stamped `candidates_stamp` (default: the frame's stamp)."""
        pose = PoseStamped()
        pose.header.frame_id = "camera_color_optical_frame"
        pose.header.stamp = stamp or self.node.get_clock().now().to_msg()
        pose.pose.position.x, pose.pose.position.y, pose.pose.position.z = best_xyz
        pose.pose.orientation.w = 1.0
        self.spin_until(lambda: self.node.count_subscribers("/grasp_pose") > 0, "the node's subscriptions")
        self.pubs["width"].publish(Float32(data=0.04))
        self.pubs["quality"].publish(Float32(data=0.9))
        self.pubs["pose"].publish(pose)
        self.spin_until(
            lambda: (
                self.node.latest_pose is not None
                and self.node.latest_pose.header.stamp == pose.header.stamp
                and self.node.quality[1] >= self.node.latest_pose_arrival - 0.1
            ),
            "the grasp to arrive",
        )
        if candidates:
            array = PoseArray(header=copy.deepcopy(pose.header))
            if candidates_stamp is not None:
                array.header.stamp = candidates_stamp
            for xyz, _ in candidates:
                p = copy.deepcopy(pose.pose)
                p.position.x, p.position.y, p.position.z = xyz
                array.poses.append(p)
            info = Float32MultiArray(data=[v for _, quality in candidates for v in (quality, 0.04)])
            self.pubs["candidates"].publish(array)
            self.pubs["info"].publish(info)
            self.spin_until(
                lambda: (
                    self.node.frame_candidates is not None
                    and self.node.frame_candidates[0].header.stamp == array.header.stamp
                    and self.node.frame_candidates[1] == info.data.tolist()
                ),
                "the candidates and their info to arrive",
            )
        return pose

    def final_status(self, since: int, phase: str = "attempt") -> dict:
        """The first status of `phase` since `since`: an attempt's or go_home's last one."""
        self.spin_until(
            lambda: any(s.get("phase") == phase for s in self.statuses[since:]), f"the final {phase} status"
        )
        return next(s for s in self.statuses[since:] if s.get("phase") == phase)

    def close(self) -> None:
        self.executor.shutdown()
        self.probe.destroy_node()
        self.node.destroy_node()


@pytest.mark.ros
@pytest.mark.timeout(120)
def test_execute_latest_tries_the_frames_candidates_best_first(rclpy_context, emulator):
    robot = ExecutorProbe(rclpy_context, emulator.host)
    try:
        assert robot.node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert robot.node.trigger_activate() == TransitionCallbackReturn.SUCCESS
        # The best candidate (= grasp_pose) is outside the workspace; the second one is fine.
        robot.send_frame(OUTSIDE_XYZ, [(OUTSIDE_XYZ, 0.9), (GOOD_XYZ, 0.8)])
        since = len(robot.statuses)
        reply = robot.call("execute_latest")
        assert reply.success and "(candidate 1 of 2)" in reply.message, reply.message
        final = robot.final_status(since)
        assert final["outcome"] == "succeeded", robot.statuses[since:]
        plan = next(s for s in robot.statuses[since:] if s.get("phase") == "plan")
        assert plan["candidate"] == 1 and plan["candidates"] == 2
        close = next(s for s in robot.statuses[since:] if s.get("phase") == "close" and s["status"] == "done")
        np.testing.assert_allclose(close["tcp_pose"][:3], [0.65, -0.02, 0.10 - GRASP_DEPTH_M], atol=1e-3)
        reply = robot.call("execute_latest")  # the frame, whichever candidate ran, is executed at most once
        assert not reply.success and "already executed" in reply.message, reply.message

        moves = emulator.motions_started()
        # Every candidate rejected: each one's reason is named.
        robot.send_frame(OUTSIDE_XYZ, [(OUTSIDE_XYZ, 0.9), (GOOD_XYZ, 0.1)])
        reply = robot.call("execute_latest")
        assert not reply.success, reply.message
        assert "candidate 0: outside_workspace" in reply.message, reply.message
        assert "candidate 1: low_quality" in reply.message, reply.message
        # Candidates of another frame are not used: grasp_pose alone is tried.
        older = robot.node.get_clock().now().to_msg()
        robot.send_frame(OUTSIDE_XYZ, [(OUTSIDE_XYZ, 0.9), (GOOD_XYZ, 0.8)], candidates_stamp=older)
        reply = robot.call("execute_latest")
        assert not reply.success and "outside_workspace" in reply.message, reply.message
        assert "candidate 1" not in reply.message
        # max_candidates 1: only the best, as grasp_pose alone.
        (result,) = robot.node.set_parameters([Parameter("max_candidates", value=1)])
        assert result.successful, result.reason
        robot.send_frame(OUTSIDE_XYZ, [(OUTSIDE_XYZ, 0.9), (GOOD_XYZ, 0.8)])
        reply = robot.call("execute_latest")
        assert not reply.success and "outside_workspace" in reply.message, reply.message
        assert "candidate 1" not in reply.message
        assert emulator.motions_started() == moves
    finally:
        robot.close()


@pytest.mark.ros
@pytest.mark.timeout(60)
def test_auto_execute_waits_for_the_frames_candidates(rclpy_context, emulator):
    robot = ExecutorProbe(rclpy_context, emulator.host, dry_run=True, auto_execute=True)
    try:
        assert robot.node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert robot.node.trigger_activate() == TransitionCallbackReturn.SUCCESS
        robot.send_frame(GOOD_XYZ, [(GOOD_XYZ, 0.9)])  # the node has now seen candidates
        robot.spin_until(lambda: any(s.get("phase") == "plan" for s in robot.statuses), "the first plan")
        since = len(robot.statuses)
        robot.send_frame(OUTSIDE_XYZ, [(OUTSIDE_XYZ, 0.9), (GOOD_XYZ, 0.8)])
        robot.spin_until(lambda: len(robot.statuses) > since, "the auto_execute plan")
        robot.spin_for(0.5)  # nothing else comes for this frame
        assert [s.get("phase") for s in robot.statuses[since:]] == ["plan"], robot.statuses[since:]
        assert robot.statuses[since]["candidate"] == 1 and robot.statuses[since]["dry_run"] is True
    finally:
        robot.close()


@pytest.mark.ros
@pytest.mark.timeout(120)
def test_go_home_opens_the_gripper_and_moves_home_through_the_attempt_machinery(rclpy_context, emulator):
    robot = ExecutorProbe(rclpy_context, emulator.host)
    try:
        assert robot.node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        reply = robot.call("go_home")
        assert not reply.success and "not active" in reply.message, reply.message
        assert robot.node.trigger_activate() == TransitionCallbackReturn.SUCCESS
        core = robot.node.executor_core
        home_q = np.asarray(core.cfg.home_q)

        # An attempt (no return_home) leaves the arm lifted over the grasp with the gripper closed;
        # go_home is refused while it runs.
        robot.send_frame(GOOD_XYZ)
        since = len(robot.statuses)
        assert robot.call("execute_latest").success
        reply = robot.call("go_home")
        assert not reply.success and "already running" in reply.message, reply.message
        assert robot.final_status(since)["outcome"] == "succeeded"
        assert core.link.digital_output(TOOL_OUTPUT_FIRST_BIT + core.cfg.gripper_output)  # closed

        # dry_run only plans.
        (result,) = robot.node.set_parameters([Parameter("dry_run", value=True)])
        assert result.successful
        moves, since = emulator.motions_started(), len(robot.statuses)
        reply = robot.call("go_home")
        assert reply.success and reply.message.startswith("dry_run"), reply.message
        assert robot.final_status(since, "home")["outcome"] == "planned"
        assert emulator.motions_started() == moves
        (result,) = robot.node.set_parameters([Parameter("dry_run", value=False)])
        assert result.successful

        # ~/cancel stops it like an attempt.
        since = len(robot.statuses)
        reply = robot.call("go_home")
        assert reply.success and reply.message.startswith("accepted"), reply.message
        robot.spin_until(lambda: emulator.motions_started() > moves, "the move home to start")
        reply = robot.call("cancel")
        assert reply.success and "arm stopped with stopJ" in reply.message, reply.message
        final = robot.final_status(since, "home")
        assert final["status"] == "failed" and final["error"] == "ExecutionCancelledError", final
        assert np.max(np.abs(core.link.actual_q() - home_q)) > 0.01  # stopped on the way

        since = len(robot.statuses)
        reply = robot.call("go_home")
        assert reply.success and reply.message.startswith("accepted"), reply.message
        final = robot.final_status(since, "home")
        assert final["status"] == "done" and final["outcome"] == "succeeded", robot.statuses[since:]
        steps = [(s["phase"], s["status"]) for s in robot.statuses[since:] if s.get("run") == "go_home"]
        assert steps == [
            ("open", "started"),
            ("open", "done"),
            ("move_home", "started"),
            ("move_home", "done"),
        ]
        np.testing.assert_allclose(core.link.actual_q(), home_q, atol=2e-3)
        assert not core.link.digital_output(TOOL_OUTPUT_FIRST_BIT + core.cfg.gripper_output)  # open

        moves = emulator.motions_started()
        reply = robot.call("go_home")
        assert reply.success and reply.message.startswith("already home"), reply.message
        assert emulator.motions_started() == moves
        assert robot.node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
        reply = robot.call("go_home")
        assert not reply.success and "not active" in reply.message, reply.message
    finally:
        robot.close()
