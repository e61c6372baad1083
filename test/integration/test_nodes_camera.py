"""camera_node in its own process: a RealSense recording (made with pyrealsense2's software device and
recorder) is played back on the realsense-ros topics; without a device the node reports and retries."""

from __future__ import annotations

import numpy as np
import pytest
from node_test_helpers import Listener

from kd_grasp_ros.common.intrinsics import D435_640X480
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, render_box_scene

pytestmark = pytest.mark.ros

INTRINSICS = D435_640X480.scaled(320, 240)
STARTUP_TIMEOUT_S = 30.0


def _frames(count: int):
    for i in range(count):
        frame = render_box_scene(INTRINSICS, BoxScene(box_centre_xy_m=(0.01 * i, 0.0)))
        yield frame.rgb, np.rint(frame.depth_m * 1000.0).astype(np.uint16)


@pytest.mark.timeout(120)
def test_recording_is_published_on_realsense_topics(spawn_node, rclpy_context, tmp_path):
    from sensor_msgs.msg import CameraInfo, Image

    from kd_grasp_ros.camera.recording import write_recording
    from kd_grasp_ros.ros_image import image_to_numpy

    recording = tmp_path / "synthetic.db3"
    assert write_recording(recording, INTRINSICS, _frames(3)) == 3
    expected = list(_frames(3))
    listener = Listener(
        rclpy_context,
        {
            "/camera/camera/color/image_raw": Image,
            "/camera/camera/aligned_depth_to_color/image_raw": Image,
            "/camera/camera/aligned_depth_to_color/camera_info": CameraInfo,
        },
    )
    try:
        node = spawn_node(
            "camera_node", params={"playback_path": str(recording), "width": 320, "height": 240}
        )
        node.wait_for_output("streaming from recording", STARTUP_TIMEOUT_S)
        depth_topic = "/camera/camera/aligned_depth_to_color/image_raw"
        depth_msgs = listener.wait_for(depth_topic, 3, STARTUP_TIMEOUT_S)
        listener.wait_for("/camera/camera/aligned_depth_to_color/camera_info", 1, STARTUP_TIMEOUT_S)
        color_msgs = listener.wait_for("/camera/camera/color/image_raw", 1, STARTUP_TIMEOUT_S)
    finally:
        listener.close()
    info = listener.received["/camera/camera/aligned_depth_to_color/camera_info"][0]
    assert (info.width, info.height) == (320, 240) and info.header.frame_id == "camera_color_optical_frame"
    assert info.k[0] == pytest.approx(INTRINSICS.fx) and info.k[2] == pytest.approx(INTRINSICS.cx)
    for msg in depth_msgs:
        assert (msg.encoding, msg.header.frame_id) == ("16UC1", "camera_color_optical_frame")
        depth = image_to_numpy(msg)
        # rs.align re-projects depth onto the colour grid: most pixels land exactly, edges may move
        best = max(np.mean(depth == d) for _, d in expected)
        assert best > 0.9
    colour = image_to_numpy(color_msgs[0])
    assert color_msgs[0].encoding == "rgb8" and any(np.array_equal(colour, c) for c, _ in expected)
    assert node.is_running()


@pytest.mark.timeout(60)
def test_without_a_device_the_node_logs_and_retries(spawn_node):
    node = spawn_node("camera_node", params={"retry_period_s": 0.3})
    node.wait_for_output("camera not available (attempt 1): no RealSense device connected", STARTUP_TIMEOUT_S)
    node.wait_for_output("camera not available (attempt 3)", STARTUP_TIMEOUT_S)
    assert node.is_running()


@pytest.mark.timeout(60)
def test_a_missing_recording_is_named(spawn_node, tmp_path):
    node = spawn_node("camera_node", params={"playback_path": str(tmp_path / "nothing.db3")})
    node.wait_for_output(f"recording {tmp_path / 'nothing.db3'} does not exist", STARTUP_TIMEOUT_S)
    assert node.is_running()
