"""The real ROS 2 launch system for tests: a colcon install of this package, `ros2 launch` runs from it,
the `ros2` CLI, and the process tree a launch leaves behind.

The ROS 2 command line, launch and colcon come from ../shared/tools/ros2-jazzy (installed into the venv
by scripts/setup.sh); without them the tests that need them skip, naming what is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ros_helpers import REPO_ROOT, wait_for_log_text

PACKAGE = "kd_grasp_ros"
BIN = Path(sys.executable).parent
COLCON_TIMEOUT_S = 300.0
CLI_TIMEOUT_S = 60.0


class LaunchSystemMissing(RuntimeError):
    """The ROS 2 launch system or colcon is not available (the message says what to do)."""


def ros2_tools_dir() -> Path:
    """../shared/tools/ros2-jazzy (or $KD_GRASP_SHARED/tools/ros2-jazzy)."""
    shared = Path(os.environ.get("KD_GRASP_SHARED", REPO_ROOT.parent / "shared"))
    return shared / "tools" / "ros2-jazzy"


def check_launch_system() -> None:
    """Raise LaunchSystemMissing unless the tools folder exists and ros2 + colcon are installed."""
    tools = ros2_tools_dir()
    if not (tools / "install.sh").is_file():
        raise LaunchSystemMissing(f"ROS 2 launch tools not found at {tools} (set KD_GRASP_SHARED)")
    for tool in ("ros2", "colcon"):
        if not (BIN / tool).is_file():
            raise LaunchSystemMissing(f"{BIN / tool} missing: run `make setup` (installs {tools})")


def colcon_build(workspace: Path) -> Path:
    """colcon build of this package in `workspace` (src/kd_grasp_ros -> the repository); its install/."""
    (workspace / "src").mkdir(parents=True, exist_ok=True)
    (workspace / "src" / PACKAGE).symlink_to(REPO_ROOT, target_is_directory=True)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(BIN / "colcon"), "build", "--base-paths", "src"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=COLCON_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RuntimeError(f"colcon build failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return workspace / "install"


def sourced_environment(install: Path) -> dict[str, str]:
    """os.environ as `. install/setup.bash` leaves it (the venv's bin/ first on PATH, as when activated)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)  # the install's site-packages, not the source tree
    out = subprocess.run(
        ["bash", "-c", f". '{install}/setup.bash' && env -0"], env=env, check=True, capture_output=True
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def process_children() -> dict[int, list[int]]:
    """{parent pid: [child pids]} of every process, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> set[int]:
    """Every process below `pid` in the process tree."""
    tree, found, todo = process_children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


class RosLaunch:
    """`ros2 launch kd_grasp_ros FILE ARGS...` in a session of its own, its output in a log file."""

    def __init__(self, launch_file: str, arguments: dict[str, str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self.env = env
        self.known: set[int] = set()  # every process seen below ros2 launch
        command = [
            str(BIN / "ros2"),
            "launch",
            PACKAGE,
            launch_file,
            *(f"{k}:={v}" for k, v in arguments.items()),
        ]
        with open(log_path, "wb") as log:
            self.popen = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout_s: float) -> str:
        return wait_for_log_text(self.popen, lambda: self.output, text, timeout_s, "ros2 launch", poll_s=0.2)

    def child_pid(self, executable: str) -> int:
        """The pid of the launched process running `executable` (from launch's 'process started' line)."""
        for line in self.output.splitlines():
            if f"[{executable}-" in line and "process started with pid [" in line:
                return int(line.rsplit("[", 1)[1].rstrip("]"))
        raise LookupError(f"{executable} not started:\n{self.output}")

    def ros2(self, *args: str, timeout_s: float = CLI_TIMEOUT_S) -> str:
        """Run the `ros2` CLI in the launch's environment; its stdout (raises on failure). A node not
        discovered yet ("Node not found") is asked again until `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = subprocess.run(
                [str(BIN / "ros2"), *args],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                stdin=subprocess.DEVNULL,
            )
            if "Node not found" not in result.stdout + result.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if result.returncode != 0:
            raise RuntimeError(
                f"ros2 {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def stop(self, sig: int, timeout_s: float) -> tuple[float, dict[int, str]]:
        """Send `sig` to ros2 launch only and wait up to `timeout_s` for it and every process it started
        (recorded before the signal); returns (seconds until all were gone, {pid: cmdline} survivors)."""
        tree = {pid: command_line(pid) for pid in descendants(self.popen.pid)}
        self.known |= set(tree)
        start = time.monotonic()
        os.kill(self.popen.pid, sig)
        while time.monotonic() - start < timeout_s:
            self.popen.poll()
            if not alive(self.popen.pid) and not any(alive(pid) for pid in tree):
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        return elapsed, {pid: cmd for pid, cmd in tree.items() if alive(pid)}

    def kill(self) -> None:
        """Last resort after a test: SIGKILL the launch's session and everything it started."""
        self.known |= descendants(self.popen.pid)
        for pid in self.known | {self.popen.pid}:
            if not alive(pid):
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
