"""Every launch file's arguments, read with the real launch API (no process started): each described,
booleans and closed sets with choices, defaults among the choices, robot_ip without a default, and no
launch file starting anything through PATH."""

from __future__ import annotations

import ast

import pytest
from launch_system import LaunchSystemMissing, check_launch_system
from ros_helpers import REPO_ROOT

LAUNCH_DIR = REPO_ROOT / "launch"
EXPECTED_ARGUMENTS = {
    "real_robot.launch.py": {
        "ur_type",
        "robot_ip",
        "use_mock_hardware",
        "launch_rviz",
        "use_sim_time",
        "depth_completion",
        "dry_run",
        "serial_number",
    },
    "bag_replay.launch.py": {"bag_path", "rate", "player", "launch_rviz", "use_sim_time", "depth_completion"},
    "mujoco_sim.launch.py": {
        "ur_type",
        "emulator_ip",
        "launch_rviz",
        "use_sim_time",
        "depth_completion",
        "dry_run",
    },
    "gazebo_sim.launch.py": {
        "ur_type",
        "gazebo_gui",
        "world_file",
        "launch_rviz",
        "use_sim_time",
        "depth_completion",
        "color_topic",
        "depth_topic",
        "camera_info_topic",
        "dry_run",
        "autostart",
    },
    "pipeline.launch.py": {
        "color_topic",
        "depth_topic",
        "camera_info_topic",
        "depth_params_file",
        "grasp_params_file",
        "device",
        "backend",
        "input_qos",
    },
}
CLOSED_SETS = {"ur_type", "input_qos", "player", "backend"}


def launch_arguments(name: str) -> dict:
    try:
        check_launch_system()
    except LaunchSystemMissing as exc:
        pytest.skip(str(exc))
    from launch.launch_description_sources import get_launch_description_from_python_launch_file

    description = get_launch_description_from_python_launch_file(str(LAUNCH_DIR / name))
    return {arg.name: arg for arg in description.get_launch_arguments()}


@pytest.mark.parametrize("name", sorted(EXPECTED_ARGUMENTS))
def test_every_launch_argument_is_described_with_choices_where_closed(name):
    arguments = launch_arguments(name)
    assert EXPECTED_ARGUMENTS[name] <= set(arguments)
    for arg in arguments.values():
        assert arg.description and len(arg.description) > 10, f"{name}: {arg.name} undescribed"
        default = (
            arg.default_value[0].text if arg.default_value and hasattr(arg.default_value[0], "text") else None
        )
        if arg.choices is not None and default is not None:
            assert default in arg.choices, f"{name}: {arg.name} default {default!r} not a choice"
        if default in ("true", "false"):
            assert arg.choices == ["true", "false"], f"{name}: boolean {arg.name} without choices"
        if arg.name in CLOSED_SETS:
            assert arg.choices, f"{name}: {arg.name} without choices"
    if "robot_ip" in arguments:
        assert arguments["robot_ip"].default_value is None, "robot_ip must have no default"


def test_no_launch_file_starts_a_command_from_path():
    """ExecuteProcess commands start with ExecutableInPackage (lib/kd_grasp_ros); only `ros2 bag play`
    (player:=ros2, checked before start) is a command name."""
    for path in LAUNCH_DIR.glob("*.launch.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ExecuteProcess":
                cmd = next(k.value for k in node.keywords if k.arg == "cmd")
                first = cmd.elts[0] if isinstance(cmd, ast.List) else None
                assert isinstance(first, ast.Constant) and first.value == "ros2", (
                    f"{path.name}: {ast.unparse(cmd)}"
                )
            assert not (isinstance(node, ast.Constant) and node.value == "kd-grasp"), path.name


def test_gazebo_gets_only_executed_trajectories_never_the_dry_run_plan():
    """gazebo_sim cannot be started here (no ur_simulation_gz): its executor Node is read from the file.
    The controller topic must be fed by ~/execute_trajectory (armed, dry_run false, cancellable), with
    trajectory_execution on and dry_run from the (default true) argument; never by ~/planned_trajectory."""
    tree = ast.parse((LAUNCH_DIR / "gazebo_sim.launch.py").read_text())
    nodes = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and getattr(n.func, "id", "") == "Node"
        and any(k.arg == "executable" and ast.literal_eval(k.value) == "ur_executor_node" for k in n.keywords)
    ]
    assert len(nodes) == 1
    keywords = {k.arg: k.value for k in nodes[0].keywords}
    remaps = ast.unparse(keywords["remappings"])
    assert "'~/execute_trajectory', TRAJECTORY_TOPIC" in remaps and "planned_trajectory" not in remaps
    params = ast.unparse(keywords["parameters"])
    assert "'trajectory_execution': True" in params and "'dry_run': LaunchConfiguration('dry_run')" in params
    assert "ur_emulator" not in (LAUNCH_DIR / "gazebo_sim.launch.py").read_text()
