"""Helpers for tests that run real ROS 2 nodes: isolation, node processes, waiting on the graph."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from kd_grasp_ros.launch_arguments import DDS_PROFILE_FILE, DDS_PROFILE_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[1]
DOMAIN_ID_RANGE = 100  # ids 1..100 stay clear of the ephemeral port range on Linux
NODE_STOP_TIMEOUT_S = 10.0


def isolated_ros_environment(env) -> int:
    """Set a pid-derived ROS_DOMAIN_ID and localhost-only discovery in `env`; returns the domain."""
    domain = 1 + os.getpid() % DOMAIN_ID_RANGE
    env["ROS_DOMAIN_ID"] = str(domain)
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    env["ROS_LOCALHOST_ONLY"] = "1"  # honoured by distributions before Iron
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    env[DDS_PROFILE_VARIABLE] = str(REPO_ROOT / "config" / DDS_PROFILE_FILE)  # as the launch files do
    env["PYTHONUNBUFFERED"] = "1"
    return domain


def executable_path(name: str) -> Path:
    """A console script installed beside the running interpreter (the .venv's bin/)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"executable '{name}' not found at {path}; is the package installed?")
    return path


def wait_for_log_text(
    popen, read_output, text: str, timeout_s: float, what: str, poll_s: float = 0.05
) -> str:
    """The output (read_output()) once it contains `text`; RuntimeError if `popen` exits first,
    TimeoutError after `timeout_s`, both with the output so far."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = read_output()
        if text in out:
            return out
        if popen.poll() is not None:
            raise RuntimeError(f"{what} exited ({popen.returncode}) before '{text}':\n{out}")
        time.sleep(poll_s)
    raise TimeoutError(f"'{text}' not seen from {what} within {timeout_s} s:\n{read_output()}")


class NodeProcess:
    """A node executable running in its own process, its output captured in a log file."""

    def __init__(self, popen: subprocess.Popen, log_path: Path, command: list[str]):
        self.popen = popen
        self.log_path = log_path
        self.command = command

    @classmethod
    def start(
        cls,
        executable: str,
        workdir: Path,
        params: dict | None = None,
        remappings: dict | None = None,
        ros_args: list[str] | None = None,
        name: str | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> NodeProcess:
        stem = name or executable
        command = [str(executable_path(executable)), *(extra_args or []), "--ros-args"]
        if params:
            params_file = workdir / f"{stem}_params.yaml"
            params_file.write_text(yaml.safe_dump({"/**": {"ros__parameters": params}}))
            command += ["--params-file", str(params_file)]
        if name:
            command += ["-r", f"__node:={name}"]
        for src, dst in (remappings or {}).items():
            command += ["-r", f"{src}:={dst}"]
        command += ros_args or []
        log_path = workdir / f"{stem}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
        popen = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        log.close()
        return cls(popen, log_path, command)

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def is_running(self) -> bool:
        return self.popen.poll() is None

    def wait_for_output(self, text: str, timeout_s: float) -> str:
        """Wait until `text` appears in the output; raises TimeoutError with the output so far."""
        return wait_for_log_text(self.popen, lambda: self.output, text, timeout_s, self.command[0])

    def stop(self) -> int:
        """SIGINT (a clean rclpy shutdown), then SIGKILL after NODE_STOP_TIMEOUT_S; returns the exit code."""
        if self.is_running():
            os.killpg(self.popen.pid, signal.SIGINT)
            try:
                self.popen.wait(NODE_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        return self.popen.returncode


def wait_until(condition, timeout_s: float, what: str, executor=None, step_s: float = 0.02) -> None:
    """The one wait of the tests: until condition() holds, spinning `executor` (an rclpy executor) or
    sleeping step_s between checks; TimeoutError naming `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        if executor is None:
            time.sleep(step_s)
        else:
            executor.spin_once(timeout_sec=step_s)


def wait_for_subscribers(node, executor, publisher, count: int = 1, timeout_s: float = 15.0) -> None:
    """Wait until `publisher` has at least `count` matched subscriptions."""
    wait_until(
        lambda: publisher.get_subscription_count() >= count,
        timeout_s,
        f"{count} subscriber(s) on {publisher.topic_name}",
        executor,
    )


def wait_for_publishers(node, executor, topic: str, count: int = 1, timeout_s: float = 15.0) -> None:
    """Wait until `topic` has at least `count` publishers in the graph."""
    wait_until(
        lambda: node.count_publishers(topic) >= count, timeout_s, f"{count} publisher(s) on {topic}", executor
    )
