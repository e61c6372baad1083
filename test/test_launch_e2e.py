"""The bag-replay and MuJoCo-simulation launch files run for real without `ros2 launch`: the recorder
evaluates them, then exactly the processes and nodes they declare are started (same executables,
parameter files in the same order, remappings, arguments) and grasps must come out of the images.

One test-only parameter file is appended after the launch file's own: the reference grasp network of
node_test_helpers (so that grasps, not only empty candidate lists, flow on to the executor), a depth
student built in a temporary directory while none is shipped, and a generous max_age_s (this shared
2-core machine is not what is tested).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from launch_recorder import LaunchRecord, evaluate_launch_file
from node_test_helpers import (
    REPO_ROOT,
    SHIPPED_DEPTH_MODEL,
    Listener,
    depth_model_path,
    grasp_model_path,
)

pytestmark = pytest.mark.ros

SAMPLE_BAG = REPO_ROOT / "models" / "sample_bags" / "sim_cell"
STARTUP_TIMEOUT_S = 90.0
PROCESS_STOP_TIMEOUT_S = 10.0
TEST_MAX_AGE_S = 10.0
SAMPLE_STAMPS_S = {1_700_000_000.0 + 0.2 * i for i in range(4)}


@pytest.fixture
def processes(tmp_path):
    """Start ExecuteProcess commands verbatim (console scripts from the venv); stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(cmd: list[str], name: str, env: dict[str, str]) -> subprocess.Popen:
        executable = Path(sys.executable).parent / cmd[0]
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - owned by the process
        proc = subprocess.Popen([str(executable), *cmd[1:]], stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **env}, start_new_session=True)
        log.close()
        started.append(proc)
        return proc

    yield start
    for proc in reversed(started):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(PROCESS_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _test_overrides(tmp_path: Path, shared_root: Path | None) -> Path:
    sections = {}
    for node, model in (("depth_completion_node", depth_model_path(tmp_path)),
                        ("grasp_detection_node", grasp_model_path(shared_root))):
        sections[node] = {"ros__parameters": {"model_path": str(model), "max_age_s": TEST_MAX_AGE_S}}
    path = tmp_path / "test_overrides.yaml"
    path.write_text(yaml.safe_dump(sections))
    return path


def start_recorded(record: LaunchRecord, spawn_node, processes, tmp_path: Path, extra_params: Path) -> dict:
    """Start every process and kd_grasp_ros node of the record, in the environment the launch file
    sets; returns {executable: handle}."""
    handles = {}
    for process in record.processes:
        key = process.cmd[0] + ":" + process.cmd[1]
        handles[key] = processes(process.cmd, process.name, record.environment)
    for i, node in enumerate(n for n in record.nodes if n.package == "kd_grasp_ros"):
        ros_args = []
        for j, item in enumerate([*node.param_order, extra_params]):
            if isinstance(item, dict):
                path = tmp_path / f"launch_overrides_{i}_{j}.yaml"
                path.write_text(yaml.safe_dump({"/**": {"ros__parameters": item}}))
                item = path
            ros_args += ["--params-file", str(item)]
        handles[node.executable] = spawn_node(node.executable, remappings=node.remappings, ros_args=ros_args,
                                              name=node.name, extra_args=node.arguments,
                                              env=record.environment)
    return handles


def _shared_or_none(request):
    try:
        return request.getfixturevalue("shared_dir")
    except pytest.skip.Exception:
        return None


def _stamp_s(msg) -> float:
    return round(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9, 3)


@pytest.mark.timeout(240)
def test_bag_replay_launch_end_to_end(spawn_node, processes, rclpy_context, tmp_path, request):
    from geometry_msgs.msg import PoseArray, PoseStamped

    completion = "true" if SHIPPED_DEPTH_MODEL.is_file() else "false"  # untrained depth gives no grasps
    record = evaluate_launch_file(REPO_ROOT / "launch" / "bag_replay.launch.py", {
        "bag_path": str(SAMPLE_BAG), "player": "kd_grasp", "rate": "0.25", "depth_completion": completion})
    assert [p.cmd[:3] for p in record.processes] == [["kd-grasp", "replay", str(SAMPLE_BAG)]]
    listener = Listener(rclpy_context, {"/grasp_pose": PoseStamped, "/grasp_candidates": PoseArray})
    try:
        handles = start_recorded(record, spawn_node, processes, tmp_path,
                                 _test_overrides(tmp_path, _shared_or_none(request)))
        handles["pipeline_composed"].wait_for_output("composed pipeline running", STARTUP_TIMEOUT_S)
        poses = listener.wait_for("/grasp_pose", 2, STARTUP_TIMEOUT_S)
        listener.spin_for(0.5)
    finally:
        listener.close()
    assert {_stamp_s(p) for p in poses} <= SAMPLE_STAMPS_S  # grasps carry the recorded stamps
    assert all(p.header.frame_id == "camera_color_optical_frame" for p in poses)
    assert all(0.3 < p.pose.position.z < 1.5 for p in poses)  # on the table seen ~0.7 m away
    assert handles["pipeline_composed"].is_running()


@pytest.mark.timeout(240)
def test_mujoco_sim_launch_end_to_end(spawn_node, processes, rclpy_context, tmp_path, request):
    from geometry_msgs.msg import PoseStamped
    from sensor_msgs.msg import JointState

    emulator_ip = f"127.0.0.{100 + os.getpid() % 100}"
    completion = "true" if SHIPPED_DEPTH_MODEL.is_file() else "false"
    record = evaluate_launch_file(REPO_ROOT / "launch" / "mujoco_sim.launch.py",
                                  {"emulator_ip": emulator_ip, "depth_completion": completion})
    listener = Listener(rclpy_context, {"/grasp_pose": PoseStamped, "/joint_states": JointState})
    try:
        handles = start_recorded(record, spawn_node, processes, tmp_path,
                                 _test_overrides(tmp_path, _shared_or_none(request)))
        handles["sim_world_node"].wait_for_output(f"mirroring the controller at {emulator_ip}",
                                                  STARTUP_TIMEOUT_S)
        poses = listener.wait_for("/grasp_pose", 1, STARTUP_TIMEOUT_S)
        listener.wait_for("/joint_states", 1, STARTUP_TIMEOUT_S)
    finally:
        listener.close()
    assert poses[0].header.frame_id == "camera_color_optical_frame"
    assert all(h.is_running() for h in handles.values() if hasattr(h, "is_running"))
    assert all(h.poll() is None for h in handles.values() if isinstance(h, subprocess.Popen))
    assert listener.received["/joint_states"][0].name[0] == "shoulder_pan_joint"
