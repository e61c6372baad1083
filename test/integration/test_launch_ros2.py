"""Every launch file started with the real `ros2 launch` from a colcon install of this package: what the
README promises is on the graph (checked with the `ros2` CLI), missing optional dependencies stop a
launch before anything starts, and SIGINT or SIGTERM to `ros2 launch` ends every process it started
within launch's 5 s, in any order of exit, with no exception noise.

Needs ../shared/tools/ros2-jazzy installed into the venv (`make setup`); skips otherwise.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from launch_system import (
    LaunchSystemMissing,
    RosLaunch,
    check_launch_system,
    colcon_build,
    sourced_environment,
)
from ros_helpers import REPO_ROOT

from kd_grasp_ros.robot.emulator_process import free_loopback_address
from kd_grasp_ros.sim.calibration import sim_camera_calibration

pytestmark = pytest.mark.ros

SAMPLE_BAG = REPO_ROOT / "models" / "sample_bags" / "sim_cell"
STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 5.0  # launch's default: SIGTERM follows SIGINT after 5 s
NOISE = (
    "Traceback",
    "never retrieved",
    "sending signal 'SIGTERM'",
    "sending signal 'SIGKILL'",
    "clean-up still running",
)


@pytest.fixture(scope="session")
def colcon_install(tmp_path_factory, ros_domain) -> Path:
    """This package built with colcon into a temporary workspace, once per session."""
    try:
        check_launch_system()
    except LaunchSystemMissing as exc:
        pytest.skip(str(exc))
    return colcon_build(tmp_path_factory.mktemp("colcon_ws"))


@pytest.fixture
def launch(colcon_install, tmp_path):
    """launch(FILE, **arguments) -> RosLaunch from the colcon install; everything killed after the test."""
    env = sourced_environment(colcon_install)
    started: list[RosLaunch] = []

    def start(launch_file: str, **arguments: str) -> RosLaunch:
        run = RosLaunch(launch_file, arguments, env, tmp_path / f"{launch_file}.{len(started)}.log")
        started.append(run)
        return run

    start.env = env
    yield start
    for run in started:
        run.kill()


def assert_clean_stop(run: RosLaunch, sig: int) -> None:
    elapsed, survivors = run.stop(sig, STOP_TIMEOUT_S + 2.0)
    assert not survivors, f"still running {elapsed:.1f} s after {sig.name}: {survivors}\n{run.output}"
    assert elapsed < STOP_TIMEOUT_S, f"{sig.name}: {elapsed:.1f} s to stop\n{run.output}"
    noise = [line for line in run.output.splitlines() if any(n in line for n in NOISE)]
    assert not noise, "\n".join(noise)


def installed(launch, package: str) -> bool:
    """Whether `package` is in the ament index of the launches' environment."""
    prefixes = launch.env.get("AMENT_PREFIX_PATH", "").split(os.pathsep)
    index = Path("share/ament_index/resource_index/packages") / package
    return any((Path(p) / index).is_file() for p in prefixes if p)


def test_colcon_install_has_every_executable_in_lib(colcon_install):
    lib = colcon_install / "kd_grasp_ros" / "lib" / "kd_grasp_ros"
    expected = {
        "camera_node",
        "depth_completion_node",
        "grasp_detection_node",
        "ur_executor_node",
        "sim_world_node",
        "pipeline_composed",
        "ur_emulator",
        "bag_player",
    }
    assert expected <= {p.name for p in lib.iterdir()}


def test_colcon_install_is_found_through_the_ament_index(colcon_install, launch, tmp_path):
    share = colcon_install / "kd_grasp_ros" / "share" / "kd_grasp_ros"
    for kind in ("launch", "config", "models"):
        source_files = sorted(
            p.name
            for p in (REPO_ROOT / kind).iterdir()
            if p.is_file() and p.suffix in {".py", ".yaml", ".rviz", ".xml", ".pt", ".json", ".md"}
        )
        assert sorted(p.name for p in (share / kind).iterdir() if p.is_file()) == source_files, kind
    probe = "; ".join(
        [
            "from kd_grasp_ros.common import resources",
            "print(resources.resource_path('', 'package.xml').parent)",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=launch.env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    assert Path(out) == share


@pytest.mark.timeout(240)
def test_mujoco_sim_gives_grasps_and_stops_on_sigterm(launch):
    run = launch("mujoco_sim.launch.py", emulator_ip=free_loopback_address())
    run.wait_for_output("composed pipeline running", STARTUP_TIMEOUT_S)
    pose = run.ros2(
        "topic",
        "echo",
        "--once",
        "--no-daemon",
        "--timeout",
        str(int(STARTUP_TIMEOUT_S)),
        "/grasp_pose",
        "geometry_msgs/msg/PoseStamped",
    )
    assert "frame_id: camera_color_optical_frame" in pose
    # the executor is calibrated with the simulated camera's true pose, not config/ur_executor.yaml's
    for name, expected in sim_camera_calibration().items():
        if name != "hand_eye_mode":
            answer = run.ros2("param", "get", "--no-daemon", "/ur_executor", name)
            values = [float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", answer)]
            assert values == pytest.approx(list(expected), abs=1e-9), answer
    # the simulated hardware's overlay (config/ur_executor_sim.yaml) is read after config/ur_executor.yaml
    assert "1.0" in run.ros2("param", "get", "--no-daemon", "/ur_executor", "gripper_settle_s")
    # SIGTERM makes ros2 launch exit at once: the children must follow on their own
    assert_clean_stop(run, signal.SIGTERM)


@pytest.mark.timeout(240)
def test_real_robot_with_mock_hardware_serves_the_executor_and_stops_when_the_emulator_exits_first(launch):
    robot_ip = free_loopback_address()
    run = launch(
        "real_robot.launch.py",
        robot_ip=robot_ip,
        use_mock_hardware="true",
        serial_number="123456789012",
        autostart="true",
    )
    run.wait_for_output(f"connected to {robot_ip}", STARTUP_TIMEOUT_S)
    assert "rviz2 is not installed: RViz (launch_rviz:=true) skipped" in run.output
    services = ""
    for _ in range(20):  # discovery by a fresh `ros2` process can take a few seconds on a busy machine
        services = run.ros2("service", "list", "--no-daemon")
        if "/ur_executor/execute_latest" in services:
            break
    assert "/ur_executor/execute_latest" in services
    assert robot_ip in run.ros2("param", "get", "--no-daemon", "/ur_executor", "robot_ip")
    os.kill(run.child_pid("ur_emulator"), signal.SIGINT)  # the controller vanishes under the executor
    run.wait_for_output("[ur_emulator-1]: process has finished cleanly", 10.0)
    assert_clean_stop(run, signal.SIGINT)


@pytest.mark.timeout(240)
def test_bag_replay_with_the_kd_grasp_player_gives_grasps_and_stops_on_sigint(launch):
    run = launch("bag_replay.launch.py", bag_path=str(SAMPLE_BAG), player="kd_grasp", rate="0.5")
    pose = run.ros2(
        "topic",
        "echo",
        "--once",
        "--no-daemon",
        "--timeout",
        str(int(STARTUP_TIMEOUT_S)),
        "/grasp_pose",
        "geometry_msgs/msg/PoseStamped",
    )
    assert "frame_id: camera_color_optical_frame" in pose
    assert_clean_stop(run, signal.SIGINT)


@pytest.mark.timeout(240)
def test_pipeline_alone_has_its_parameters_and_stops_on_sigterm(launch):
    run = launch("pipeline.launch.py", use_composition="false")
    run.wait_for_output("grasp detection ready", STARTUP_TIMEOUT_S)
    run.wait_for_output("depth completion ready", STARTUP_TIMEOUT_S)
    assert "384" in run.ros2("param", "get", "--no-daemon", "/grasp_detection_node", "crop_size")
    assert "cpu" in run.ros2("param", "get", "--no-daemon", "/depth_completion_node", "device")
    assert_clean_stop(run, signal.SIGTERM)


def test_bag_replay_without_rosbag2_fails_before_starting_anything(launch):
    if installed(launch, "ros2bag"):
        pytest.skip("rosbag2 is installed here")
    run = launch("bag_replay.launch.py", bag_path=str(SAMPLE_BAG))
    assert run.popen.wait(60) != 0
    assert "ros2bag (needed for player:=ros2" in run.output
    assert "process started" not in run.output


def test_gazebo_sim_without_ur_simulation_gz_fails_before_starting_anything(launch):
    if installed(launch, "ur_simulation_gz"):
        pytest.skip("ur_simulation_gz is installed here")
    run = launch("gazebo_sim.launch.py")
    assert run.popen.wait(60) != 0
    assert "ur_simulation_gz (needed for the Gazebo UR simulation" in run.output
    assert "process started" not in run.output
