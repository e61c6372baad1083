"""Shared pytest fixtures: the ../shared data, an isolated ROS 2 graph, node processes.

ROS isolation: one ROS_DOMAIN_ID per pytest process (derived from its pid, so concurrent runs on one
machine do not hear each other) and localhost-only discovery; child processes inherit both, and the
Fast DDS profile for images that the launch files set (config/fastdds_large_images.xml).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ros_helpers import REPO_ROOT, NodeProcess, isolated_ros_environment  # noqa: E402


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder (or $KD_GRASP_SHARED); skips the test when it is absent."""
    path = Path(os.environ.get("KD_GRASP_SHARED", REPO_ROOT.parent / "shared"))
    if not (path / "README.md").is_file():
        pytest.skip(f"shared data not found at {path} (set KD_GRASP_SHARED to its path)")
    return path


@pytest.fixture(scope="session")
def ros_domain() -> int:
    """A ROS_DOMAIN_ID of our own with localhost-only discovery, set for this process and its children."""
    domain = isolated_ros_environment(os.environ)
    yield domain


@pytest.fixture
def rclpy_context(ros_domain):
    """An initialised rclpy Context of its own, shut down after the test."""
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    context.try_shutdown()


@pytest.fixture
def spawn_node(ros_domain, tmp_path):
    """Start console-script executables as separate processes; all are stopped after the test.

    spawn_node("grasp_detection_node", params={...}, remappings={"from": "to"}, name="x") -> NodeProcess
    """
    started: list[NodeProcess] = []

    def spawn(
        executable: str,
        params: dict | None = None,
        remappings: dict | None = None,
        ros_args: list[str] | None = None,
        name: str | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> NodeProcess:
        proc = NodeProcess.start(
            executable,
            tmp_path,
            params=params,
            remappings=remappings,
            ros_args=ros_args,
            name=name,
            extra_args=extra_args,
            env=env,
        )
        started.append(proc)
        return proc

    yield spawn
    for proc in reversed(started):
        proc.stop()


def pytest_sessionfinish(session, exitstatus):
    """Write the fault-injection table when KD_GRASP_FAULT_REPORT names a file (see fault_injection.py)."""
    from fault_injection import write_report

    write_report()
