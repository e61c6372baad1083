"""The one conftest: the ../shared data, an isolated ROS 2 graph, node processes, the emulated UR
controller, and the markers each test gets from what it uses.

Tiers: test/unit/<area>/ (modules on their own: fast, no ROS graph) and test/integration/ (nodes,
processes, the emulated controller, launch files). Markers: `ros` (uses an rclpy graph), `emulator`
(uses the emulated controller), `slow` (tens of seconds or more); `ros` and `emulator` are added here
from the fixtures a test uses, `slow` is written on the test. `make test` runs all, `make test-fast`
the unit tier without `slow`.

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

ROS_FIXTURES = {"ros_domain", "rclpy_context", "spawn_node"}


def pytest_collection_modifyitems(items):
    """Mark each test by what it uses: an rclpy graph -> ros, the emulated controller -> emulator."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & ROS_FIXTURES:
            item.add_marker(pytest.mark.ros)
        if "emulator" in used:
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="module")
def emulator(request):
    """The emulated UR controller (`kd-grasp ur-emulator` as a process) shared by a module's tests; a
    module sets EMULATOR_ARGS (ur-emulator options, e.g. a safety plane) to start it otherwise."""
    from kd_grasp_ros.robot.emulator_process import EmulatorProcess

    with EmulatorProcess(extra_args=list(getattr(request.module, "EMULATOR_ARGS", ()))) as emu:
        yield emu


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

    def spawn(executable: str, **options) -> NodeProcess:
        """options: those of NodeProcess.start (params, remappings, ros_args, name, extra_args, env)."""
        proc = NodeProcess.start(executable, tmp_path, **options)
        started.append(proc)
        return proc

    yield spawn
    for proc in reversed(started):
        proc.stop()


def pytest_sessionfinish(session, exitstatus):
    """Write the fault-injection table when KD_GRASP_FAULT_REPORT names a file (see fault_injection.py)."""
    from fault_injection import write_report

    write_report()
