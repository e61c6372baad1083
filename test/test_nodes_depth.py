"""depth_completion_node in its own process: colour + raw depth in, 32FC1 metres out with the input's
stamp and frame and a matching camera_info; mismatched or empty frames are refused and logged."""
from __future__ import annotations

import numpy as np
import pytest
from node_test_helpers import INTRINSICS, Listener, camera_messages, depth_model_path

pytestmark = pytest.mark.ros

STARTUP_TIMEOUT_S = 60.0
MESSAGE_TIMEOUT_S = 30.0
REMAPS = {"color/image_raw": "/cam/color", "depth/image_raw": "/cam/depth", "depth/camera_info": "/cam/info"}


@pytest.mark.timeout(150)
def test_depth_completion_node(spawn_node, rclpy_context, tmp_path):
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import CameraInfo, Image

    from kd_grasp_ros.ros_image import depth_to_metres, numpy_to_image

    node = spawn_node("depth_completion_node",
                      params={"model_path": str(depth_model_path(tmp_path)), "threads": 1, "max_age_s": 5.0},
                      remappings=REMAPS)
    node.wait_for_output("depth completion ready", STARTUP_TIMEOUT_S)
    listener = Listener(rclpy_context, {"/depth_completed/image_raw": Image,
                                        "/depth_completed/camera_info": CameraInfo,
                                        "/diagnostics": DiagnosticArray})
    try:
        pubs = {t: listener.publisher(m, f"/cam/{t}") for t, m in (("color", Image), ("depth", Image),
                                                                     ("info", CameraInfo))}

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
        listener.spin_for(0.5)
    finally:
        listener.close()
    assert out.encoding == "32FC1" and (out.width, out.height) == (640, 480)
    assert out.header.stamp in sent and out.header.frame_id == INTRINSICS.frame_id
    completed = depth_to_metres(out)
    assert np.all(np.isfinite(completed)) and 0.1 <= completed[completed > 0].min() and completed.max() <= 3.0
    infos = [i for i in listener.received["/depth_completed/camera_info"]
             if i.header.stamp == out.header.stamp]
    if infos:  # best effort: may be dropped under load, checked when it came
        assert (infos[0].width, infos[0].height) == (640, 480)
        assert infos[0].k[0] == pytest.approx(INTRINSICS.fx)
    timing_keys = {kv.key for d in listener.received["/diagnostics"] for kv in d.status[0].values}
    assert {"latency_ms", "inference_ms", "rejected", "stale_dropped"} <= timing_keys
    assert node.is_running()


@pytest.mark.timeout(60)
def test_a_missing_model_stops_the_node_with_a_clear_error(spawn_node):
    node = spawn_node("depth_completion_node", params={"model_path": "no_such_model.pt"})
    node.popen.wait(STARTUP_TIMEOUT_S)
    assert node.popen.returncode == 1
    assert "cannot load depth model 'no_such_model.pt'" in node.output
