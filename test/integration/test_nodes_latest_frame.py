"""Latest frame wins in the perception nodes (own processes, real messages): a burst of frames faster
than the network is answered with the newest frame's grasps; the frames replaced before inference are
counted as superseded, never queued."""

from __future__ import annotations

import time

import pytest
from node_test_helpers import Listener, camera_messages, grasp_node_on_test_inputs

pytestmark = pytest.mark.ros

STARTUP_TIMEOUT_S = 60.0
MESSAGE_TIMEOUT_S = 30.0
BURST_FRAMES = 30
BURST_S = 0.1


def _stamp_ns(stamp) -> int:
    return stamp.sec * 10**9 + stamp.nanosec


def _values(listener: Listener) -> dict:
    return {kv.key: kv.value for kv in listener.received["/diagnostics"][-1].status[0].values}


@pytest.mark.timeout(180)
def test_a_burst_of_frames_is_answered_with_the_newest_and_the_rest_counted(spawn_node, rclpy_context):
    from builtin_interfaces.msg import Time
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseArray

    listen = {"/grasp_candidates": PoseArray, "/diagnostics": DiagnosticArray}
    node, listener, pub_depth, pub_info = grasp_node_on_test_inputs(
        spawn_node, rclpy_context, listen, STARTUP_TIMEOUT_S
    )
    template = camera_messages(listener.now())

    def send(stamp) -> None:
        template.info.header.stamp = template.depth.header.stamp = stamp
        pub_info.publish(template.info)
        pub_depth.publish(template.depth)

    try:
        listener.wait_for("/grasp_candidates", 1, MESSAGE_TIMEOUT_S, lambda: send(listener.now()))  # warm
        listener.spin_for(1.0)
        answered_before = len(listener.received["/grasp_candidates"])
        received_before = int(_values(listener)["received"])
        start_ns = _stamp_ns(listener.now())
        stamps = [start_ns + i * 1_000_000 for i in range(BURST_FRAMES)]
        for ns in stamps:
            send(Time(sec=ns // 10**9, nanosec=ns % 10**9))
            next_send = time.monotonic() + BURST_S / BURST_FRAMES
            while time.monotonic() < next_send:  # keep taking answers: the listener's queue is short
                listener.executor.spin_once(timeout_sec=0.001)
        newest = stamps[-1]
        deadline = time.monotonic() + MESSAGE_TIMEOUT_S
        while not any(_stamp_ns(m.header.stamp) == newest for m in listener.received["/grasp_candidates"]):
            assert time.monotonic() < deadline, "the newest frame of the burst was never answered"
            listener.spin_for(0.1)
        listener.spin_for(1.0)  # anything still queued would arrive now
        answers = [
            _stamp_ns(m.header.stamp) for m in listener.received["/grasp_candidates"][answered_before:]
        ]
        assert answers[-1] == newest  # nothing older comes after the newest
        assert answers == sorted(answers) and len(answers) < BURST_FRAMES // 2
        values = _values(listener)
        received = int(values["received"]) - received_before
        assert received >= len(answers)
        # every frame the node received was either answered or superseded by a newer one: none queued
        counts = {k: values[k] for k in ("received", "superseded", "frames_out", "rejected", "stale_dropped")}
        assert int(values["superseded"]) >= received - len(answers), (received_before, counts)
        assert int(values["superseded"]) >= 1
    finally:
        listener.close()
