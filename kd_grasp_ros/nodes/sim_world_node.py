"""sim_world_node: the MuJoCo UR10e cell as a camera and a robot on the ROS graph.

Publishes the simulated RealSense on the realsense-ros topics (colour rgb8, aligned depth 16UC1 mm with
the sensor model's holes on transparent objects, camera_info), and `joint_states`. With robot_ip set,
it mirrors the (emulated) UR controller over RTDE: actual_q drives the MuJoCo arm and the tool
digital output the gripper, so whatever the executor does to the controller happens in the cell.
Physics advances with wall time (kinematic arm, see kd_grasp_ros.sim.world).
"""
from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Header

from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.clock import LOG_THROTTLE_S
from kd_grasp_ros.nodes.diagnostics import ERROR, OK, diagnostic_array
from kd_grasp_ros.nodes.parameters import declare
from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS
from kd_grasp_ros.nodes.runner import NodeStartupError, run_node
from kd_grasp_ros.pipeline.controller_mirror import ControllerLinkError, ControllerMirror
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M
from kd_grasp_ros.robot.ur10e_params import JOINT_NAMES
from kd_grasp_ros.ros_image import intrinsics_to_camera_info, metres_to_depth_image, numpy_to_image

NODE_NAME = "sim_world_node"
# Physics never jumps more than this per tick, whatever the wall clock did (e.g. during a render).
MAX_STEP_S = 0.1


class SimWorldNode(Node):
    """Thin ROS shell around kd_grasp_ros.sim.world.SimWorld."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        seed = declare(self, "seed", 0, "scene seed (objects and their poses)", read_only=True)
        sim_config = declare(self, "sim_config", "", "simulation YAML ('' = the package's config/sim.yaml)",
                             read_only=True)
        camera_rate = declare(self, "camera_rate_hz", 2.0, "rendered camera frames per second (Hz)",
                              read_only=True, float_range=(0.1, 30.0))
        physics_rate = declare(self, "physics_rate_hz", 50.0, "physics / mirroring updates per second (Hz)",
                               read_only=True, float_range=(1.0, 500.0))
        self.robot_ip = declare(self, "robot_ip", "",
                                "(emulated) UR controller to mirror over RTDE ('' = arm stays at home)",
                                read_only=True)
        tool_output = declare(self, "gripper_tool_output", 0, "tool digital output driving the gripper",
                              read_only=True, int_range=(0, 1))
        close_level = declare(self, "gripper_close_level", True, "output level that closes the gripper",
                              read_only=True)
        self.reconnect_period_s = declare(self, "reconnect_period_s", 2.0,
                                          "wait between RTDE connection attempts (s)", read_only=True,
                                          float_range=(0.1, 60.0))
        self.world = _make_world(sim_config, seed)
        self.mirror = ControllerMirror(self.robot_ip, tool_output, close_level) if self.robot_ip else None
        self.frames_out = 0
        self._last_step = time.monotonic()
        self._next_connect = 0.0
        sensor = IMAGE_PUBLISHER_QOS
        self.pub_color = self.create_publisher(Image, topics.REALSENSE_COLOR, sensor)
        self.pub_color_info = self.create_publisher(CameraInfo, topics.REALSENSE_COLOR_INFO, sensor)
        self.pub_depth = self.create_publisher(Image, topics.REALSENSE_ALIGNED_DEPTH, sensor)
        self.pub_depth_info = self.create_publisher(CameraInfo, topics.REALSENSE_ALIGNED_DEPTH_INFO, sensor)
        self.pub_joints = self.create_publisher(JointState, topics.JOINT_STATES, 10)
        self.pub_diag = self.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)
        self.create_timer(1.0 / physics_rate, self._on_physics)
        self.create_timer(1.0 / camera_rate, self._on_camera)
        self.get_logger().info(
            f"simulated cell ready: seed {seed}, {len(self.world.objects)} objects, camera {camera_rate} Hz, "
            f"mirroring {self.robot_ip or 'nothing (robot_ip empty)'}")

    def _on_physics(self) -> None:
        if self.mirror is not None:
            self._mirror_controller()
        now = time.monotonic()
        self.world.step(dt=min(now - self._last_step, MAX_STEP_S))
        self._last_step = now
        msg = JointState(header=Header(stamp=self.get_clock().now().to_msg()), name=list(JOINT_NAMES),
                         position=[float(v) for v in self.world.joint_positions()])
        self.pub_joints.publish(msg)

    def _mirror_controller(self) -> None:
        if not self.mirror.connected:
            if time.monotonic() < self._next_connect:
                return
            try:
                self.mirror.connect()
            except ControllerLinkError as exc:
                self._next_connect = time.monotonic() + self.reconnect_period_s
                self.get_logger().warn(f"{exc}; retrying every {self.reconnect_period_s} s",
                                       throttle_duration_sec=LOG_THROTTLE_S)
                self._report(ERROR, str(exc))
                return
            self.get_logger().info(f"mirroring the controller at {self.robot_ip}")
        try:
            state = self.mirror.read()
            self.world.set_joint_targets(state.q)
        except (ControllerLinkError, RuntimeError) as exc:
            self.get_logger().error(f"cannot mirror the controller: {exc}",
                                    throttle_duration_sec=LOG_THROTTLE_S)
            self._report(ERROR, str(exc))
            return
        self.world.set_gripper(0.0 if state.gripper_closed else GRIPPER_STROKE_M)

    def _on_camera(self) -> None:
        frame = self.world.render()
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id=frame.intrinsics.frame_id)
        info = intrinsics_to_camera_info(frame.intrinsics, header)
        self.pub_color.publish(numpy_to_image(frame.rgb, "rgb8", header))
        self.pub_color_info.publish(info)
        self.pub_depth.publish(metres_to_depth_image(frame.depth_raw, "16UC1", header))
        self.pub_depth_info.publish(info)
        self.frames_out += 1
        if self.frames_out == 1:
            self.get_logger().info("published the first simulated camera frame")
        self._report(OK, "running")

    def _report(self, level: bytes, message: str) -> None:
        self.pub_diag.publish(diagnostic_array(
            self.get_clock().now().to_msg(), f"{self.get_name()}: simulated cell",
            self.get_fully_qualified_name(), level, message,
            {"frames_out": self.frames_out, "sim_time_s": float(self.world.time),
             "gripper_opening_m": float(self.world.gripper_opening()),
             "mirroring": bool(self.mirror and self.mirror.connected)}))

    def destroy_node(self) -> None:
        if self.mirror is not None:
            self.mirror.close()
        self.world.close()
        super().destroy_node()


def _make_world(sim_config: str, seed: int):
    """A reset SimWorld; NodeStartupError when the configuration or MuJoCo cannot be loaded."""
    from kd_grasp_ros.sim.config import SimConfigError, load_sim_config
    from kd_grasp_ros.sim.world import SimWorld, SimWorldError

    try:
        world = SimWorld(load_sim_config(sim_config or None))
        world.reset(seed=seed)
    except (SimConfigError, SimWorldError, OSError) as exc:
        raise NodeStartupError(f"{NODE_NAME}: cannot build the simulated cell: {exc}") from exc
    return world


def main(args=None) -> int:
    return run_node(SimWorldNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
