"""sim_world_node: the MuJoCo UR10e cell as a camera and a robot on the ROS graph.

Publishes the simulated RealSense on the realsense-ros topics (colour rgb8, aligned depth 16UC1 mm with
the sensor model's holes on transparent objects, camera_info; stamped when the scene was captured), and
`joint_states`. With robot_ip set, it mirrors the (emulated) UR controller over RTDE: actual_q drives the
MuJoCo arm and the tool digital output the gripper, so whatever the executor does to the controller
happens in the cell. Physics advances with wall time on its own thread (kinematic arm, see
kd_grasp_ros.sim.world); frames are rendered from a snapshot of the state, so a render never pauses it.

For the demo and the trials (simulation only): `~/new_scene` (std_srvs/Trigger) drops a fresh scene
(parameters seed, scene_mode, transparent_ratio) with the arm where the controller has it; the node
notes the object under each plan the executor publishes on ur_executor/target_pose; `~/report`
(Trigger) answers JSON {seed, objects, target, held, ...}: the scoring (kd_grasp_ros.sim.scoring).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from typing import ClassVar

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Header
from std_srvs.srv import Trigger

from kd_grasp_ros.common.parameter_files import parameter
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.clock import LOG_THROTTLE_S
from kd_grasp_ros.nodes.diagnostics import ERROR, OK, diagnostic_array
from kd_grasp_ros.nodes.parameters import declare_all
from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS
from kd_grasp_ros.nodes.runner import NodeStartupError, run_node
from kd_grasp_ros.pipeline.controller_mirror import ControllerLinkError, ControllerMirror
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M
from kd_grasp_ros.robot.ur10e_params import HOME_Q, JOINT_NAMES
from kd_grasp_ros.ros_image import intrinsics_to_camera_info, metres_to_depth_image, numpy_to_image

NODE_NAME = "sim_world_node"
# Physics never jumps more than this per tick, whatever the wall clock did (a stalled thread).
MAX_STEP_S = 0.1
EXECUTOR_TARGET_TOPIC = "ur_executor/target_pose"  # the executor's planned grasp TCP (base_link)


@dataclasses.dataclass(frozen=True)
class SimWorldParams:
    """sim_world_node's parameters; defaults in config/sim_world_node.yaml (the cell: config/sim.yaml)."""

    parameter_file: ClassVar[str] = "sim_world_node.yaml"
    section: ClassVar[str] = NODE_NAME

    seed: int = parameter("scene seed (objects and their poses), used at start and by ~/new_scene")
    sim_config: str = parameter("simulation YAML ('' = the package's config/sim.yaml)", read_only=True)
    scene_mode: str = parameter("~/new_scene: single | cluttered ('' = the simulation YAML's)")
    transparent_ratio: float = parameter(
        "~/new_scene: probability that an object is transparent (-1 = the simulation YAML's)",
        range=(-1.0, 1.0),
    )
    target_radius_m: float = parameter(
        "scoring: no object under the planned grasp -> the nearest centre within this distance (m, xy) is "
        "the target",
        read_only=True,
        range=(0.0, 1.0),
    )
    camera_rate_hz: float = parameter(
        "rendered camera frames per second (Hz; software rendering takes ~0.4 s a frame)",
        read_only=True,
        range=(0.1, 30.0),
    )
    physics_rate_hz: float = parameter(
        "physics / mirroring updates per second (Hz)", read_only=True, range=(1.0, 500.0)
    )
    robot_ip: str = parameter(
        "(emulated) UR controller to mirror over RTDE ('' = arm stays at home)", read_only=True
    )
    gripper_output: int = parameter(
        "tool digital output driving the gripper (the executor's gripper_output)",
        read_only=True,
        range=(0, 1),
    )
    gripper_close_level: bool = parameter("output level that closes the gripper", read_only=True)
    reconnect_period_s: float = parameter(
        "wait between RTDE connection attempts (s)", read_only=True, range=(0.1, 60.0)
    )


class SimWorldNode(Node):
    """Thin ROS shell around kd_grasp_ros.sim.world.SimWorld."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        p = declare_all(self, SimWorldParams)
        seed, sim_config, camera_rate = p.seed, p.sim_config, p.camera_rate_hz
        self.target_radius_m = p.target_radius_m
        self.physics_period_s = 1.0 / p.physics_rate_hz
        self.robot_ip = p.robot_ip
        tool_output, close_level = p.gripper_output, p.gripper_close_level
        self.reconnect_period_s = p.reconnect_period_s
        self.world = _make_world(sim_config, seed)
        self.scene_seed = seed
        self.target: str | None = None
        self.mirror = ControllerMirror(self.robot_ip, tool_output, close_level) if self.robot_ip else None
        self.frames_out = 0
        self.lock = threading.Lock()  # the world: physics thread vs. snapshots, resets and scoring
        self._next_connect = 0.0
        sensor = IMAGE_PUBLISHER_QOS
        self.pub_color = self.create_publisher(Image, topics.REALSENSE_COLOR, sensor)
        self.pub_color_info = self.create_publisher(CameraInfo, topics.REALSENSE_COLOR_INFO, sensor)
        self.pub_depth = self.create_publisher(Image, topics.REALSENSE_ALIGNED_DEPTH, sensor)
        self.pub_depth_info = self.create_publisher(CameraInfo, topics.REALSENSE_ALIGNED_DEPTH_INFO, sensor)
        self.pub_joints = self.create_publisher(JointState, topics.JOINT_STATES, 10)
        self.pub_diag = self.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)
        self.create_subscription(PoseStamped, EXECUTOR_TARGET_TOPIC, self._on_executor_target, 10)
        self.create_service(Trigger, "~/new_scene", self._on_new_scene)
        self.create_service(Trigger, "~/report", self._on_report)
        # Rendering (OpenGL context) stays on the executor thread that created it: timer and services.
        self.create_timer(1.0 / camera_rate, self._on_camera)
        self._running = True
        self._physics = threading.Thread(target=self._physics_loop, name="sim-physics", daemon=True)
        self._physics.start()
        self.get_logger().info(
            f"simulated cell ready: seed {seed}, {len(self.world.objects)} objects, camera {camera_rate} Hz, "
            f"mirroring {self.robot_ip or 'nothing (robot_ip empty)'}"
        )

    # ---- physics ----------------------------------------------------------------------------------------
    def _physics_loop(self) -> None:
        last = time.monotonic()
        next_tick = last
        while self._running:
            next_tick += self.physics_period_s
            time.sleep(max(0.0, next_tick - time.monotonic()))
            now = time.monotonic()
            next_tick = max(next_tick, now - self.physics_period_s)  # a stall is skipped, not replayed
            with self.lock:
                if self.mirror is not None:
                    self._mirror_controller()
                self.world.step(dt=min(now - last, MAX_STEP_S))
                q = self.world.joint_positions()
            last = now
            self.pub_joints.publish(
                JointState(
                    header=Header(stamp=self.get_clock().now().to_msg()),
                    name=list(JOINT_NAMES),
                    position=[float(v) for v in q],
                )
            )

    def _mirror_controller(self) -> None:
        if not self.mirror.connected:
            if time.monotonic() < self._next_connect:
                return
            try:
                self.mirror.connect()
            except ControllerLinkError as exc:
                self._next_connect = time.monotonic() + self.reconnect_period_s
                self.get_logger().warn(
                    f"{exc}; retrying every {self.reconnect_period_s} s", throttle_duration_sec=LOG_THROTTLE_S
                )
                self._report(ERROR, str(exc))
                return
            self.get_logger().info(f"mirroring the controller at {self.robot_ip}")
        try:
            state = self.mirror.read()
            self.world.set_joint_targets(state.q)
        except (ControllerLinkError, RuntimeError) as exc:
            self.get_logger().error(
                f"cannot mirror the controller: {exc}", throttle_duration_sec=LOG_THROTTLE_S
            )
            self._report(ERROR, str(exc))
            return
        self.world.set_gripper(0.0 if state.gripper_closed else GRIPPER_STROKE_M)

    # ---- camera -----------------------------------------------------------------------------------------
    def _on_camera(self) -> None:
        with self.lock:
            snapshot = self.world.snapshot()
            stamp = self.get_clock().now().to_msg()
        frame = self.world.render(snapshot)
        header = Header(stamp=stamp, frame_id=frame.intrinsics.frame_id)
        info = intrinsics_to_camera_info(frame.intrinsics, header)
        self.pub_color.publish(numpy_to_image(frame.rgb, "rgb8", header))
        self.pub_color_info.publish(info)
        self.pub_depth.publish(metres_to_depth_image(frame.depth_raw, "16UC1", header))
        self.pub_depth_info.publish(info)
        self.frames_out += 1
        if self.frames_out == 1:
            self.get_logger().info("published the first simulated camera frame")
        self._report(OK, "running")

    # ---- scenes and scoring (demo and trials) -----------------------------------------------------------
    def _on_new_scene(self, request, response):
        """A fresh scene from the seed, scene_mode and transparent_ratio parameters; the arm stays where
        the controller has it. Frames stamped after `stamp_s` of the answer show the new scene."""
        from kd_grasp_ros.sim.scoring import scene_objects
        from kd_grasp_ros.sim.world import SimWorldError

        seed = int(self.get_parameter("seed").value)
        scene = self.world.cfg.scene
        mode = self.get_parameter("scene_mode").value
        ratio = float(self.get_parameter("transparent_ratio").value)
        scene = dataclasses.replace(
            scene, mode=mode or scene.mode, transparent_ratio=scene.transparent_ratio if ratio < 0 else ratio
        )
        with self.lock:
            q = self.world.joint_positions()
            try:
                self.world.reset(seed=seed, scene=scene, q=q)
            except SimWorldError as exc:
                response.success, response.message = False, f"cannot make the scene: {exc}"
                return response
            self.scene_seed, self.target = seed, None
            objects = scene_objects(self.world)
            stamp = self.get_clock().now().nanoseconds * 1e-9
        response.success = True
        response.message = json.dumps(
            {"seed": seed, "mode": scene.mode, "objects": objects, "stamp_s": stamp}
        )
        self.get_logger().info(f"new scene: seed {seed}, {scene.mode}, {len(objects)} objects")
        return response

    def _on_executor_target(self, msg: PoseStamped) -> None:
        """Note the object under the executor's planned grasp (before anything moves it)."""
        from kd_grasp_ros.common.transforms import make_transform
        from kd_grasp_ros.sim.calibration import base_link_to_sim
        from kd_grasp_ros.sim.scoring import target_object

        if msg.header.frame_id not in ("base_link", ""):
            self.get_logger().warn(
                f"{EXECUTOR_TARGET_TOPIC} in frame {msg.header.frame_id!r}, not base_link: ignored",
                throttle_duration_sec=LOG_THROTTLE_S,
            )
            return
        p = msg.pose.position
        tcp_sim = base_link_to_sim(make_transform(np.eye(3), (p.x, p.y, p.z)))
        with self.lock:
            self.target = target_object(
                self.world, tcp_sim[:3, 3], self.world.cfg.table.top_z, self.target_radius_m
            )

    def _on_report(self, request, response):
        """JSON: the scene's seed and objects, the target of the last plan, the objects held now."""
        from kd_grasp_ros.sim.scoring import scene_objects

        with self.lock:
            objects = scene_objects(self.world)
            transparent = {o["name"]: o["transparent"] for o in objects}
            report = {
                "seed": self.scene_seed,
                "objects": objects,
                "target": self.target,
                "target_transparent": transparent.get(self.target),
                "held": self.world.held_objects(),
                "gripper_opening_m": round(self.world.gripper_opening(), 4),
                "at_home": bool(np.max(np.abs(self.world.joint_positions() - HOME_Q)) < 1e-2),
            }
        response.success, response.message = True, json.dumps(report)
        return response

    def _report(self, level: bytes, message: str) -> None:
        self.pub_diag.publish(
            diagnostic_array(
                self.get_clock().now().to_msg(),
                f"{self.get_name()}: simulated cell",
                self.get_fully_qualified_name(),
                level,
                message,
                {
                    "frames_out": self.frames_out,
                    "sim_time_s": float(self.world.time),
                    "gripper_opening_m": float(self.world.gripper_opening()),
                    "mirroring": bool(self.mirror and self.mirror.connected),
                },
            )
        )

    def destroy_node(self) -> None:
        self._running = False
        self._physics.join(timeout=2.0)
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
