"""sim_world_node mirrors an emulated UR controller (joints and tool-output gripper) and publishes the
simulated camera; pipeline_composed runs depth completion and grasp detection in one process."""

from __future__ import annotations

import time

import numpy as np
import pytest
import yaml
from node_test_helpers import Listener, camera_messages, depth_model_path, grasp_model_path

from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M

pytestmark = pytest.mark.ros

STARTUP_TIMEOUT_S = 60.0
INITIAL_Q = [0.3, -1.4, 1.5, -1.7, -1.5, 0.2]


EMULATOR_ARGS = ["--initial-q", *map(str, INITIAL_Q)]


def _diagnostic(listener, prefix: str) -> dict:
    for array in reversed(listener.received["/diagnostics"]):
        if array.status and array.status[0].name.startswith(prefix):
            return {kv.key: kv.value for kv in array.status[0].values}
    return {}


@pytest.mark.timeout(150)
def test_sim_world_node_mirrors_the_emulated_controller(spawn_node, rclpy_context, emulator):
    import rtde_io
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import Image, JointState

    listener = Listener(
        rclpy_context,
        {
            "/joint_states": JointState,
            "/diagnostics": DiagnosticArray,
            "/camera/camera/aligned_depth_to_color/image_raw": Image,
        },
    )
    try:
        node = spawn_node("sim_world_node", params={"robot_ip": emulator.host, "camera_rate_hz": 1.0})
        node.wait_for_output(f"mirroring the controller at {emulator.host}", STARTUP_TIMEOUT_S)
        depth = listener.wait_for("/camera/camera/aligned_depth_to_color/image_raw", 1, STARTUP_TIMEOUT_S)[0]

        def arm_at_initial_q():
            listener.spin_for(0.2)
            states = listener.received["/joint_states"]
            return states and np.allclose(states[-1].position, INITIAL_Q, atol=1e-3)

        deadline = time.monotonic() + 20.0
        while not arm_at_initial_q():
            assert time.monotonic() < deadline, "the simulated arm did not reach the controller's actual_q"

        io = rtde_io.RTDEIOInterface(emulator.host)
        assert io.setToolDigitalOut(0, True)
        deadline = time.monotonic() + 20.0

        def gripper_opening():
            return float(_diagnostic(listener, "sim_world_node").get("gripper_opening_m", GRIPPER_STROKE_M))

        while gripper_opening() > 0.5 * GRIPPER_STROKE_M:
            assert time.monotonic() < deadline, "the simulated gripper did not follow the tool output"
            listener.spin_for(0.2)
        io.disconnect()
    finally:
        listener.close()
    assert (depth.encoding, depth.width, depth.height) == ("16UC1", 640, 480)
    assert list(listener.received["/joint_states"][-1].name)[:2] == [
        "shoulder_pan_joint",
        "shoulder_lift_joint",
    ]
    assert node.is_running()


@pytest.mark.timeout(150)
def test_pipeline_composed_runs_both_nodes_in_one_process(spawn_node, rclpy_context, tmp_path, request):
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import CameraInfo, Image

    try:
        shared = request.getfixturevalue("shared_dir")
    except pytest.skip.Exception:
        shared = None
    params = tmp_path / "composed.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "depth_completion_node": {
                    "ros__parameters": {"model_path": str(depth_model_path(tmp_path)), "max_age_s": 5.0}
                },
                "grasp_detection_node": {
                    "ros__parameters": {
                        "model_path": str(grasp_model_path(shared)),
                        "max_age_s": 5.0,
                        "min_quality": 0.0,
                    }
                },
            }
        )
    )
    node = spawn_node(
        "pipeline_composed",
        ros_args=["--params-file", str(params)],
        remappings={
            "color/image_raw": "/cam/color",
            "depth/image_raw": "/cam/depth",
            "depth/camera_info": "/cam/info",
        },
    )
    node.wait_for_output(
        "composed pipeline running: depth_completion_node, grasp_detection_node", STARTUP_TIMEOUT_S
    )
    listener = Listener(rclpy_context, {"/diagnostics": DiagnosticArray})
    try:
        pubs = {
            t: listener.publisher(m, f"/cam/{t}")
            for t, m in (("color", Image), ("depth", Image), ("info", CameraInfo))
        }

        def publish():
            msgs = camera_messages(listener.now(), transparent=True)
            pubs["info"].publish(msgs.info)
            pubs["color"].publish(msgs.color)
            pubs["depth"].publish(msgs.depth)

        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while int(_diagnostic(listener, "grasp_detection_node").get("frames_out", 0)) < 1:
            assert time.monotonic() < deadline, node.output
            listener.wait_for_next("/diagnostics", STARTUP_TIMEOUT_S, publish)
    finally:
        listener.close()
    # the grasp node listens only to depth_completed/*: its frames came through the depth node
    assert int(_diagnostic(listener, "depth_completion_node")["frames_out"]) >= 1
    assert node.is_running()
