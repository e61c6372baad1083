"""Fuzz: random Image, CameraInfo and PoseStamped messages (extreme sizes, steps, encodings, stamps,
intrinsics, poses) sent to each node running in its own process. Afterwards the node must still be
running, must answer a valid frame (or grasp) as before, and its peak resident memory (VmHWM) must have
stayed under PEAK_RSS_BOUND_BYTES: no message may make a node allocate more than it received plus a row.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

rclpy = pytest.importorskip("rclpy")
hypothesis = pytest.importorskip("hypothesis")

from geometry_msgs.msg import PoseStamped  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from node_test_helpers import (  # noqa: E402
    SHIPPED_DEPTH_MODEL,
    SHIPPED_GRASP_MODEL,
    Listener,
    camera_messages,
)
from sensor_msgs.msg import CameraInfo, Image  # noqa: E402
from std_msgs.msg import Float32  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

from kd_grasp_ros.robot.emulator_process import EmulatorProcess  # noqa: E402

# A node with torch and its model loaded, plus room for camera frames: well under 1 GiB. The bound fails
# a node that lets one message make it allocate gigabytes (a declared step of 2^32-1 did before).
PEAK_RSS_BOUND_BYTES = 1 << 30
EXAMPLES = 6  # batches per node
BATCH = 12  # messages per batch
STARTUP_TIMEOUT_S = 60.0
ANSWER_TIMEOUT_S = 30.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

INT32 = st.integers(-(2**31), 2**31 - 1)
UINT32 = st.integers(0, 2**32 - 1)
SIZES = st.one_of(st.integers(0, 700), st.sampled_from([1, 2**16, 2**31 - 1, 2**32 - 1]))
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
ENCODINGS = st.sampled_from(
    ["16UC1", "32FC1", "rgb8", "bgr8", "rgba8", "mono8", "mono16", "", "8UC3", "16UC3", "jpeg", "32FC1\x00"]
)


@st.composite
def headers(draw, msg_type):
    msg = msg_type()
    msg.header.stamp.sec, msg.header.stamp.nanosec = draw(INT32), draw(UINT32)
    msg.header.frame_id = draw(st.sampled_from(["", "camera_color_optical_frame", "x" * 300, "é/ü"]))
    return msg


@st.composite
def images(draw) -> Image:
    msg = draw(headers(Image))
    msg.height, msg.width, msg.step = draw(SIZES), draw(SIZES), draw(st.one_of(SIZES, UINT32))
    msg.encoding, msg.is_bigendian = draw(ENCODINGS), draw(st.integers(0, 1))
    msg.data = draw(st.binary(max_size=40_000))
    return msg


@st.composite
def camera_infos(draw) -> CameraInfo:
    msg = draw(headers(CameraInfo))
    msg.height, msg.width = draw(SIZES), draw(SIZES)
    msg.distortion_model = draw(st.sampled_from(["plumb_bob", "equidistant", "rational_polynomial", "", "?"]))
    msg.d = draw(st.lists(FLOATS, max_size=14))
    msg.k = draw(st.lists(FLOATS, min_size=9, max_size=9))
    return msg


@st.composite
def poses(draw) -> PoseStamped:
    msg = draw(headers(PoseStamped))
    p, o = msg.pose.position, msg.pose.orientation
    p.x, p.y, p.z, o.x, o.y, o.z, o.w = (draw(FLOATS) for _ in range(7))
    return msg


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def fuzz_topics(listener: Listener, publishers: dict, strategy) -> None:
    """Publish EXAMPLES batches of BATCH random messages (topic chosen per message), spinning between."""
    topics = sorted(publishers)

    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from(topics), st.data()), min_size=BATCH, max_size=BATCH))
    def send(batch):
        for topic, data in batch:
            publishers[topic].publish(data.draw(strategy[topic]))
        listener.spin_for(0.3)

    send()


# executable: (ready line, model, remappings, inputs {topic: type}, output (topic, type))
PERCEPTION_NODES = {
    "grasp_detection_node": (
        "grasp detection ready",
        SHIPPED_GRASP_MODEL,
        {"depth_completed/image_raw": "/fz/depth", "depth_completed/camera_info": "/fz/info"},
        {"/fz/depth": Image, "/fz/info": CameraInfo},
        ("/grasp_pose", PoseStamped),
    ),
    "depth_completion_node": (
        "depth completion ready",
        SHIPPED_DEPTH_MODEL,
        {
            "color/image_raw": "/fz/color",
            "depth/image_raw": "/fz/depth",
            "depth/camera_info": "/fz/info",
            "depth_completed/image_raw": "/fz/completed",
        },
        {"/fz/color": Image, "/fz/depth": Image, "/fz/info": CameraInfo},
        ("/fz/completed", Image),
    ),
}


@pytest.mark.ros
@pytest.mark.timeout(300)
@pytest.mark.parametrize("executable", sorted(PERCEPTION_NODES))
def test_perception_node_survives_fuzzed_images_and_camera_infos(rclpy_context, spawn_node, executable):
    ready, model, remappings, inputs, (output, output_type) = PERCEPTION_NODES[executable]
    node = spawn_node(
        executable, params={"model_path": str(model), "threads": 1, "max_age_s": 5.0}, remappings=remappings
    )
    node.wait_for_output(ready, STARTUP_TIMEOUT_S)
    listener = Listener(rclpy_context, {output: output_type})
    try:
        pubs = {topic: listener.publisher(kind, topic) for topic, kind in inputs.items()}
        fuzz_topics(listener, pubs, {t: camera_infos() if t == "/fz/info" else images() for t in pubs})
        assert node.is_running(), node.output[-3000:]

        def valid_frame():
            msgs = camera_messages(listener.now())
            pubs["/fz/info"].publish(msgs.info)
            if "/fz/color" in pubs:
                pubs["/fz/color"].publish(msgs.color)
            pubs["/fz/depth"].publish(msgs.depth)

        listener.wait_for(output, 1, ANSWER_TIMEOUT_S, valid_frame)
        assert peak_rss_bytes(node.popen.pid) < PEAK_RSS_BOUND_BYTES
    finally:
        listener.close()


@pytest.mark.ros
@pytest.mark.timeout(300)
def test_ur_executor_node_survives_fuzzed_grasps(rclpy_context, spawn_node):
    with EmulatorProcess() as emulator:
        node = spawn_node("ur_executor_node", params={"robot_ip": emulator.host, "autostart": True})
        node.wait_for_output("armed", STARTUP_TIMEOUT_S)
        listener = Listener(rclpy_context, {})
        execute = listener.node.create_client(Trigger, "/ur_executor/execute_latest")
        try:
            pubs = {
                "grasp_pose": listener.publisher(PoseStamped, "grasp_pose"),
                "grasp_width": listener.publisher(Float32, "grasp_width"),
                "grasp_quality": listener.publisher(Float32, "grasp_quality"),
            }
            deadline = time.monotonic() + ANSWER_TIMEOUT_S
            while not execute.service_is_ready() and time.monotonic() < deadline:
                listener.spin_for(0.05)
            floats = st.builds(Float32, data=st.floats(width=32))
            strategy = {"grasp_pose": poses(), "grasp_width": floats, "grasp_quality": floats}

            @FUZZ
            @given(
                st.lists(
                    st.tuples(st.sampled_from(sorted(pubs)), st.data()),
                    min_size=BATCH // 2,
                    max_size=BATCH // 2,
                )
            )
            def send(batch):
                for topic, data in batch:
                    pubs[topic].publish(data.draw(strategy[topic]))
                    listener.spin_for(0.02)
                    future = execute.call_async(Trigger.Request())
                    deadline = time.monotonic() + ANSWER_TIMEOUT_S
                    while not future.done() and time.monotonic() < deadline:
                        listener.spin_for(0.02)
                    assert future.done(), "execute_latest did not answer"
                    assert not future.result().message.startswith("accepted")  # dry_run: never moves

            send()
            assert node.is_running(), node.output[-3000:]
            assert emulator.motions_started() == 0
            assert peak_rss_bytes(node.popen.pid) < PEAK_RSS_BOUND_BYTES
        finally:
            listener.close()
