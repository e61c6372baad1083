"""depth_completion_node in its own process: colour + raw depth in, 32FC1 metres out with the input's
stamp and frame and a matching camera_info; mismatched or empty frames are refused and logged."""

from __future__ import annotations

import numpy as np
import pytest
from node_test_helpers import (
    INTRINSICS,
    TEST_SCENE,
    Listener,
    camera_messages,
    depth_model_path,
)
from ros_helpers import wait_until

from kd_grasp_ros.pipeline.synthetic_scene import render_box_scene

pytestmark = pytest.mark.ros

STARTUP_TIMEOUT_S = 60.0
MESSAGE_TIMEOUT_S = 30.0
REMAPS = {"color/image_raw": "/cam/color", "depth/image_raw": "/cam/depth", "depth/camera_info": "/cam/info"}


@pytest.mark.timeout(150)
def test_depth_completion_node(spawn_node, rclpy_context, tmp_path):
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import CameraInfo, Image

    from kd_grasp_ros.ros_image import depth_to_metres, numpy_to_image

    node = spawn_node(
        "depth_completion_node",
        params={"model_path": str(depth_model_path(tmp_path)), "threads": 1, "max_age_s": 5.0},
        remappings=REMAPS,
    )
    node.wait_for_output("depth completion ready", STARTUP_TIMEOUT_S)
    listener = Listener(
        rclpy_context,
        {
            "/depth_completed/image_raw": Image,
            "/depth_completed/camera_info": CameraInfo,
            "/depth_completed/confidence": Image,
            "/diagnostics": DiagnosticArray,
        },
    )
    try:
        pubs = {
            t: listener.publisher(m, f"/cam/{t}")
            for t, m in (("color", Image), ("depth", Image), ("info", CameraInfo))
        }

        def sender(transform=lambda m: m, send_info=True):
            def publish():
                msgs = transform(camera_messages(listener.now(), transparent=True))
                if send_info:
                    pubs["info"].publish(msgs.info)
                pubs["color"].publish(msgs.color)
                pubs["depth"].publish(msgs.depth)

            return publish

        def refused(expected_log, transform=lambda m: m, send_info=True):
            while expected_log not in node.output:
                listener.wait_for_next("/diagnostics", MESSAGE_TIMEOUT_S, sender(transform, send_info))

        refused("no camera_info received on /cam/info", send_info=False)

        def colour_of_other_size(m):
            m.color = numpy_to_image(np.zeros((240, 320, 3), np.uint8), "rgb8", m.color.header)
            return m

        refused("colour image is 320x240 but the depth image is 640x480", colour_of_other_size)

        def all_zero(m):
            m.depth = numpy_to_image(np.zeros((480, 640), np.uint16), "16UC1", m.depth.header)
            return m

        refused("only 0.0% of depth pixels are valid", all_zero)
        assert listener.received["/depth_completed/image_raw"] == []

        sent = []

        def good(m):
            sent.append(m.depth.header.stamp)
            return m

        out = listener.wait_for("/depth_completed/image_raw", 1, MESSAGE_TIMEOUT_S, sender(good))[0]

        # best effort: the info of that very frame may be dropped under load; one of a sent frame must come,
        # and the diagnostics that report the frame's timings
        def info_and_timings_arrived() -> bool:
            got = listener.received
            return (
                any(i.header.stamp in sent for i in got["/depth_completed/camera_info"])
                and any(c.header.stamp in sent for c in got["/depth_completed/confidence"])
                and any(kv.key == "latency_ms" for d in got["/diagnostics"] for kv in d.status[0].values)
            )

        wait_until(
            info_and_timings_arrived,
            MESSAGE_TIMEOUT_S,
            "a camera_info and a confidence image of a sent frame and the timing diagnostics",
            listener.executor,
        )
    finally:
        listener.close()
    assert out.encoding == "32FC1" and (out.width, out.height) == (640, 480)
    assert out.header.stamp in sent and out.header.frame_id == INTRINSICS.frame_id
    completed = depth_to_metres(out)
    # the shipped depth student fills the transparent box (no depth in its pixels) nearer its top than
    # the table behind it, and keeps the table
    truth = render_box_scene(INTRINSICS, TEST_SCENE)
    box, table = truth.box_mask, ~truth.box_mask
    table_fill_error = np.abs(TEST_SCENE.table_depth_m - truth.depth_m[box]).mean()
    assert np.abs(completed[box] - truth.depth_m[box]).mean() < 0.7 * table_fill_error
    assert np.abs(completed[table] - truth.depth_m[table]).mean() < 0.005
    info = next(i for i in listener.received["/depth_completed/camera_info"] if i.header.stamp in sent)
    assert (info.width, info.height) == (640, 480) and info.header.frame_id == INTRINSICS.frame_id
    assert info.k[0] == pytest.approx(INTRINSICS.fx) and info.k[5] == pytest.approx(INTRINSICS.cy)
    confidence_msg = next(
        c for c in listener.received["/depth_completed/confidence"] if c.header.stamp in sent
    )
    assert confidence_msg.encoding == "32FC1" and (confidence_msg.width, confidence_msg.height) == (640, 480)
    confidence = depth_to_metres(confidence_msg)  # 32FC1 read as is
    assert confidence.min() >= 0.0 and confidence.max() <= 1.0
    values = {kv.key: kv.value for d in listener.received["/diagnostics"] for kv in d.status[0].values}
    assert {"latency_ms", "inference_ms", "rejected", "stale_dropped", "mean_confidence"} <= set(values)
    assert values["network_input"] == "320x240 of 320x240"
    assert node.is_running()


@pytest.mark.timeout(60)
def test_a_missing_model_stops_the_node_with_a_clear_error(spawn_node):
    node = spawn_node("depth_completion_node", params={"model_path": "no_such_model.pt"})
    node.popen.wait(STARTUP_TIMEOUT_S)
    assert node.popen.returncode == 1
    assert "cannot load depth model 'no_such_model.pt'" in node.output
