"""The package is a well-formed ament_python package with a main behind every executable. Its colcon
install (files found through the ament index, executables in lib/kd_grasp_ros) is tested with the real
colcon in test/test_launch_ros2.py."""

from __future__ import annotations

import importlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from ros_helpers import REPO_ROOT

from kd_grasp_ros import cli
from kd_grasp_ros.common import resources

REQUIRED_EXEC_DEPENDS = {
    "rclpy",
    "std_msgs",
    "std_srvs",
    "sensor_msgs",
    "geometry_msgs",
    "visualization_msgs",
    "trajectory_msgs",
    "diagnostic_msgs",
    "lifecycle_msgs",
    "python3-numpy",
    "python3-opencv",
    "python3-pytorch-pip",
    "python3-ur-rtde-pip",
    "python3-pyrealsense2-pip",
}


def console_scripts() -> dict[str, str]:
    text = subprocess.run(
        [sys.executable, "setup.py", "--quiet", "--name"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert text.strip() == "kd_grasp_ros"
    namespace: dict = {}
    source = (REPO_ROOT / "setup.py").read_text().split("setup(")[0]
    exec(compile(source, "setup.py", "exec"), namespace)  # the NODE_EXECUTABLES table only
    return {**namespace["NODE_EXECUTABLES"], "kd-grasp": "kd_grasp_ros.cli:main"}


def test_package_xml_is_format_3_and_declares_run_time_dependencies():
    root = ET.parse(REPO_ROOT / "package.xml").getroot()
    assert root.get("format") == "3"
    assert root.findtext("name") == "kd_grasp_ros"
    assert root.find("export/build_type").text == "ament_python"
    declared = {e.text for e in root.findall("exec_depend")}
    assert REQUIRED_EXEC_DEPENDS <= declared, REQUIRED_EXEC_DEPENDS - declared
    assert (REPO_ROOT / "resource" / "kd_grasp_ros").is_file()


@pytest.mark.parametrize("name, target", sorted(console_scripts().items()))
def test_every_console_script_points_at_a_main(name, target):
    module_name, func = target.split(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, func)), f"{name} -> {target} has no callable {func}"


@pytest.mark.parametrize("command", sorted(cli.SUBCOMMANDS))
def test_every_kd_grasp_subcommand_has_its_module(command):
    module = importlib.import_module(cli.SUBCOMMANDS[command][0])
    assert callable(module.add_arguments) and callable(module.run)


def test_kd_grasp_rejects_unknown_subcommands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["no-such-thing"])
    assert "invalid choice" in capsys.readouterr().err


def test_missing_resource_names_every_place_looked():
    with pytest.raises(resources.ResourceNotFoundError, match="looked in: .*config/no_such.yaml"):
        resources.config_path("no_such.yaml")
