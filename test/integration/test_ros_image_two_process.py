"""Images cross a process boundary over real ROS 2 and every pixel arrives as it was sent."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from processes.image_sender import make_frames
from ros_helpers import REPO_ROOT, wait_until
from sensor_msgs.msg import Image

from kd_grasp_ros.ros_image import depth_to_metres, image_to_numpy, image_to_rgb

SENDER = REPO_ROOT / "test" / "processes" / "image_sender.py"
FRAMES_WANTED = 5


@pytest.mark.ros
@pytest.mark.timeout(60)
def test_every_pixel_survives_the_trip(rclpy_context, tmp_path):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    log = open(tmp_path / "sender.log", "wb")  # noqa: SIM115
    sender = subprocess.Popen([sys.executable, str(SENDER)], stdout=log, stderr=subprocess.STDOUT)
    node = rclpy.create_node("image_receiver", context=rclpy_context)
    executor = SingleThreadedExecutor(context=rclpy_context)
    executor.add_node(node)
    received: dict[str, dict[int, Image]] = {name: {} for name in ("depth_mm", "depth_m", "rgb", "bgr")}
    for name, store in received.items():
        node.create_subscription(
            Image, name, lambda msg, s=store: s.setdefault(msg.header.stamp.sec, msg), 50
        )
    try:
        wait_until(
            lambda: all(len(s) >= FRAMES_WANTED for s in received.values()),
            40.0,
            f"{FRAMES_WANTED} frames on every topic from the sender process",
            executor,
        )
    finally:
        sender.terminate()
        sender.wait(10)
        log.close()
        executor.shutdown()
        node.destroy_node()

    checked = 0
    for index, msg in received["depth_mm"].items():
        frames = make_frames(index)
        assert msg.is_bigendian and msg.step == msg.width * 2 + 6
        np.testing.assert_array_equal(image_to_numpy(msg), frames["depth_mm"])
        np.testing.assert_array_equal(depth_to_metres(msg), frames["depth_mm"].astype(np.float32) / 1000)
        checked += 1
    for index, msg in received["depth_m"].items():
        np.testing.assert_array_equal(depth_to_metres(msg), make_frames(index)["depth_m"])
    for name in ("rgb", "bgr"):
        for index, msg in received[name].items():
            assert msg.header.frame_id == "camera_color_optical_frame"
            np.testing.assert_array_equal(image_to_rgb(msg), make_frames(index)["rgb"])
    assert checked >= FRAMES_WANTED
