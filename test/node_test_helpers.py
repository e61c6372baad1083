"""Shared by the node, launch and replay tests: model files, synthetic camera messages, a listener.

Model files: the node, launch and replay tests run the shipped networks, models/grasp_student_v1.pt and
models/depth_student.pt, so the students are what these tests check (where the grasp lands on a box of
known geometry, how the hole of a transparent box is filled). The released GG-CNN weights in ../shared
are only a peer in the grasp-area tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from ros_helpers import REPO_ROOT

from kd_grasp_ros.common.intrinsics import D435_640X480, CameraIntrinsics
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, render_box_scene

SHIPPED_GRASP_MODEL = REPO_ROOT / "models" / "grasp_student_v1.pt"
SHIPPED_DEPTH_MODEL = REPO_ROOT / "models" / "depth_student.pt"
FRAME_ID = "camera_color_optical_frame"
INTRINSICS = replace(D435_640X480, frame_id=FRAME_ID)
# A box whose natural grasp is across its 5 cm side, at the centre of its top face.
TEST_SCENE = BoxScene(
    table_depth_m=0.70, box_size_m=(0.05, 0.08, 0.06), box_centre_xy_m=(0.02, -0.01), box_yaw_rad=0.3
)


def grasp_model_path(shared_root: Path | None = None) -> Path:
    """The shipped grasp student (shared_root is accepted for the callers' sake and not used)."""
    del shared_root
    return SHIPPED_GRASP_MODEL


def depth_model_path(tmp_dir: Path | None = None) -> Path:
    """The shipped depth student (tmp_dir is accepted for the callers' sake and not used)."""
    del tmp_dir
    return SHIPPED_DEPTH_MODEL


@dataclass
class CameraMessages:
    """One synthetic frame as the camera would publish it."""

    color: object
    depth: object
    info: object


def camera_messages(
    stamp,
    intrinsics: CameraIntrinsics = INTRINSICS,
    scene: BoxScene = TEST_SCENE,
    depth_encoding: str = "16UC1",
    transparent: bool = False,
) -> CameraMessages:
    """Colour (rgb8), depth (16UC1 mm or 32FC1 m) and camera_info of the box scene, stamped `stamp`."""
    from std_msgs.msg import Header

    from kd_grasp_ros.ros_image import intrinsics_to_camera_info, metres_to_depth_image, numpy_to_image

    frame = render_box_scene(intrinsics, scene, transparent_box=transparent)
    header = Header(stamp=stamp, frame_id=intrinsics.frame_id)
    return CameraMessages(
        color=numpy_to_image(frame.rgb, "rgb8", header),
        depth=metres_to_depth_image(frame.depth_m, depth_encoding, header),
        info=intrinsics_to_camera_info(intrinsics, header),
    )


def grasp_node_on_test_inputs(spawn_node, rclpy_context, listen: dict, timeout_s: float, **params):
    """grasp_detection_node (own process, shipped v1, 1 thread, max_age_s 5 unless `params` say
    otherwise) reading depth from /in/depth and /in/info; returns (node, Listener on `listen`, depth
    publisher, camera_info publisher)."""
    from sensor_msgs.msg import CameraInfo, Image

    defaults = {"model_path": str(SHIPPED_GRASP_MODEL), "threads": 1, "max_age_s": 5.0}
    node = spawn_node(
        "grasp_detection_node",
        params={**defaults, **params},
        remappings={"depth_completed/image_raw": "/in/depth", "depth_completed/camera_info": "/in/info"},
    )
    node.wait_for_output("grasp detection ready", timeout_s)
    listener = Listener(rclpy_context, listen)
    return node, listener, listener.publisher(Image, "/in/depth"), listener.publisher(CameraInfo, "/in/info")


class Listener:
    """A test node recording every message on the given topics.

    Subscriptions and publishers are reliable (like every publisher of this package, nodes/qos.py):
    a reliable publisher also serves the nodes' default best-effort (sensor_data) subscriptions.
    """

    def __init__(self, context, topics: dict[str, type], name: str = "test_listener"):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS

        self.node = rclpy.create_node(name, context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.received: dict[str, list] = {t: [] for t in topics}
        for topic, msg_type in topics.items():
            self.node.create_subscription(msg_type, topic, self.received[topic].append, IMAGE_PUBLISHER_QOS)

    def publisher(self, msg_type, topic: str):
        from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS

        return self.node.create_publisher(msg_type, topic, IMAGE_PUBLISHER_QOS)

    def now(self):
        return self.node.get_clock().now().to_msg()

    def spin_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.05)

    def wait_for(self, topic: str, count: int, timeout_s: float, publish=None, period_s: float = 0.5):
        """Spin until `count` messages arrived on `topic`, calling publish() every period_s meanwhile."""
        deadline = time.monotonic() + timeout_s
        next_publish = 0.0
        while len(self.received[topic]) < count:
            now = time.monotonic()
            if now > deadline:
                got = len(self.received[topic])
                raise TimeoutError(f"{got}/{count} messages on {topic} after {timeout_s} s")
            if publish is not None and now >= next_publish:
                publish()
                next_publish = now + period_s
            self.executor.spin_once(timeout_sec=0.05)
        return self.received[topic]

    def wait_for_next(self, topic: str, timeout_s: float, publish=None):
        """Publish until one more message arrives on `topic` (e.g. the node's next diagnostics)."""
        return self.wait_for(topic, len(self.received[topic]) + 1, timeout_s, publish)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def rotation_from_quaternion(q) -> np.ndarray:
    from kd_grasp_ros.common.transforms import quat_to_matrix

    return quat_to_matrix([q.x, q.y, q.z, q.w])
