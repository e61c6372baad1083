"""The executor's connection to a UR controller through ur_rtde, with named timeouts and monitoring.

Every motion is sent asynchronously and then watched every MONITOR_PERIOD_S until it ends: a
protective stop, a stalled or dropped RTDE stream, the control program stopping, a cancel request or
the motion timeout (expected duration + motion_timeout_margin_s) each stop the arm (where the link is
still alive) and raise the matching named exception. ur_rtde failures are wrapped in
RobotConnectionError.
"""

from __future__ import annotations

import ctypes
import socket
import threading
import time
from collections.abc import Callable

import numpy as np

from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import (
    ExecutionCancelledError,
    ExecutorTimeoutError,
    ProtectiveStopError,
    RobotConnectionError,
    RobotStateError,
)
from kd_grasp_ros.executor.frames import base_link_to_ur_pose, ur_pose_to_base_link
from kd_grasp_ros.executor.rtde_outputs import RTDEOutputWriter
from kd_grasp_ros.robot.motion import JointPath, LinearPath, Profile

RTDE_PORT, DASHBOARD_PORT = 30004, 29999
MONITOR_PERIOD_S = 0.004
RUNTIME_PLAYING = 2
SCRIPT_RESTART_TIMEOUT_S = 5.0
CONTROLLER_PROBE_TIMEOUT_S = 0.3
# ur_rtde 1.6.5 can crash the whole process (SIGSEGV) when an interface whose controller has vanished
# is disconnected or destroyed while its background thread is still failing over. Such interfaces
# are kept here, with an extra reference so that they are never destroyed either.
_ABANDONED_INTERFACES: list = []


def _call(what: str, fn, *args):
    """Run one ur_rtde call, turning its RuntimeError into RobotConnectionError naming the call."""
    try:
        return fn(*args)
    except RuntimeError as err:
        raise RobotConnectionError(f"ur_rtde {what} failed: {err}") from err


class URLink:
    """rtde_control + rtde_receive + dashboard + an RTDE output writer to one robot; monitored moves."""

    def __init__(self, cfg: ExecutorConfig):
        self.cfg = cfg
        self.control = self.receive = self.dashboard = None
        self.outputs = RTDEOutputWriter(cfg.robot_ip, cfg.connect_timeout_s)
        self.cancel_event = threading.Event()
        self.on_tcp_sample: Callable[[float, np.ndarray], None] | None = None

    # ---- connection --------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open all interfaces; raises RobotConnectionError within connect_timeout_s if unreachable."""
        host = self.cfg.robot_ip
        if not host:
            raise RobotConnectionError("robot_ip is empty: refusing to connect to an unnamed robot")
        for port in (DASHBOARD_PORT, RTDE_PORT):
            try:
                socket.create_connection((host, port), timeout=self.cfg.connect_timeout_s).close()
            except OSError as err:
                raise RobotConnectionError(
                    f"UR controller {host}:{port} not reachable within "
                    f"connect_timeout_s={self.cfg.connect_timeout_s} s: {err}"
                ) from err
        import dashboard_client
        import rtde_control
        import rtde_receive

        try:
            self.receive = rtde_receive.RTDEReceiveInterface(host)
            self.control = rtde_control.RTDEControlInterface(host)
            self.dashboard = dashboard_client.DashboardClient(host)
            self.dashboard.connect()
            self.outputs.connect()
        except RuntimeError as err:
            self.disconnect()
            raise RobotConnectionError(f"ur_rtde could not connect to {host}: {err}") from err
        if not _call("setTcp", self.control.setTcp, [0.0, 0.0, self.cfg.tcp_offset_m, 0.0, 0.0, 0.0]):
            self.disconnect()
            raise RobotStateError(f"setTcp on {host} was refused (is the control script running?)")

    @property
    def connected(self) -> bool:
        return self.receive is not None and self.control is not None

    def _controller_reachable(self) -> bool:
        try:
            socket.create_connection((self.cfg.robot_ip, DASHBOARD_PORT), CONTROLLER_PROBE_TIMEOUT_S).close()
            return True
        except OSError:
            return False

    def _abandon_dead_interfaces(self) -> None:
        """Drop the ur_rtde interfaces of a vanished controller without ever tearing them down."""
        for name in ("control", "receive", "dashboard"):
            iface = getattr(self, name)
            if iface is not None:
                _ABANDONED_INTERFACES.append(iface)
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(iface))
                setattr(self, name, None)

    def disconnect(self) -> None:
        """Close every interface; never raises (each disconnect takes ~0.5 s in ur_rtde)."""
        self.outputs.close()
        if self.connected and not self._controller_reachable():
            self._abandon_dead_interfaces()
            return
        for name in ("control", "receive"):
            iface = getattr(self, name)
            if iface is not None:
                try:
                    if name == "control" and iface.isConnected():
                        iface.stopScript()
                    iface.disconnect()
                except RuntimeError:
                    pass
                setattr(self, name, None)
        if self.dashboard is not None:
            try:
                self.dashboard.disconnect()
            except RuntimeError:
                pass
            self.dashboard = None

    # ---- state ---------------------------------------------------------------------------------------
    def actual_q(self) -> np.ndarray:
        return np.array(_call("getActualQ", self.receive.getActualQ))

    def tcp_base_link(self) -> np.ndarray:
        return ur_pose_to_base_link(_call("getActualTCPPose", self.receive.getActualTCPPose))

    def timestamp(self) -> float:
        return float(self.receive.getTimestamp())

    def protective_stopped(self) -> bool:
        return bool(self.receive.isProtectiveStopped())

    def digital_output(self, bit: int) -> bool:
        return bool((int(self.receive.getActualDigitalOutputBits()) >> bit) & 1)

    def check_ready(self) -> None:
        """Raise unless the robot can move now: connected, streaming, no protective stop, program running."""
        if not self.connected:
            raise RobotConnectionError("not connected to the robot")
        if not self.receive.isConnected() or not self.control.isConnected():
            raise RobotConnectionError(f"RTDE connection to {self.cfg.robot_ip} is down")
        if self.protective_stopped():
            raise ProtectiveStopError(
                "robot is in a protective stop; clear it on the pendant (or unlock it on "
                "the dashboard) before executing"
            )
        if int(self.receive.getRuntimeState()) != RUNTIME_PLAYING:
            if not _call("reuploadScript", self.control.reuploadScript):
                raise RobotStateError(
                    "the ur_rtde control script is not running and could not be re-uploaded"
                )
            deadline = time.monotonic() + SCRIPT_RESTART_TIMEOUT_S
            while int(self.receive.getRuntimeState()) != RUNTIME_PLAYING:
                if time.monotonic() > deadline:
                    raise RobotStateError(
                        f"control script not running after SCRIPT_RESTART_TIMEOUT_S="
                        f"{SCRIPT_RESTART_TIMEOUT_S} s"
                    )
                time.sleep(MONITOR_PERIOD_S)

    # ---- motion --------------------------------------------------------------------------------------
    def move_j(self, q, speed: float, accel: float, phase: str) -> None:
        q = np.asarray(q, dtype=float)
        expected = Profile.trapezoid(JointPath(self.actual_q(), q).length, speed, accel).duration
        ok = _call("moveJ", self.control.moveJ, list(q), speed, accel, True)
        self._after_send(ok, phase)
        self._watch(
            phase, expected, lambda: float(np.max(np.abs(self.actual_q() - q))) < 1e-3, stop_joint=True
        )

    def move_l(self, tcp_base_link: np.ndarray, speed: float, accel: float, phase: str) -> None:
        start = self.tcp_base_link()
        expected = Profile.trapezoid(
            LinearPath(start, tcp_base_link, np.eye(4)).length, speed, accel
        ).duration
        ok = _call("moveL", self.control.moveL, base_link_to_ur_pose(tcp_base_link), speed, accel, True)
        self._after_send(ok, phase)
        tol = self.cfg.arrival_tolerance_m
        self._watch(
            phase,
            expected,
            lambda: float(np.linalg.norm(self.tcp_base_link()[:3, 3] - tcp_base_link[:3, 3])) < tol,
            stop_joint=False,
        )

    def _after_send(self, ok: bool, phase: str) -> None:
        if ok:
            return
        if self.protective_stopped():
            raise ProtectiveStopError(f"{phase}: protective stop, the controller refused the motion")
        raise RobotStateError(f"{phase}: the controller refused the motion (control script not running?)")

    def stop(self, joint: bool) -> None:
        """Decelerate the arm at stop_deceleration (only on a live link without a protective stop)."""
        if self.control is None or not self.control.isConnected() or self.protective_stopped():
            return
        try:
            (self.control.stopJ if joint else self.control.stopL)(self.cfg.stop_deceleration, False)
        except RuntimeError:
            pass

    def _watch(self, phase: str, expected_s: float, arrived: Callable[[], bool], stop_joint: bool) -> None:
        timeout = expected_s + self.cfg.motion_timeout_margin_s
        t_start = time.monotonic()
        last_stamp, last_change = self.timestamp(), t_start
        while True:
            time.sleep(MONITOR_PERIOD_S)
            now = time.monotonic()
            stamp = self.timestamp()
            if stamp != last_stamp:
                last_stamp, last_change = stamp, now
                if self.on_tcp_sample is not None:
                    self.on_tcp_sample(stamp, self.tcp_base_link())
            if not self.receive.isConnected() or now - last_change > self.cfg.stream_stall_timeout_s:
                raise RobotConnectionError(
                    f"{phase}: RTDE stream from {self.cfg.robot_ip} stopped for more than "
                    f"stream_stall_timeout_s={self.cfg.stream_stall_timeout_s} s"
                )
            if self.protective_stopped():
                raise ProtectiveStopError(f"{phase}: the robot went into a protective stop; attempt aborted")
            if int(self.receive.getRuntimeState()) != RUNTIME_PLAYING:
                raise RobotStateError(f"{phase}: the control program stopped during the motion")
            if self.cancel_event.is_set():
                self.stop(stop_joint)
                raise ExecutionCancelledError(f"{phase}: cancelled on request; arm stopped")
            if now - t_start > timeout:
                self.stop(stop_joint)
                raise ExecutorTimeoutError(
                    f"{phase}: motion not finished within {timeout:.2f} s (expected "
                    f"{expected_s:.2f} s + motion_timeout_margin_s)"
                )
            if self.control.getAsyncOperationProgress() < 0 and arrived():
                return
