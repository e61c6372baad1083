"""The executables the launch files start stop cleanly on any mix of stop signals and never outlive
their parent: the real `ur_emulator` entry point, with a real RTDE client connected (so the process has
several threads a signal may land on)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from kd_grasp_ros.common.process_lifetime import SHUTDOWN_DEADLINE_S, StopRequest, stop_on_signals
from kd_grasp_ros.robot.emulator_cli import READY_LINE
from kd_grasp_ros.robot.emulator_process import free_loopback_address

EMULATOR = [sys.executable, "-m", "kd_grasp_ros.robot.emulator_cli"]
REPEATS = 6


def _start_emulator_with_client(host: str) -> tuple[subprocess.Popen, object]:
    import rtde_receive

    proc = subprocess.Popen([*EMULATOR, "--host", host], stdout=subprocess.PIPE, text=True)
    assert READY_LINE in proc.stdout.readline()
    return proc, rtde_receive.RTDEReceiveInterface(host)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(120)
def test_emulator_exits_on_sigterm_and_sigint_back_to_back():
    """`ros2 launch` and the kernel (parent death) can both signal a child within microseconds: a second
    signal arriving inside the first's handler must not deadlock the process."""
    for _ in range(REPEATS):
        proc, client = _start_emulator_with_client(free_loopback_address())
        try:
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(SHUTDOWN_DEADLINE_S + 2.0) == 0
        finally:
            client.disconnect()
            proc.kill()
            proc.wait()


@pytest.mark.timeout(60)
def test_emulator_exits_when_its_parent_dies():
    read_end, write_end = os.pipe()
    launcher = os.fork()
    if launcher == 0:  # a launcher that starts the emulator and dies without stopping it
        try:
            proc = subprocess.Popen(
                [*EMULATOR, "--host", free_loopback_address()], stdout=subprocess.PIPE, text=True
            )
            proc.stdout.readline()
            os.write(write_end, f"{proc.pid}\n".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    child = int(os.read(read_end, 64).decode())
    os.waitpid(launcher, 0)
    deadline = time.monotonic() + SHUTDOWN_DEADLINE_S + 2.0
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = _alive(child)
    if survived:
        os.kill(child, signal.SIGKILL)
    assert not survived, "the emulator outlived its launcher"


def test_stop_request_is_set_by_either_stop_signal_and_wait_returns():
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            stop = stop_on_signals()
            assert not stop.is_set()
            signal.raise_signal(sig)
            signal.raise_signal(sig)
            assert stop.is_set()
            stop.wait(0.01)  # returns at once
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert not StopRequest().is_set()


DEADLINE_PROBE = """
import ctypes, sys, time
from kd_grasp_ros.common.process_lifetime import exit_deadline
with exit_deadline("probe", timeout_s=0.5):
    if sys.argv[1] == "holds-gil":
        ctypes.PyDLL(None).sleep(30)  # a C call that keeps the GIL, as a blocked ur_rtde call does
    else:
        time.sleep(30)
"""


@pytest.mark.parametrize(("blocking", "expected"), [("releases-gil", 3), ("holds-gil", -signal.SIGALRM)])
def test_a_clean_up_past_its_deadline_ends_the_process_even_holding_the_gil(blocking, expected):
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", DEADLINE_PROBE, blocking], capture_output=True, text=True, timeout=20
    )
    assert result.returncode == expected, result.stderr
    assert time.monotonic() - start < 5.0
    if blocking == "releases-gil":
        assert "probe: clean-up still running after 0.5 s, exiting now" in result.stderr
