"""Start and stop `kd-grasp ur-emulator` as a separate process (tests, demos, latency script).

The emulator must live in its own process: ur_rtde's pybind11 constructors hold the GIL. Each
instance binds its own loopback address; `free_loopback_address` picks one from 127.0.0.0/8 derived
from the process id and checks that the dashboard port is free there.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.robot.emulator import DASHBOARD_PORT
from kd_grasp_ros.robot.emulator_cli import READY_LINE

EMULATOR_START_TIMEOUT_S = 20.0
EMULATOR_STOP_TIMEOUT_S = 5.0
DASHBOARD_REPLY_TIMEOUT_S = 2.5
_counter = iter(range(1, 10**9))


class EmulatorError(KdGraspError, RuntimeError):
    """The emulator process did not start, or a dashboard test hook failed."""


def free_loopback_address() -> str:
    """A 127.x.y.z address, unique to this process and call, whose dashboard port is free."""
    pid = os.getpid()
    for _ in range(200):
        n = next(_counter)
        host = f"127.{1 + (pid >> 8) % 254}.{pid % 256}.{2 + n % 250}"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, DASHBOARD_PORT))
            except OSError:
                continue
        return host
    raise EmulatorError("no free loopback address found for an emulator")


class EmulatorProcess:
    """`kd-grasp ur-emulator` in a child process; a context manager that waits until it is ready."""

    def __init__(self, host: str | None = None, extra_args: list[str] | None = None):
        self.host = host or free_loopback_address()
        self.command = [
            sys.executable,
            "-m",
            "kd_grasp_ros.cli",
            "ur-emulator",
            "--host",
            self.host,
            *(extra_args or []),
        ]
        self.popen: subprocess.Popen | None = None
        self.output: list[str] = []

    def start(self) -> EmulatorProcess:
        env = dict(os.environ)
        source_root = str(Path(__file__).resolve().parents[2])  # importable even when not installed
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self.popen = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env=env,
        )
        ready = threading.Event()

        def pump() -> None:
            for line in self.popen.stdout:
                self.output.append(line.rstrip())
                if line.startswith(READY_LINE):
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(EMULATOR_START_TIMEOUT_S):
            self.kill()
            raise EmulatorError(
                f"emulator on {self.host} not ready within {EMULATOR_START_TIMEOUT_S} s: "
                + "\n".join(self.output)
            )
        return self

    def dashboard(self, command: str) -> str:
        """Send one dashboard line (e.g. a test hook) and return the reply."""
        with socket.create_connection((self.host, DASHBOARD_PORT), DASHBOARD_REPLY_TIMEOUT_S) as sock:
            stream = sock.makefile("rwb", buffering=0)
            stream.readline()
            stream.write((command + "\n").encode())
            reply = stream.readline().decode().strip()
        if not reply:
            raise EmulatorError(f"no dashboard reply to '{command}' from {self.host}")
        return reply

    def motions_started(self) -> int:
        """How many motions the emulated controller has started (a test hook)."""
        return int(self.dashboard("emulator motions").split(":")[1])

    def events(self) -> list[tuple[float, str, str]]:
        """The controller's event log: (time.monotonic(), kind, detail), kinds motion, stop, at_rest,
        protective_stop, refused (a test hook)."""
        reply = self.dashboard("emulator events")
        return [tuple(row) for row in json.loads(reply.split(":", 1)[1])]

    def kill(self) -> None:
        """Kill at once (a lost connection, as seen by clients)."""
        if self.popen and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(EMULATOR_STOP_TIMEOUT_S)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(EMULATOR_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until(condition, timeout_s: float, what: str, period_s: float = 0.01) -> None:
    """Poll condition() until true; raises TimeoutError naming what was awaited."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(period_s)
