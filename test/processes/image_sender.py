"""A separate process that publishes known depth and colour images through kd_grasp_ros.ros_image.

Run: python image_sender.py  (publishes on `depth` and `color` until interrupted). The receiving test
regenerates the same frames with `make_frames(index)` and compares every pixel.
"""

from __future__ import annotations

import sys

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException
from sensor_msgs.msg import Image

from kd_grasp_ros.ros_image import numpy_to_image

HEIGHT, WIDTH = 48, 64
PADDING_BYTES = 6  # extra bytes at the end of each big-endian depth row, to exercise `step`


def make_frames(index: int) -> dict[str, np.ndarray]:
    """The frames sent with header.stamp.sec == index."""
    rng = np.random.default_rng(index)
    return {
        "depth_mm": rng.integers(0, 65535, (HEIGHT, WIDTH), dtype=np.uint16),
        "depth_m": rng.uniform(0.1, 3.0, (HEIGHT, WIDTH)).astype(np.float32),
        "rgb": rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8),
    }


def big_endian_padded_16uc1(depth_mm: np.ndarray) -> Image:
    """A 16UC1 image as a big-endian camera driver with row padding would send it."""
    rows = depth_mm.astype(">u2").tobytes()
    row_bytes = depth_mm.shape[1] * 2
    padded = b"".join(
        rows[r * row_bytes : (r + 1) * row_bytes] + b"\xab" * PADDING_BYTES for r in range(depth_mm.shape[0])
    )
    msg = Image(
        height=depth_mm.shape[0],
        width=depth_mm.shape[1],
        encoding="16UC1",
        is_bigendian=1,
        step=row_bytes + PADDING_BYTES,
    )
    msg.data = padded
    return msg


def main() -> int:
    rclpy.init()
    node = rclpy.create_node("image_sender")
    pubs = {name: node.create_publisher(Image, name, 10) for name in ("depth_mm", "depth_m", "rgb", "bgr")}
    index = 0

    def publish() -> None:
        nonlocal index
        frames = make_frames(index)
        msgs = {
            "depth_mm": big_endian_padded_16uc1(frames["depth_mm"]),
            "depth_m": numpy_to_image(frames["depth_m"], "32FC1"),
            "rgb": numpy_to_image(frames["rgb"], "rgb8"),
            "bgr": numpy_to_image(np.ascontiguousarray(frames["rgb"][:, :, ::-1]), "bgr8"),
        }
        for name, msg in msgs.items():
            msg.header.stamp.sec = index
            msg.header.frame_id = "camera_color_optical_frame"
            pubs[name].publish(msg)
        index += 1

    node.create_timer(0.05, publish)
    print("image_sender ready", flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
