"""The demo's own ROS node: what an operator does with the running system, and what they watch.

It calls the services of the launched processes (sim_world_node ~/new_scene and ~/report, its
parameters; ur_executor ~/execute_latest and ~/go_home) and records what the nodes publish: the camera
frames, the completed depth, the grasp candidates (with their arrival times) and the executor's
~/status. It runs its own rclpy context and spins only inside its own calls.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.stamps import stamp_seconds
from kd_grasp_ros.nodes import topics

SIM_NODE = "/sim_world_node"
EXECUTOR_NODE = "/ur_executor"
SERVICE_TIMEOUT_S = 30.0
FRAMES_KEPT = 8  # camera / depth frames kept per stream, by stamp, for the pictures


class DemoDriverError(KdGraspError, RuntimeError):
    """A service of the node graph did not answer, or answered something unusable."""


@dataclass
class Detection:
    """One frame's grasp candidates as the grasp node published them."""

    stamp_s: float
    received_s: float  # wall time (time.time()) when the candidates arrived here
    poses: list  # geometry_msgs/Pose, best first
    info: list[float] = field(default_factory=list)  # [quality, width_m] per candidate


class DemoDriver:
    """rclpy node + executor in a private context; close() when done."""

    def __init__(self, name: str = "kd_grasp_demo"):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import PoseArray
        from rclpy.executors import SingleThreadedExecutor
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import Float32MultiArray, String
        from std_srvs.srv import Trigger

        from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS

        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        node = self.node
        self.detections: deque[Detection] = deque(maxlen=50)
        self.statuses: deque[dict] = deque(maxlen=200)
        self.images: dict[str, dict[float, object]] = {"color": {}, "depth_raw": {}, "depth_completed": {}}
        self.camera_info = None
        self.node_latency_ms: dict[str, float] = {}
        node.create_subscription(PoseArray, "/" + topics.GRASP_CANDIDATES, self._on_candidates, 20)
        node.create_subscription(Float32MultiArray, "/" + topics.GRASP_CANDIDATES_INFO, self._on_info, 20)
        node.create_subscription(String, EXECUTOR_NODE + "/status", self._on_status, 50)
        node.create_subscription(DiagnosticArray, "/" + topics.DIAGNOSTICS, self._on_diagnostics, 50)
        node.create_subscription(
            CameraInfo, "/" + topics.REALSENSE_ALIGNED_DEPTH_INFO, self._on_camera_info, IMAGE_PUBLISHER_QOS
        )
        for key, topic in (
            ("color", topics.REALSENSE_COLOR),
            ("depth_raw", topics.REALSENSE_ALIGNED_DEPTH),
            ("depth_completed", topics.COMPLETED_DEPTH),
        ):
            node.create_subscription(
                Image, "/" + topic, lambda msg, key=key: self._keep(key, msg), IMAGE_PUBLISHER_QOS
            )
        self.clients = {
            name: node.create_client(Trigger, path)
            for name, path in (
                ("new_scene", SIM_NODE + "/new_scene"),
                ("report", SIM_NODE + "/report"),
                ("execute", EXECUTOR_NODE + "/execute_latest"),
                ("go_home", EXECUTOR_NODE + "/go_home"),
            )
        }
        from rclpy.parameter_client import AsyncParameterClient

        self.sim_parameters = AsyncParameterClient(node, SIM_NODE)

    # ---- subscriptions ------------------------------------------------------------------------------
    def _on_candidates(self, msg) -> None:
        stamp = stamp_seconds(msg.header.stamp)
        self.detections.append(Detection(stamp, time.time(), list(msg.poses)))

    def _on_info(self, msg) -> None:
        # info has no header: it follows its PoseArray; attach it to the newest detection without one
        for det in reversed(self.detections):
            if not det.info and len(msg.data) == 2 * len(det.poses):
                det.info = list(msg.data)
                return

    def _on_status(self, msg) -> None:
        try:
            self.statuses.append(json.loads(msg.data))
        except json.JSONDecodeError:
            self.statuses.append({"unparsed": msg.data})

    def _on_diagnostics(self, msg) -> None:
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            if "latency_ms" in values:
                self.node_latency_ms[status.name.split(":")[0]] = float(values["latency_ms"])

    def _on_camera_info(self, msg) -> None:
        self.camera_info = msg

    def _keep(self, key: str, msg) -> None:
        frames = self.images[key]
        frames[stamp_seconds(msg.header.stamp)] = msg
        while len(frames) > FRAMES_KEPT:
            frames.pop(min(frames))

    # ---- waiting and calling ------------------------------------------------------------------------
    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.executor.spin_once(timeout_sec=min(left, 0.05))

    def spin_until(self, condition, timeout_s: float):
        """Spin until condition() is truthy (returned) or timeout_s passes (None)."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            value = condition()
            if value:
                return value
            self.executor.spin_once(timeout_sec=0.05)
        return condition() or None

    def _wait_future(self, future, what: str, timeout_s: float = SERVICE_TIMEOUT_S):
        if self.spin_until(future.done, timeout_s) is None:
            raise DemoDriverError(f"{what}: no answer within {timeout_s:.0f} s")
        return future.result()

    def wait_for_services(self, timeout_s: float = SERVICE_TIMEOUT_S) -> None:
        for name, client in self.clients.items():
            if self.spin_until(lambda c=client: c.service_is_ready(), timeout_s) is None:
                raise DemoDriverError(
                    f"service {client.srv_name} ({name}) not available after {timeout_s:.0f} s"
                )

    def trigger(self, name: str) -> tuple[bool, str]:
        """Call a Trigger service: (success, message)."""
        from std_srvs.srv import Trigger

        client = self.clients[name]
        answer = self._wait_future(client.call_async(Trigger.Request()), client.srv_name)
        return bool(answer.success), str(answer.message)

    def set_scene_parameters(self, seed: int, mode: str, transparent_ratio: float) -> None:
        from rclpy.parameter import Parameter

        params = [
            Parameter("seed", value=int(seed)),
            Parameter("scene_mode", value=mode),
            Parameter("transparent_ratio", value=float(transparent_ratio)),
        ]
        answer = self._wait_future(self.sim_parameters.set_parameters(params), "sim_world_node parameters")
        refused = [r.reason for r in answer.results if not r.successful]
        if refused:
            raise DemoDriverError(f"sim_world_node refused the scene parameters: {refused}")

    def report(self) -> dict:
        ok, text = self.trigger("report")
        if not ok:
            raise DemoDriverError(f"sim_world_node ~/report failed: {text}")
        return json.loads(text)

    def wait_for_status(self, predicate, timeout_s: float) -> dict | None:
        """The first ~/status received since the last statuses.clear() that satisfies predicate (those
        before it are dropped); None after timeout_s."""

        def found():
            while self.statuses:
                status = self.statuses.popleft()
                if predicate(status):
                    return status
            return None

        return self.spin_until(found, timeout_s)

    def detection_after(self, stamp_s: float) -> Detection | None:
        """The newest detection of a frame stamped after stamp_s, if any."""
        for det in reversed(self.detections):
            if det.stamp_s > stamp_s:
                return det
        return None

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        self.context.try_shutdown()
