"""Every launch file evaluated with the launch recorder: described arguments, robot_ip without default,
executables that exist, parameter files that exist, and the topic wiring between the nodes."""
from __future__ import annotations

import ast
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from launch_recorder import LaunchEvaluationError, evaluate_launch_file
from node_test_helpers import REPO_ROOT

from kd_grasp_ros import cli
from kd_grasp_ros.launch_arguments import DDS_PROFILE_FILE, DDS_PROFILE_VARIABLE
from kd_grasp_ros.nodes import topics

LAUNCH_DIR = REPO_ROOT / "launch"
REQUIRED = {"real_robot.launch.py": {"robot_ip": "127.0.0.2"},
            "bag_replay.launch.py": {"bag_path": "/tmp/bag"}}
EXPECTED_ARGUMENTS = {
    "real_robot.launch.py": {"ur_type", "robot_ip", "use_mock_hardware", "launch_rviz", "use_sim_time",
                             "depth_completion", "dry_run"},
    "bag_replay.launch.py": {"bag_path", "rate", "launch_rviz", "use_sim_time", "depth_completion"},
    "mujoco_sim.launch.py": {"ur_type", "emulator_ip", "launch_rviz", "use_sim_time", "depth_completion",
                             "dry_run"},
    "gazebo_sim.launch.py": {"ur_type", "gazebo_gui", "world_file", "launch_rviz", "use_sim_time",
                             "depth_completion", "color_topic", "depth_topic", "camera_info_topic"},
}
RAW_DEPTH = "/" + topics.REALSENSE_ALIGNED_DEPTH
RAW_INFO = "/" + topics.REALSENSE_ALIGNED_DEPTH_INFO


def setup_py_node_executables() -> dict[str, str]:
    """NODE_EXECUTABLES of setup.py, read without running it."""
    tree = ast.parse((REPO_ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "NODE_EXECUTABLES":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no NODE_EXECUTABLES table")


def launch_files() -> list[str]:
    return sorted(p.name for p in LAUNCH_DIR.glob("*.launch.py"))


def test_all_expected_launch_files_exist():
    assert set(EXPECTED_ARGUMENTS) | {"pipeline.launch.py"} <= set(launch_files())


@pytest.mark.parametrize("name", launch_files())
def test_launch_file_is_well_formed(name):
    record = evaluate_launch_file(LAUNCH_DIR / name, REQUIRED.get(name, {}))
    declared = {a.name for a in record.arguments}
    assert EXPECTED_ARGUMENTS.get(name, set()) <= declared
    for arg in record.arguments:
        assert arg.description and len(arg.description) > 10, f"{arg.launch_file}: {arg.name} undescribed"
        if arg.choices is not None:
            assert arg.default is None or arg.default in arg.choices, f"{arg.name} default not a choice"
        if arg.default in ("true", "false"):
            assert arg.choices == ["true", "false"], f"{arg.launch_file}: boolean {arg.name} without choices"
        if arg.name == "robot_ip":
            assert arg.default is None, "robot_ip must have no default"
        if arg.name == "ur_type":
            assert "ur10e" in arg.choices and arg.default == "ur10e"
    node_executables = setup_py_node_executables()
    for node in record.nodes:
        if node.package != "kd_grasp_ros":
            continue
        assert node.executable in node_executables, f"{node.executable} is not a console script"
        for path in node.param_files:
            assert path.is_file(), f"{name}: parameter file {path} missing"
            sections = yaml.safe_load(path.read_text())
            assert all("ros__parameters" in body for body in sections.values()), path
    for process in record.processes:
        if process.cmd[0] == "kd-grasp":
            assert process.cmd[1] in cli.SUBCOMMANDS
        else:
            assert process.cmd[:3] == ["ros2", "bag", "play"] and "--clock" in process.cmd


def test_robot_ip_must_be_given_to_the_real_robot_launch():
    with pytest.raises(LaunchEvaluationError, match="required argument 'robot_ip' not given"):
        evaluate_launch_file(LAUNCH_DIR / "real_robot.launch.py", {})
    with pytest.raises(LaunchEvaluationError, match="ur_type:=ur10 not in"):
        evaluate_launch_file(LAUNCH_DIR / "real_robot.launch.py", {"robot_ip": "10.0.0.2", "ur_type": "ur10"})


def test_real_robot_wires_camera_pipeline_and_executor():
    record = evaluate_launch_file(LAUNCH_DIR / "real_robot.launch.py",
                                  {"robot_ip": "192.168.1.102", "serial_number": "123456789012"})
    camera, pipeline, executor = (record.node(e)
                                  for e in ("camera_node", "pipeline_composed", "ur_executor_node"))
    assert camera.param_overrides["serial_number"] == "123456789012"  # stays a string
    assert pipeline.remappings[topics.DEPTH_IN] == RAW_DEPTH
    assert pipeline.remappings[topics.DEPTH_INFO_IN] == RAW_INFO
    assert pipeline.remappings[topics.COLOR_IN] == "/" + topics.REALSENSE_COLOR
    assert executor.param_overrides["robot_ip"] == "192.168.1.102"
    assert executor.param_overrides["dry_run"] is True
    assert executor.name == "ur_executor"
    assert "ur_executor" in yaml.safe_load(executor.param_files[0].read_text())
    assert record.processes == []  # no emulator unless use_mock_hardware
    assert [n.executable for n in record.nodes if n.package == "rviz2"] == ["rviz2"]
    assert Path(record.node("rviz2").arguments[1]) == REPO_ROOT / "config" / "kd_grasp.rviz"
    assert (REPO_ROOT / "config" / "kd_grasp.rviz").is_file()

    mock = evaluate_launch_file(LAUNCH_DIR / "real_robot.launch.py", {
        "robot_ip": "127.0.0.7", "use_mock_hardware": "true", "launch_rviz": "false"})
    assert [p.cmd for p in mock.processes] == [["kd-grasp", "ur-emulator", "--host", "127.0.0.7"]]
    assert not [n for n in mock.nodes if n.package == "rviz2"]


def test_pipeline_variants_route_the_depth():
    separate = evaluate_launch_file(LAUNCH_DIR / "pipeline.launch.py", {"use_composition": "false"})
    assert [n.executable for n in separate.nodes] == ["depth_completion_node", "grasp_detection_node"]
    assert separate.node("grasp_detection_node").remappings == {}  # reads depth_completed/* as published
    raw = evaluate_launch_file(LAUNCH_DIR / "pipeline.launch.py",
                               {"use_composition": "false", "depth_completion": "false"})
    assert [n.executable for n in raw.nodes] == ["grasp_detection_node"]
    assert raw.node("grasp_detection_node").remappings == {topics.COMPLETED_DEPTH: RAW_DEPTH,
                                                           topics.COMPLETED_DEPTH_INFO: RAW_INFO}
    composed = evaluate_launch_file(LAUNCH_DIR / "pipeline.launch.py", {"depth_completion": "false"})
    assert composed.node("pipeline_composed").arguments == ["--no-depth-completion"]
    sections = set()
    for path in composed.node("pipeline_composed").param_files:
        sections |= set(yaml.safe_load(path.read_text()))
    assert {"depth_completion_node", "grasp_detection_node"} <= sections


def test_bag_replay_players():
    ros2 = evaluate_launch_file(LAUNCH_DIR / "bag_replay.launch.py",
                                {"bag_path": "/data/run1", "rate": "0.5"})
    assert ros2.processes[0].cmd == ["ros2", "bag", "play", "/data/run1", "--clock", "--rate", "0.5",
                                     "--loop"]
    assert ros2.node("pipeline_composed").param_overrides["use_sim_time"] is True
    ours = evaluate_launch_file(LAUNCH_DIR / "bag_replay.launch.py",
                                {"bag_path": "/data/run1", "player": "kd_grasp", "loop": "false"})
    assert ours.processes[0].cmd == ["kd-grasp", "replay", "/data/run1", "--rate", "1.0"]


def test_gazebo_sim_includes_ur_simulation_gz_and_uses_its_camera():
    record = evaluate_launch_file(LAUNCH_DIR / "gazebo_sim.launch.py",
                                  {"ur_type": "ur10e", "gazebo_gui": "false"})
    include = record.foreign_includes[0]
    assert include.path.endswith("ur_simulation_gz/launch/ur_sim_control.launch.py")
    assert include.arguments["ur_type"] == "ur10e" and include.arguments["gazebo_gui"] == "false"
    pipeline = record.node("pipeline_composed")
    assert pipeline.arguments == ["--no-depth-completion"]
    assert pipeline.remappings[topics.COMPLETED_DEPTH] == "/camera/depth_image"
    assert pipeline.param_overrides["use_sim_time"] is True
    executor = record.node("ur_executor_node")
    assert executor.remappings == {"~/planned_trajectory": "/joint_trajectory_controller/joint_trajectory"}
    assert executor.param_overrides["dry_run"] is True


def test_mujoco_sim_wires_emulator_simulation_pipeline_and_executor():
    record = evaluate_launch_file(LAUNCH_DIR / "mujoco_sim.launch.py", {"emulator_ip": "127.0.0.9"})
    assert [p.cmd for p in record.processes] == [["kd-grasp", "ur-emulator", "--host", "127.0.0.9"]]
    assert record.node("sim_world_node").param_overrides["robot_ip"] == "127.0.0.9"
    assert record.node("ur_executor_node").param_overrides["robot_ip"] == "127.0.0.9"
    # the simulation publishes exactly what the pipeline listens to
    assert set(record.node("pipeline_composed").remappings.values()) == {
        "/" + topics.REALSENSE_COLOR, RAW_DEPTH, RAW_INFO}


@pytest.mark.parametrize("name", launch_files())
def test_launch_files_give_every_process_the_image_dds_profile(name, monkeypatch):
    monkeypatch.delenv(DDS_PROFILE_VARIABLE, raising=False)
    record = evaluate_launch_file(LAUNCH_DIR / name, REQUIRED.get(name, {}))
    profile = Path(record.environment[DDS_PROFILE_VARIABLE])
    assert profile == REPO_ROOT / "config" / DDS_PROFILE_FILE
    root = ElementTree.parse(profile).getroot()
    namespace = {"dds": "http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles"}
    segment = root.find(".//dds:transport_descriptor[dds:type='SHM']/dds:segment_size", namespace)
    assert int(segment.text) >= 2 * 640 * 480 * 3  # room for a colour and a depth image at least

    monkeypatch.setenv(DDS_PROFILE_VARIABLE, "/etc/my_profile.xml")  # a user's own profile is kept
    record = evaluate_launch_file(LAUNCH_DIR / name, REQUIRED.get(name, {}))
    assert record.environment[DDS_PROFILE_VARIABLE] == "/etc/my_profile.xml"
