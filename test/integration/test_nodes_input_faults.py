"""The perception nodes (own processes) refuse frames whose header or calibration cannot be trusted,
count them in /diagnostics, publish nothing for them, and keep working: future, negative and zero
stamps, an empty frame_id, non-finite intrinsics, and colour/depth that never pair (reported with their
measured offset)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from node_test_helpers import SHIPPED_DEPTH_MODEL, Listener, camera_messages, grasp_node_on_test_inputs

pytestmark = pytest.mark.ros

STARTUP_TIMEOUT_S = 60.0
MESSAGE_TIMEOUT_S = 30.0


def _values(listener: Listener) -> dict:
    return {kv.key: kv.value for kv in listener.received["/diagnostics"][-1].status[0].values}


def _refused_until_logged(listener, node, publish, expected_log: str) -> None:
    listener.wait_for_next("/diagnostics", MESSAGE_TIMEOUT_S, publish)
    while expected_log not in node.output:
        listener.wait_for_next("/diagnostics", MESSAGE_TIMEOUT_S, publish)


@pytest.mark.timeout(180)
def test_grasp_node_refuses_untrustworthy_headers_and_intrinsics(spawn_node, rclpy_context):
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseStamped

    listen = {"/grasp_pose": PoseStamped, "/diagnostics": DiagnosticArray}
    node, listener, pub_depth, pub_info = grasp_node_on_test_inputs(
        spawn_node, rclpy_context, listen, STARTUP_TIMEOUT_S, max_future_s=0.1
    )

    def sender(edit_depth=None, edit_info=None):
        def publish():
            msgs = camera_messages(listener.now())
            if edit_info:
                edit_info(msgs.info)
            if edit_depth:
                edit_depth(msgs.depth)
            pub_info.publish(msgs.info)
            pub_depth.publish(msgs.depth)

        return publish

    try:

        def future(depth):
            depth.header.stamp.sec += 10

        def negative(depth):
            depth.header.stamp.sec, depth.header.stamp.nanosec = -5, 0

        def zero(depth):
            depth.header.stamp.sec, depth.header.stamp.nanosec = 0, 0

        def no_frame(depth):
            depth.header.frame_id = ""

        def nan_fx(info):
            info.k[0] = math.nan

        # NaN intrinsics first: the node pairs a depth frame with the latest CameraInfo, and once a valid
        # one has arrived a good frame overtaking its NaN CameraInfo would rightly give grasps.
        _refused_until_logged(listener, node, sender(edit_info=nan_fx), "no valid K matrix")
        _refused_until_logged(listener, node, sender(future), "s in the future (> max_future_s 0.1)")
        _refused_until_logged(listener, node, sender(negative), "frame is unstamped")
        _refused_until_logged(listener, node, sender(zero), "frame is unstamped")
        _refused_until_logged(listener, node, sender(no_frame), "empty header.frame_id")
        assert listener.received["/grasp_pose"] == []
        values = _values(listener)
        assert int(values["future_dropped"]) >= 1 and int(values["unstamped"]) >= 2
        assert int(values["rejected"]) >= 2 and int(values["frames_out"]) == 0
        listener.wait_for("/grasp_pose", 1, MESSAGE_TIMEOUT_S, sender())  # still working
        assert node.is_running()
    finally:
        listener.close()


@pytest.mark.timeout(180)
def test_depth_node_reports_colour_and_depth_that_never_pair_with_their_offset(spawn_node, rclpy_context):
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import CameraInfo, Image

    node = spawn_node(
        "depth_completion_node",
        params={"model_path": str(SHIPPED_DEPTH_MODEL), "threads": 1, "max_age_s": 5.0, "sync_slop_s": 0.05},
        remappings={
            "color/image_raw": "/in/color",
            "depth/image_raw": "/in/depth",
            "depth/camera_info": "/in/info",
            "depth_completed/image_raw": "/out/depth",
        },
    )
    node.wait_for_output("depth completion ready", STARTUP_TIMEOUT_S)
    listener = Listener(rclpy_context, {"/out/depth": Image, "/diagnostics": DiagnosticArray})
    pubs = {
        name: listener.publisher(kind, f"/in/{name}")
        for name, kind in (("color", Image), ("depth", Image), ("info", CameraInfo))
    }

    def send(offset_s: float):
        def publish():
            from builtin_interfaces.msg import Time
            from std_msgs.msg import Header

            msgs = camera_messages(listener.now())
            stamp = msgs.color.header.stamp  # shared by the three messages: give colour its own header
            ns = stamp.sec * 10**9 + stamp.nanosec + int(offset_s * 1e9)
            msgs.color.header = Header(
                stamp=Time(sec=ns // 10**9, nanosec=ns % 10**9), frame_id=msgs.color.header.frame_id
            )
            pubs["info"].publish(msgs.info)
            pubs["depth"].publish(msgs.depth)
            pubs["color"].publish(msgs.color)

        return publish

    try:
        _refused_until_logged(listener, node, send(-0.2), "colour and depth stamps are 0.200 s apart")
        offsets = [
            float(kv.value)
            for d in listener.received["/diagnostics"]
            for kv in d.status[0].values
            if kv.key == "sync_offset_s"
        ]
        assert offsets and abs(offsets[-1] - 0.2) < 1e-3
        assert listener.received["/out/depth"] == []
        listener.wait_for("/out/depth", 1, MESSAGE_TIMEOUT_S, send(0.0))  # paired frames still work
    finally:
        listener.close()


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("width", "height"), [(640, 360), (320, 240)])
def test_grasp_node_adapts_its_crop_to_small_frames(spawn_node, rclpy_context, width, height):
    """camera_node offers 640x360 and 320x240: the 384 px crop becomes the shorter side, and says so."""
    from dataclasses import replace

    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseStamped
    from node_test_helpers import INTRINSICS, TEST_SCENE

    intrinsics = (
        replace(INTRINSICS, width=width, height=height, cy=(height - 1) / 2.0)
        if width == 640
        else INTRINSICS.scaled(width, height)
    )
    listen = {"/grasp_pose": PoseStamped, "/diagnostics": DiagnosticArray}
    node, listener, pub_depth, pub_info = grasp_node_on_test_inputs(
        spawn_node, rclpy_context, listen, STARTUP_TIMEOUT_S
    )

    def publish():
        msgs = camera_messages(listener.now(), intrinsics=intrinsics)
        pub_info.publish(msgs.info)
        pub_depth.publish(msgs.depth)

    try:
        pose = listener.wait_for("/grasp_pose", 1, MESSAGE_TIMEOUT_S, publish)[0].pose.position
        box_top_z = TEST_SCENE.table_depth_m - TEST_SCENE.box_size_m[2]
        assert abs(pose.z - box_top_z) < 0.02  # on the box top, not the table
        assert np.hypot(pose.x - TEST_SCENE.box_centre_xy_m[0], pose.y - TEST_SCENE.box_centre_xy_m[1]) < 0.05
        listener.wait_for_next("/diagnostics", MESSAGE_TIMEOUT_S, publish)
        assert _values(listener)["crop_px"] == str(height)
        assert "instead of crop_size 384" in node.output
    finally:
        listener.close()
