"""ur_executor_node (lifecycle) end to end: topics in, Trigger service, status/plan/diagnostics out.

The node runs in this process with its own rclpy context and ROS domain; the emulated controller runs
in a separate process on its own loopback address.
"""

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
from std_msgs.msg import Float32, String  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402
from trajectory_msgs.msg import JointTrajectory  # noqa: E402

from kd_grasp_ros.nodes.ur_executor_node import URExecutorNode  # noqa: E402
from kd_grasp_ros.robot.emulator_process import EmulatorProcess  # noqa: E402
from kd_grasp_ros.robot.ur10e_params import JOINT_NAMES  # noqa: E402

WAIT_S = 30.0


def spin_until(executor, condition, what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        executor.spin_once(timeout_sec=0.02)


@pytest.fixture(scope="module")
def emulator():
    with EmulatorProcess() as emu:
        yield emu


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

        spin_until(
            executor,
            lambda: node.count_subscribers("/grasp_pose") and execute.service_is_ready(),
            "the node's subscriptions and service",
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
        spin_until(
            executor,
            lambda: node.latest_pose is not None and node.quality[0] is not None,
            "the grasp topics to arrive",
        )

        future = execute.call_async(Trigger.Request())
        spin_until(executor, future.done, "the execute_latest response")
        assert future.result().success, future.result().message
        spin_until(
            executor,
            lambda: any(s.get("outcome") in ("succeeded", "aborted") for s in statuses),
            "the attempt to finish",
        )
        assert statuses[-1]["outcome"] == "succeeded", statuses
        close = next(s for s in statuses if s.get("phase") == "close" and s.get("status") == "done")
        np.testing.assert_allclose(close["tcp_pose"][:3], [0.65, -0.02, 0.10], atol=1e-3)
        assert close["gripper_closed"] is True
        spin_until(executor, lambda: paths and trajectories and diagnostics, "plan and diagnostics messages")
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
        spin_until(executor, lambda: node.latest_pose.pose.position.z == 1.0, "the unsafe grasp to arrive")
        future = execute.call_async(Trigger.Request())
        spin_until(executor, future.done, "the execute_latest response")
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
        spin_until(executor, lambda: node.armed, "autostart to configure and activate")
        assert node.executor_core.connected and node.executor_core.cfg.dry_run  # dry_run stays the default
        (result,) = node.set_parameters([Parameter("linear_speed_mps", value=0.9)])  # above max_linear_speed
        assert not result.successful and "max_linear_speed_mps" in result.reason
    finally:
        executor.shutdown()
        node.destroy_node()
